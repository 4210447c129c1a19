"""Shared by the baselines: features from histone bins and the results record they write."""

from __future__ import annotations

import os
import time

import numpy as np

from regjax import datasets, reporting, tasks


def flat_log_features(marks: np.ndarray) -> np.ndarray:
  """log(1 + counts) of every bin and mark, flattened: float [N, T, M] -> [N, T * M]."""
  return np.log1p(marks.reshape(len(marks), -1)).astype(np.float64)


def write_results(config, workdir: str, dataset: datasets.Dataset, task: tasks.Task,
                  model_name: str, scores: dict[str, np.ndarray], start_time: float,
                  extra: dict | None = None) -> dict:
  """Evaluates `scores` ({split: [N]}) and writes results.json and predictions like the trainer."""
  workdir = os.path.abspath(workdir)
  results = {"model": model_name, "task": task.name, "dataset": dataset.name,
             "data": dataset.info, "selection_metric": None, "selected_epoch": None,
             "num_params": 0, **(extra or {})}
  for split in ("train", "valid", "test"):
    arrays = dataset.splits[split]
    results[split] = task.evaluate(arrays[task.target_key], scores[split])
    reporting.write_predictions(os.path.join(workdir, "predictions", f"{split}.tsv"),
                                arrays[dataset.id_key], scores[split], arrays[task.target_key],
                                task.target_key)
  results["train_time_s"] = round(time.time() - start_time, 2)
  results["environment"] = reporting.environment()
  results["config"] = config.to_dict()
  reporting.write_json(os.path.join(workdir, "results.json"), results)
  for split in ("train", "valid", "test"):
    shown = "  ".join(f"{k} {v:.4f}" for k, v in results[split].items()
                      if k != "num_examples" and v is not None)
    print(f"  {split:5s}  {shown}  (n={results[split]['num_examples']})")
  return results
