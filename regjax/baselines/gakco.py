"""GaKCo / gkm-SVM: an SVM on the normalised gapped k-mer kernel, for sequence classification.

Data: the DNA configs' data (`dna_sequences`, `simulated_motifs`), or lsgkm's two FASTA files
(`data.name=lsgkm`: `data.positives`, `data.negatives`, optional `data.test_positives` /
`data.test_negatives`, else a seeded `data.test_fraction`; any alphabet, `model.alphabet`:
dna, protein, text or letters:<LETTERS>; sequences at their own lengths).

Two kinds (`model.approximation`):
- exact: scikit-learn's SVC on the precomputed kernel of the training sequences. Its cost grows
  with the square of their number, so training uses at most `model.max_train` of them (a seeded,
  class-balanced sample; default 3,000).
- nystroem: features from `model.landmarks` landmark sequences (`gkm_nystroem`) and a linear SVM
  (hinge loss, as SVC); cost ~ N x landmarks, so every training sequence can be used.
C is picked on the validation split (AUROC) and the test split is scored once, writing the same
results.json and predictions as every other config, plus `gkm_model.npz` for `--mode=predict`.
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
from regjax.baselines import alphabets, common, gkm, gkm_model, gkm_nystroem, lsgkm_io
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


def lsgkm_dataset(data, alphabet_name: str, seed: int) -> tuple[datasets.Dataset, alphabets.Alphabet]:
  """train/valid/test from lsgkm's positive and negative FASTA files (codes, lengths, labels)."""
  def read(positives, negatives):
    pos_ids, pos = lsgkm_io.read_fasta(positives)
    neg_ids, neg = lsgkm_io.read_fasta(negatives)
    return pos_ids + neg_ids, pos + neg, np.r_[np.ones(len(pos), int), np.zeros(len(neg), int)]

  if not data.positives or not data.negatives:
    raise ConfigError("data.name=lsgkm needs data.positives and data.negatives (FASTA files)")
  ids, texts, labels = read(data.positives, data.negatives)
  rng = np.random.default_rng(seed)
  order = rng.permutation(len(texts))
  parts = {}
  if data.test_positives or data.test_negatives:
    if not (data.test_positives and data.test_negatives):
      raise ConfigError("give both data.test_positives and data.test_negatives, or neither")
    test = read(data.test_positives, data.test_negatives)
  else:
    num_test = max(1, int(round(data.test_fraction * len(texts))))
    parts["test"], order = order[:num_test], order[num_test:]
    test = None
  num_valid = max(1, int(round(data.valid_fraction * len(texts))))
  parts["valid"], parts["train"] = order[:num_valid], order[num_valid:]
  alphabet = alphabets.get(alphabet_name, texts + (test[1] if test else []))
  splits = {}
  for split, index in parts.items():
    codes, lengths = alphabet.encode([texts[i] for i in index])
    splits[split] = {"id": np.array([ids[i] for i in index]), "codes": codes,
                     "lengths": lengths, "label": labels[index]}
  if test:
    codes, lengths = alphabet.encode(test[1])
    splits["test"] = {"id": np.array(test[0]), "codes": codes, "lengths": lengths,
                      "label": test[2]}
  for split, arrays in splits.items():
    if len(np.unique(arrays["label"])) < 2 and split != "test":
      raise ConfigError(f"the {split} split has one class only; give more sequences")
  info = {"source": "lsgkm FASTA", "positives": data.positives, "negatives": data.negatives,
          "alphabet": alphabet.letters}
  return datasets.Dataset("lsgkm", splits, ("codes",), "id", info), alphabet


def _kernel(a, b, g, k, alphabet, desc):
  bar = tqdm.tqdm(total=math.comb(g, k), desc=desc, unit="pattern", file=sys.stderr,
                  mininterval=2.0)
  out = gkm.gkm_kernel(a["codes"], None if b is None else b["codes"], g, k,
                       progress=lambda done, total: bar.update(done - bar.n),
                       alphabet_size=alphabet.size, lengths_a=a.get("lengths"),
                       lengths_b=None if b is None else b.get("lengths"))
  bar.close()
  return out


def run(config, workdir: str) -> dict:
  """Computes the kernels or features, fits the SVM for every C, keeps the best on validation."""
  start = time.time()
  model = config.model
  g, k = model.g, model.k
  if not 0 < k <= g:
    raise ConfigError(f"model.k must be between 1 and model.g; got g={g}, k={k}")
  if config.task != "classification":
    raise ConfigError("the gkm-SVM classifies sequences (task classification)")
  if config.data.name == "lsgkm":
    dataset, alphabet = lsgkm_dataset(config.data, model.get("alphabet", "dna"), config.seed)
    fixed_length = 0
  elif config.data.name in ("dna_sequences", "simulated_motifs"):
    dataset, alphabet = datasets.create_dataset(config.data), alphabets.DNA
    fixed_length = dataset.splits["train"]["codes"].shape[1]
  else:
    raise ConfigError("the gkm-SVM takes data.name dna_sequences, simulated_motifs or lsgkm")
  approximation = model.get("approximation", "exact")
  if approximation not in ("exact", "nystroem"):
    raise ConfigError(f"model.approximation must be exact or nystroem, got {approximation!r}")
  limit = model.max_train if approximation == "exact" else model.get("nystroem_max_train", 0)
  keep = _balanced_sample(dataset.splits["train"]["label"], limit, config.seed)
  train = {key: value[keep] for key, value in dataset.splits["train"].items()}
  dataset = dataclasses.replace(dataset, splits={**dataset.splits, "train": train})
  splits = dataset.splits
  labels = {split: arrays["label"] for split, arrays in splits.items()}
  task = tasks.get_task("classification")
  if approximation == "exact":
    inputs = {split: _kernel(splits[split], None if split == "train" else splits["train"], g, k,
                             alphabet, f"gkm kernel {split} x train")
              for split in ("train", "valid", "test")}
    make = lambda c: svm.SVC(kernel="precomputed", C=c)   # noqa: E731
  else:
    mapping = gkm_nystroem.fit(train["codes"], train.get("lengths"), train["label"],
                               model.landmarks, g, k, alphabet.size, config.seed)
    print(f"  Nystroem: {len(mapping.landmarks)} landmarks, rank {mapping.projection.shape[1]}")
    inputs = {}
    for split in ("train", "valid", "test"):
      bar = tqdm.tqdm(total=math.comb(g, k), desc=f"gkm features {split}", unit="pattern",
                      file=sys.stderr, mininterval=2.0)
      inputs[split] = mapping.transform(splits[split]["codes"], splits[split].get("lengths"),
                                        progress=lambda done, total: bar.update(done - bar.n))
      bar.close()
    make = lambda c: svm.LinearSVC(C=c, loss="hinge", dual=True, max_iter=20000)  # noqa: E731
  best, tried = None, []
  for c in model.C:
    fitted = make(c).fit(inputs["train"], labels["train"])
    value = task.evaluate(labels["valid"], fitted.decision_function(inputs["valid"]))["auroc"]
    tried.append({"params": {"C": c}, "valid_auroc": value})
    print(f"  C={c}: valid auroc {value:.4f}")
    if np.isfinite(value) and (best is None or value > best[0]):
      best = (value, c, fitted)
  if best is None:
    raise ConfigError("no C gave a finite validation AUROC (one class only in the valid split?)")
  _, c, fitted = best
  scores = {split: fitted.decision_function(inputs[split]) for split in inputs}
  saved = _saved_model(approximation, fitted, train, g, k, alphabet, fixed_length,
                       mapping if approximation == "nystroem" else None)
  name = f"gkm_svm(g={g},k={k}{',nystroem' if approximation == 'nystroem' else ''})"
  results = common.write_results(
      config, workdir, dataset, task, name, scores, start,
      extra={"selected_params": {"C": c}, "grid": tried, "num_train_used": int(len(keep)),
             "approximation": approximation, "alphabet": alphabet.letters})
  saved.save(workdir)
  return results


def _saved_model(kind, fitted, train, g, k, alphabet, fixed_length, mapping) -> gkm_model.GkmModel:
  lengths = train.get("lengths")
  if lengths is None:
    lengths = np.full(len(train["codes"]), train["codes"].shape[1])
  if kind == "exact":
    support = fitted.support_
    return gkm_model.GkmModel("exact", g, k, alphabet, fixed_length, float(fitted.intercept_[0]),
                              train["codes"][support], lengths[support],
                              fitted.dual_coef_[0].astype(np.float64))
  landmark_lengths = mapping.landmark_lengths
  if landmark_lengths is None:
    landmark_lengths = np.full(len(mapping.landmarks), mapping.landmarks.shape[1])
  return gkm_model.GkmModel("nystroem", g, k, alphabet, fixed_length, float(fitted.intercept_[0]),
                            mapping.landmarks, landmark_lengths, fitted.coef_[0].astype(np.float64),
                            mapping.projection)
