r"""RBF-kernel SVR of log(expression + 1) on flattened log bins (Pearson r); C chosen on validation.

  python -m regjax.main --config=configs/baseline_svr.py --workdir=runs/svr_E123
  python -m regjax.main --config=configs/baseline_svr.py --workdir=runs/svr_E003 --config.data.cell=E003
See regjax/baselines/classical.py for the features and the selection rule.
"""

from regjax import configlib


def get_config(arg: str | None = None):
  configlib.parse_args(arg, ())
  return configlib.experiment("regression", configlib.histone_data(),
                              {"name": "classical", "estimator": "svr", "features": "flat_log_bins",
                               "grid": {"C": (0.1, 1.0, 10.0)}})
