"""The one-mark baseline: score a gene by log(1 + total reads of one histone mark) over its bins.

Nothing is trained. On the bundled sample, H3K4me3 alone (the promoter mark) reaches test AUROC
0.95 on E123 and 0.86 on E003, so it is the bar any learned model of these cells has to clear.
"""

from __future__ import annotations

import time

import numpy as np

from regjax import datasets, tasks
from regjax.baselines import common
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
  split_scores = {split: scores(arrays["marks"], index) for split, arrays in dataset.splits.items()}
  return common.write_results(config, workdir, dataset, tasks.get_task(config.task),
                              f"one_mark({config.model.mark})", split_scores, start)
