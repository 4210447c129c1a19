r"""RBF-kernel SVM on flattened log bins (classification, AUROC); C chosen on validation.

  python -m regjax.main --config=configs/baseline_svm.py --workdir=runs/svm_E123
  python -m regjax.main --config=configs/baseline_svm.py --workdir=runs/svm_E003 --config.data.cell=E003
See regjax/baselines/classical.py for the features and the selection rule.
"""

from regjax import configlib


def get_config(arg: str | None = None):
  configlib.parse_args(arg, ())
  return configlib.experiment("classification", configlib.histone_data(),
                              {"name": "classical", "estimator": "svm", "features": "flat_log_bins",
                               "grid": {"C": (0.1, 1.0, 10.0)}})
