r"""Linear (ridge) regression of log(expression + 1) on flattened log bins (Pearson r); alpha chosen on validation.

  python -m regjax.main --config=configs/baseline_linear.py --workdir=runs/linear_E123
  python -m regjax.main --config=configs/baseline_linear.py --workdir=runs/linear_E003 --config.data.cell=E003
See regjax/baselines/classical.py for the features and the selection rule.
"""

from regjax import configlib


def get_config(arg: str | None = None):
  configlib.parse_args(arg, ())
  return configlib.experiment("regression", configlib.histone_data(),
                              {"name": "classical", "estimator": "linear", "features": "flat_log_bins",
                               "grid": {"alpha": (1.0, 10.0, 100.0, 1000.0)}})
