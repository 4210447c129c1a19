r"""DeepDiff baseline: ridge regression of lfc on log per-mark totals of both cells and their
difference (15 features), alpha chosen on validation; `--config.model.estimator=random_forest_regressor`
for the random forest.

  python -m regjax.main --config=configs/deepdiff_baseline.py --workdir=runs/deepdiff_ridge
"""

from regjax import configlib


def get_config(arg: str | None = None):
  args = configlib.parse_args(arg, {"random_forest"})
  config = configlib.experiment(
      "differential", configlib.deepdiff_data(),
      {"name": "classical", "estimator": "linear", "features": "log_totals_pair",
       "grid": {"alpha": (0.1, 1.0, 10.0, 100.0)}})
  if "random_forest" in args:
    config.model.estimator = "random_forest_regressor"
    config.model.grid = {"n_estimators": (500,), "min_samples_leaf": (1, 5, 20)}
  return config
