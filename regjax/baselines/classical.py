"""Classical baselines of the DeepChrome/AttentiveChrome papers, with scikit-learn.

Features: log(1 + count) of every bin and mark, flattened (100 x 5 = 500), standardised with the
training split's statistics. Models:
* classification: `svm` (RBF-kernel SVC, decision function as the score), `random_forest`
  (P(on) as the score), evaluated by AUROC;
* regression: `linear` (ridge regression: plain least squares is underdetermined with 500 features
  and 200 training genes, so a small L2 penalty is part of "linear"), `svr` (RBF-kernel SVR),
  evaluated by Pearson r.
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
}


def _score(estimator, features: np.ndarray, task: str) -> np.ndarray:
  if task == "regression":
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
  if config.task != task_name:
    raise ConfigError(f"estimator {name!r} is for {task_name}, but task is {config.task!r}")
  task = tasks.get_task(config.task)
  dataset = datasets.create_dataset(config.data)
  features = {s: common.flat_log_features(a["marks"]) for s, a in dataset.splits.items()}
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
