"""The one-mark baseline: score a gene by log(1 + total reads of one histone mark) over its bins.

Nothing is trained. On the bundled sample, H3K4me3 alone (the promoter mark) reaches test AUROC
0.95 on E123 and 0.86 on E003, so it is the bar any learned model of these cells has to clear.
"""

from __future__ import annotations

import os
import time

import numpy as np

from regjax import datasets, reporting, tasks
from regjax.errors import ConfigError


def scores(marks: np.ndarray, mark_index: int) -> np.ndarray:
  """log(1 + sum over bins) of one mark. marks: [N, T, M] counts -> [N]."""
  return np.log1p(marks[:, :, mark_index].sum(axis=1))


def run(config, workdir: str) -> dict:
  """Scores every split with the configured mark and writes results.json and predictions."""
  start = time.time()
  if config.task != "classification":
    raise ConfigError("the one_mark baseline scores on/off classification only")
  dataset = datasets.create_dataset(config.data)
  names = dataset.info["mark_names"]
  if config.model.mark not in names:
    raise ConfigError(f"model.mark {config.model.mark!r} is not one of {', '.join(names)}")
  index = names.index(config.model.mark)
  task = tasks.get_task(config.task)
  workdir = os.path.abspath(workdir)
  results = {"model": f"one_mark({config.model.mark})", "task": task.name,
             "dataset": dataset.name, "data": dataset.info, "selection_metric": None,
             "selected_epoch": None, "num_params": 0}
  for split in ("train", "valid", "test"):
    arrays = dataset.splits[split]
    split_scores = scores(arrays["marks"], index)
    results[split] = task.evaluate(arrays[task.target_key], split_scores)
    reporting.write_predictions(os.path.join(workdir, "predictions", f"{split}.tsv"),
                                arrays[dataset.id_key], split_scores, arrays[task.target_key],
                                task.target_key)
  results["train_time_s"] = round(time.time() - start, 2)
  results["environment"] = reporting.environment()
  results["config"] = config.to_dict()
  reporting.write_json(os.path.join(workdir, "results.json"), results)
  for split in ("train", "valid", "test"):
    print(f"  {split:5s}  auroc {results[split]['auroc']:.4f}  auprc {results[split]['auprc']:.4f}")
  return results
