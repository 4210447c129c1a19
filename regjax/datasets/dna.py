"""TFDS builders for DNA sequence classification (DeepMotif): real ChIP-seq peaks and simulations.

`dna_sequences`: a training and a test file (DeepBind TSV or labelled FASTA). Bundled: the ENCODE
REST and CTCFL data of DeepBind (`<TF>_..._AC.seq.gz` peaks for training, `_B.seq.gz` for test).
A validation split (`valid_fraction` of the training file, seeded) is carved out first; then every
split whose file holds peaks only gets one dinucleotide-shuffled negative per peak, made from that
split's own peaks (the DeepBind / DeepMotif protocol, without leaking validation peaks into
training negatives).

`simulated_motifs`: background sequences with a real ENCODE motif planted in the positives
(`regjax.datasets.simulation`), with the planted start and strand kept as ground truth.

Each example: `id`, `codes` uint8 [L] (A, C, G, T = 0..3, N = 4), `label` (1 = bound), and for the
simulation `motif_start` (-1 for negatives) and `motif_strand` (+1 / -1, 0 for negatives).
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import pathlib

import numpy as np
import tensorflow_datasets as tfds

from regjax.datasets import histone_sources, sequences, simulation, tfds_io
from regjax.errors import ConfigError

SPLITS = ("train", "valid", "test")
BUNDLED_TFS = {
    "REST": "REST_GM12878_NRSF_HudsonAlpha",
    "CTCFL": "CTCFL_K562_CTCFL_(SC-98982)_HudsonAlpha",
}

_CITATION = """\
Lanchantin J, Singh R, Wang B, Qi Y. Deep Motif Dashboard: Visualizing and Understanding Genomic
Sequences Using Deep Neural Networks. PSB 2017.
Alipanahi B, Delong A, Weirauch MT, Frey BJ. Predicting the sequence specificities of DNA- and
RNA-binding proteins by deep learning. Nature Biotechnology 33, 2015 (the ENCODE data sets)."""


def bundled_files(tf: str) -> tuple[pathlib.Path, pathlib.Path]:
  """(training peaks, test set) of a bundled TF."""
  folder = histone_sources.bundled_data_dir() / "deepbind"
  if tf not in BUNDLED_TFS:
    tests_only = sorted(p.name.split("_")[0] for p in folder.glob("*_B.seq.gz"))
    raise ConfigError(
        f"no bundled training data for TF {tf!r}: bundled training sets are "
        f"{', '.join(BUNDLED_TFS)} (test sets also exist for {', '.join(tests_only)}). For other "
        "data set --config.data.train_path=... and --config.data.test_path=...")
  prefix = BUNDLED_TFS[tf]
  return folder / f"{prefix}_AC.seq.gz", folder / f"{prefix}_B.seq.gz"


def _with_negatives(ids, codes, labels, rng) -> tuple[list, np.ndarray, np.ndarray]:
  """Adds one dinucleotide shuffle per sequence when a set holds positives only."""
  if labels.min() == 0:
    return list(ids), codes, labels
  shuffled = np.stack([sequences.dinucleotide_shuffle(c, rng) for c in codes])
  return (list(ids) + [f"{i}_shuffled" for i in ids], np.concatenate([codes, shuffled]),
          np.concatenate([labels, np.zeros_like(labels)]))


def sequence_splits(train_path, test_path, length: int, valid_fraction: float,
                    seed: int) -> dict[str, dict[str, np.ndarray]]:
  """Reads both files and builds train/valid/test arrays (ids, codes [N, L], labels)."""
  if not 0 < valid_fraction < 1:
    raise ConfigError(f"valid_fraction must be between 0 and 1, got {valid_fraction}")
  rng = np.random.default_rng(seed)
  train = sequences.read_sequences(train_path)
  test = sequences.read_sequences(test_path)
  codes = np.stack([sequences.encode(s, length) for s in train.sequences])
  order = rng.permutation(len(codes))
  num_valid = max(1, int(round(valid_fraction * len(codes))))
  parts = {"valid": order[:num_valid], "train": order[num_valid:]}
  out = {}
  for split, index in parts.items():
    ids, split_codes, labels = _with_negatives([train.ids[i] for i in index], codes[index],
                                               train.labels[index], rng)
    out[split] = {"id": np.array(ids), "codes": split_codes, "label": labels}
  test_codes = np.stack([sequences.encode(s, length) for s in test.sequences])
  ids, test_codes, labels = _with_negatives(test.ids, test_codes, test.labels, rng)
  out["test"] = {"id": np.array(ids), "codes": test_codes, "label": labels}
  return out


def _fingerprint(*paths) -> str:
  h = hashlib.sha256()
  for path in paths:
    path = pathlib.Path(path).resolve()
    stat = path.stat()
    h.update(f"{path}|{stat.st_size}|{stat.st_mtime_ns}".encode())
  return h.hexdigest()[:10]


@dataclasses.dataclass
class DnaSequencesConfig(tfds.core.BuilderConfig):
  train_path: str = ""
  test_path: str = ""
  length: int = 101
  valid_fraction: float = 0.1
  seed: int = 0


class DnaSequences(tfds.core.GeneratorBasedBuilder):
  """TF-bound (1) or unbound (0) DNA sequences of a fixed length."""

  VERSION = tfds.core.Version("1.0.0")
  RELEASE_NOTES = {"1.0.0": "DeepBind TSV and labelled FASTA; bundled REST and CTCFL."}

  def _info(self):
    return tfds.core.DatasetInfo(
        builder=self, description=__doc__, citation=_CITATION,
        homepage="https://github.com/QData/DeepMotif", disable_shuffling=True,
        features=tfds.features.FeaturesDict({
            "id": tfds.features.Text(),
            "codes": tfds.features.Tensor(shape=(self.builder_config.length,), dtype=np.uint8),
            "label": tfds.features.ClassLabel(names=["unbound", "bound"]),
        }))

  def _split_generators(self, dl_manager):
    del dl_manager
    c: DnaSequencesConfig = self.builder_config
    splits = sequence_splits(c.train_path, c.test_path, c.length, c.valid_fraction, c.seed)
    return {split: self._generate_examples(arrays) for split, arrays in splits.items()}

  def _generate_examples(self, arrays):
    for i in range(len(arrays["label"])):
      yield i, {k: v[i] for k, v in arrays.items()}


@dataclasses.dataclass
class SimulatedMotifsConfig(tfds.core.BuilderConfig):
  motif: str = "CTCF_known1"
  length: int = 101
  num_train: int = 4000
  num_valid: int = 500
  num_test: int = 1000
  background: str = "iid"
  seed: int = 0


class SimulatedMotifs(tfds.core.GeneratorBasedBuilder):
  """Background DNA with a real motif planted in the positives, positions kept."""

  VERSION = tfds.core.Version("1.0.0")
  RELEASE_NOTES = {"1.0.0": "One ENCODE motif per positive; iid or dinucleotide-shuffled background."}

  def _info(self):
    return tfds.core.DatasetInfo(
        builder=self, description=__doc__, citation=_CITATION, disable_shuffling=True,
        features=tfds.features.FeaturesDict({
            "id": tfds.features.Text(),
            "codes": tfds.features.Tensor(shape=(self.builder_config.length,), dtype=np.uint8),
            "label": tfds.features.ClassLabel(names=["unbound", "bound"]),
            "motif_start": tfds.features.Scalar(dtype=np.int32),
            "motif_strand": tfds.features.Scalar(dtype=np.int8),
        }))

  def _split_generators(self, dl_manager):
    del dl_manager
    c: SimulatedMotifsConfig = self.builder_config
    ppm = simulation.get_motif(c.motif)
    counts = {"train": c.num_train, "valid": c.num_valid, "test": c.num_test}
    out = {}
    for offset, (split, count) in enumerate(counts.items()):
      data = simulation.simulate(ppm, count, c.length, seed=c.seed * 1000 + offset,
                                 background=c.background)
      out[split] = self._generate_examples(split, data)
    return out

  def _generate_examples(self, split, data: simulation.SimulatedSet):
    for i in range(len(data.labels)):
      yield i, {"id": f"{split}{i:05d}", "codes": data.codes[i], "label": int(data.labels[i]),
                "motif_start": int(data.motif_start[i]), "motif_strand": int(data.motif_strand[i])}


def load_sequences(data_config, data_dir: str) -> tuple[dict, dict]:
  """(splits, info) of a DNA data config: `tf` (bundled) or `train_path` + `test_path`."""
  train_path, test_path = data_config.get("train_path"), data_config.get("test_path")
  if bool(train_path) != bool(test_path):
    raise ConfigError("give both data.train_path and data.test_path (or neither, for data.tf)")
  if train_path:
    train_path, test_path = (os.path.abspath(os.path.expanduser(p)) for p in (train_path, test_path))
    for path in (train_path, test_path):
      if not os.path.isfile(path):
        raise ConfigError(f"sequence file {path} not found")
    name = f"files_{_fingerprint(train_path, test_path)}"
    info = {"source": "files", "train_path": train_path, "test_path": test_path}
  else:
    train_path, test_path = (str(p) for p in bundled_files(data_config.tf))
    name = data_config.tf
    info = {"source": "bundled", "tf": data_config.tf, "train_file": os.path.basename(train_path),
            "test_file": os.path.basename(test_path)}
  length, fraction, seed = data_config.length, data_config.valid_fraction, data_config.split_seed
  config = DnaSequencesConfig(name=f"{name}_L{length}_v{fraction:g}_s{seed}",
                              train_path=train_path, test_path=test_path, length=length,
                              valid_fraction=fraction, seed=seed)
  return tfds_io.load(DnaSequences, config, data_dir, SPLITS), info


def load_simulated(data_config, data_dir: str) -> tuple[dict, dict]:
  """(splits, info) of a simulated motif data set."""
  simulation.get_motif(data_config.motif)  # a clear error for an unknown motif, before TFDS
  fields = {k: data_config[k] for k in ("motif", "length", "num_train", "num_valid", "num_test",
                                        "background")}
  fields["seed"] = data_config.split_seed
  name = "_".join(str(v) for v in fields.values())
  config = SimulatedMotifsConfig(name=name, **fields)
  return tfds_io.load(SimulatedMotifs, config, data_dir, SPLITS), {"source": "simulated", **fields}
