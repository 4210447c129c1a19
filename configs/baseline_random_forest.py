r"""Random forest on flattened log bins (classification, AUROC); leaf size chosen on validation.

  python -m regjax.main --config=configs/baseline_random_forest.py --workdir=runs/random_forest_E123
  python -m regjax.main --config=configs/baseline_random_forest.py --workdir=runs/random_forest_E003 --config.data.cell=E003
See regjax/baselines/classical.py for the features and the selection rule.
"""

from regjax import configlib


def get_config(arg: str | None = None):
  configlib.parse_args(arg, ())
  return configlib.experiment("classification", configlib.histone_data(),
                              {"name": "classical", "estimator": "random_forest", "features": "flat_log_bins",
                               "grid": {"n_estimators": (500,), "min_samples_leaf": (1, 5), "max_features": ("sqrt",)}})
