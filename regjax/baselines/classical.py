"""Classical baselines of the DeepChrome, AttentiveChrome and DeepDiff papers, with scikit-learn.

Features (`config.model.features`), standardised with the training split's statistics:
* "flat_log_bins": log(1 + count) of every bin and mark, flattened (100 x 5 = 500);
* "log_totals_pair" (DeepDiff pairs): log(1 + total count over the bins) of each mark in cell A,
  in cell B, and their difference (15 features).
Models (`config.model.estimator`):
* classification: `svm` (RBF-kernel SVC, decision function as the score), `random_forest`
  (P(on) as the score), evaluated by AUROC;
* regression (log expression, or DeepDiff's lfc): `linear` (ridge regression: plain least squares
  is underdetermined with 500 features and 200 training genes, so a small L2 penalty is part of
  "linear"), `svr` (RBF-kernel SVR), `random_forest_regressor`, evaluated by Pearson r.
Each hyperparameter in `config.model.grid` is tried on the training split and the value with the
best validation metric is kept (the same selection rule as the neural models); the test split is
scored once, by that model.
"""

from __future__ import annotations

import itertools
import time

import numpy as np
from sklearn import ensemble, linear_model, pipeline, preprocessing, svm

from regjax import datasets, tasks
from regjax.baselines import common
from regjax.errors import ConfigError

_ESTIMATORS = {
    "svm": ("classification", lambda seed, **p: svm.SVC(kernel="rbf", random_state=seed, **p)),
    "random_forest": ("classification",
                      lambda seed, **p: ensemble.RandomForestClassifier(random_state=seed,
                                                                        n_jobs=-1, **p)),
    "linear": ("regression", lambda seed, **p: linear_model.Ridge(**p)),
    "svr": ("regression", lambda seed, **p: svm.SVR(kernel="rbf", **p)),
    "random_forest_regressor": ("regression",
                                lambda seed, **p: ensemble.RandomForestRegressor(
                                    random_state=seed, n_jobs=-1, **p)),
}


def log_totals_pair(arrays: dict[str, np.ndarray]) -> np.ndarray:
  """[log(1 + total_A), log(1 + total_B), difference] per mark: [N, T, M] x 2 -> [N, 3M]."""
  total_a = np.log1p(arrays["marks_a"].sum(axis=1))
  total_b = np.log1p(arrays["marks_b"].sum(axis=1))
  return np.concatenate([total_a, total_b, total_a - total_b], axis=1).astype(np.float64)


_FEATURES = {
    "flat_log_bins": lambda arrays: common.flat_log_features(arrays["marks"]),
    "log_totals_pair": log_totals_pair,
}


def _score(estimator, features: np.ndarray, task: str) -> np.ndarray:
  if task != "classification":
    return estimator.predict(features)
  if hasattr(estimator, "predict_proba"):  # random forest; an SVC without probability=True has none
    return estimator.predict_proba(features)[:, 1]
  return estimator.decision_function(features)


def _grid(grid: dict) -> list[dict]:
  names = sorted(grid)
  return [dict(zip(names, values)) for values in itertools.product(*(grid[n] for n in names))]


def run(config, workdir: str) -> dict:
  """Fits every grid point, keeps the best on validation, writes results.json and predictions."""
  start = time.time()
  name = config.model.estimator
  if name not in _ESTIMATORS:
    raise ConfigError(f"unknown model.estimator {name!r}; expected one of {', '.join(_ESTIMATORS)}")
  task_name, make = _ESTIMATORS[name]
  kind = "regression" if config.task == "differential" else config.task
  if kind != task_name:
    raise ConfigError(f"estimator {name!r} is for {task_name}, but task is {config.task!r}")
  feature_name = config.model.get("features", "flat_log_bins")
  if feature_name not in _FEATURES:
    raise ConfigError(f"unknown model.features {feature_name!r}; expected one of "
                      f"{', '.join(_FEATURES)}")
  task = tasks.get_task(config.task)
  dataset = datasets.create_dataset(config.data)
  try:
    features = {s: _FEATURES[feature_name](a) for s, a in dataset.splits.items()}
  except KeyError as e:
    raise ConfigError(f"features {feature_name!r} need field {e} that {dataset.name} lacks") from None
  targets = {s: a[task.target_key] for s, a in dataset.splits.items()}
  if not all(np.isfinite(t).all() for t in targets.values()):
    raise ConfigError(f"{dataset.name} has no {task.target_key} values for task {task.name!r}")

  best, tried = None, []
  for params in _grid(config.model.grid.to_dict()):
    model = pipeline.make_pipeline(preprocessing.StandardScaler(), make(config.seed, **params))
    model.fit(features["train"], targets["train"])
    valid = task.evaluate(targets["valid"], _score(model, features["valid"], task.name))
    value = valid[task.selection_metric]
    tried.append({"params": params, f"valid_{task.selection_metric}": value})
    print(f"  {params}: valid {task.selection_metric} {value:.4f}")
    if np.isfinite(value) and (best is None or value > best[0]):
      best = (value, params, model)
  if best is None:
    raise ConfigError("no hyperparameter setting gave a finite validation metric")
  _, params, model = best
  scores = {split: _score(model, features[split], task.name) for split in features}
  return common.write_results(config, workdir, dataset, task, name, scores, start,
                              extra={"selected_params": params, "grid": tried})
