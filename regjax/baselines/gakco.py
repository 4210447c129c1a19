"""GaKCo / gkm-SVM: an SVM on the normalised gapped k-mer kernel, for DNA sequence classification.

Trains scikit-learn's SVC on the precomputed kernel (`regjax.baselines.gkm`) of the training
sequences, picks C on the validation split (AUROC), and scores the test split once, writing the same
results.json and predictions as every other config. The exact kernel costs ~ C(g, k) 4^k N^2
operations, so training uses at most `model.max_train` sequences (a seeded, class-balanced sample;
default 3,000), which keeps a bundled TF at a few minutes on two CPU cores.
"""

from __future__ import annotations

import dataclasses
import math
import sys
import time

import numpy as np
import tqdm
from sklearn import svm

from regjax import datasets, tasks
from regjax.baselines import common, gkm
from regjax.errors import ConfigError


def _balanced_sample(labels: np.ndarray, size: int, seed: int) -> np.ndarray:
  """Indices of at most `size` examples, half from each class where possible, sorted."""
  if size <= 0 or size >= len(labels):
    return np.arange(len(labels))
  rng = np.random.default_rng(seed)
  picks = []
  for cls in (0, 1):
    members = np.flatnonzero(labels == cls)
    picks.append(rng.choice(members, min(len(members), size // 2), replace=False))
  return np.sort(np.concatenate(picks))


def run(config, workdir: str) -> dict:
  """Computes the kernels, fits the SVM for every C, keeps the best on validation, writes results."""
  start = time.time()
  if config.task != "classification" or config.data.name not in ("dna_sequences",
                                                                  "simulated_motifs"):
    raise ConfigError("the gkm-SVM classifies DNA sequences (data.name dna_sequences or "
                      "simulated_motifs, task classification)")
  g, k = config.model.g, config.model.k
  if not 0 < k <= g:
    raise ConfigError(f"model.k must be between 1 and model.g; got g={g}, k={k}")
  dataset = datasets.create_dataset(config.data)
  keep = _balanced_sample(dataset.splits["train"]["label"], config.model.max_train, config.seed)
  train = {key: value[keep] for key, value in dataset.splits["train"].items()}
  dataset = dataclasses.replace(dataset, splits={**dataset.splits, "train": train})
  codes = {split: arrays["codes"] for split, arrays in dataset.splits.items()}

  kernels = {}
  for split in ("train", "valid", "test"):
    bar = tqdm.tqdm(total=math.comb(g, k),
                    desc=f"gkm kernel {split} x train", unit="pattern", file=sys.stderr,
                    mininterval=2.0)
    kernels[split] = gkm.gkm_kernel(codes[split], None if split == "train" else codes["train"],
                                    g, k, progress=lambda done, total: bar.update(done - bar.n))
    bar.close()
  task = tasks.get_task("classification")
  labels = {split: arrays["label"] for split, arrays in dataset.splits.items()}
  best, tried = None, []
  for c in config.model.C:
    model = svm.SVC(kernel="precomputed", C=c).fit(kernels["train"], labels["train"])
    value = task.evaluate(labels["valid"], model.decision_function(kernels["valid"]))["auroc"]
    tried.append({"params": {"C": c}, "valid_auroc": value})
    print(f"  C={c}: valid auroc {value:.4f}")
    if np.isfinite(value) and (best is None or value > best[0]):
      best = (value, c, model)
  _, c, model = best
  scores = {split: model.decision_function(kernels[split]) for split in kernels}
  return common.write_results(
      config, workdir, dataset, task, f"gkm_svm(g={g},k={k})", scores, start,
      extra={"selected_params": {"C": c}, "grid": tried, "num_train_used": int(len(keep))})
