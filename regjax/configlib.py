"""Building blocks for `configs/*.py`: data sections, the fields every config carries, arg parsing.

Each config file spells out its experiment (model sizes, learning rate, batch size, epochs); this
module holds what is not experiment-specific: where the data comes from, the defaults of the
optional training fields, the interpretation settings, and the `speed` section (`regjax.speed`:
how a step is computed on this machine, never part of an experiment).
"""

from __future__ import annotations

from collections.abc import Iterable

import ml_collections

from regjax import speed


def parse_args(arg: str | None, allowed: Iterable[str]) -> set[str]:
  """Splits a config arg "a,b" into {"a", "b"}; rejects anything not in `allowed`."""
  allowed = set(allowed)
  args = set(filter(None, (arg or "").split(",")))
  unknown = args - allowed
  if unknown:
    raise ValueError(f"unknown config arg(s) {sorted(unknown)}; expected one of {sorted(allowed)}")
  return args


def histone_data(cell: str = "E123") -> ml_collections.ConfigDict:
  """The histone_bins data set: bundled E123/E003, or any E### of a local DeepChrome archive."""
  return ml_collections.ConfigDict({
      "name": "histone_bins",
      "cell": cell,            # bundled: E123 (K562) or E003 (H1); any E### with archive_dir
      "cells": "",             # "E003,E123": one model per cell, trained together (regjax.many)
      "archive_dir": "",       # folder with E###/classification/{train,valid,test}.csv[.gz]
      "data_dir": "",          # TFDS cache; default $REGJAX_DATA_DIR or ~/.cache/regjax
  })


def deepdiff_data(cell_a: str = "E123", cell_b: str = "E003") -> ml_collections.ConfigDict:
  """A pair of cells for DeepDiff: bundled E123 (A) vs E003 (B), or two cells under data_root."""
  return ml_collections.ConfigDict({
      "name": "deepdiff_pairs",
      "cell_a": cell_a,
      "cell_b": cell_b,
      "data_root": "",         # folder with <cell>.{train,valid,test}.csv and <cell>.expr.csv
      "data_dir": "",          # TFDS cache; default $REGJAX_DATA_DIR or ~/.cache/regjax
  })


def dna_data(tf: str = "REST") -> ml_collections.ConfigDict:
  """DNA sequences: a bundled TF (REST, CTCFL) or your own train/test files (DeepBind TSV, FASTA)."""
  return ml_collections.ConfigDict({
      "name": "dna_sequences",
      "tf": tf,
      "train_path": "",        # your own data: both paths (peak-only files get shuffled negatives)
      "test_path": "",
      "length": 101,           # centre-crop / N-pad every sequence to this length
      "valid_fraction": 0.1,   # carved from the training file (the original had no validation)
      "split_seed": 0,         # validation carving and negative shuffles
      # used when name == "simulated_motifs":
      "motif": "CTCF_known1",
      "num_train": 10000,
      "num_valid": 1000,
      "num_test": 1000,
      "background": "iid",
      "data_dir": "",
  })


def training(*, optimizer: str, learning_rate: float, batch_size: int, num_epochs: int,
             **fields) -> ml_collections.ConfigDict:
  """The `train` section: the four named arguments, plus any optional field of `_OPTIONAL` (see
  regjax.optimizers.create_optimizer for the optimizer's fields)."""
  unknown = sorted(set(fields) - set(_OPTIONAL))
  if unknown:
    raise ValueError(f"unknown train field(s) {unknown}; optional fields: {sorted(_OPTIONAL)}")
  return ml_collections.ConfigDict({"optimizer": optimizer, "learning_rate": learning_rate,
                                    "batch_size": batch_size, "num_epochs": num_epochs,
                                    **_OPTIONAL, **fields})


_OPTIONAL = {
    "learning_rate_decay": 0.0,  # Torch7 sgd: lr / (1 + step * decay)
    "lr_halving_epochs": 0,      # halve the learning rate every that many epochs (0: never)
    "momentum": 0.0,
    "weight_decay": 0.0,
    "grad_clip_norm": 0.0,       # clip the gradient's global norm (0: off)
    "grad_clip_value": 0.0,      # clamp every gradient element (0: off)
    "eval_batch_size": 256,
    "patience": 0,               # stop after this many epochs without a better validation metric
    "num_seeds": 1,              # > 1: train seeds seed..seed+K-1 together (regjax.many)
    "num_folds": 0,              # > 1: K cross-validation folds of train+valid, trained together
    "members_map": "vmap",       # how many-model runs batch their members: "vmap" or "map"
    "reverse_complement": False,  # DNA models: train on random reverse complements too
}


def experiment(task: str, data, model: dict,
               train: ml_collections.ConfigDict | None = None) -> ml_collections.ConfigDict:
  """The top-level config: seed, task, data, model, interpret and, for neural models, train and
  speed."""
  config = ml_collections.ConfigDict()
  config.seed = 0
  config.task = task
  config.data = ml_collections.ConfigDict(data)
  config.model = ml_collections.ConfigDict(model)
  if train is not None:
    config.train = train
    config.speed = speed.speed_config()
  config.interpret = interpretation()
  return config


def interpretation() -> ml_collections.ConfigDict:
  """Settings of --mode=interpret (regjax/interpret/report.py)."""
  return ml_collections.ConfigDict({
      "num_sequences": 50,     # DNA: bound test sequences attributed (saliency, IG, ISM, temporal)
      "num_plots": 4,          # DNA: sequences drawn
      "num_starts": 16,        # class optimisation random starts
      "steps": 1000,           # class optimisation steps
      "ig_steps": 50,          # integrated-gradients steps
      "shuffles": 20,          # DNA: dinucleotide-shuffled references per sequence (DeepSHAP)
      "modisco_seqlets": 2000,  # DNA: TF-MoDISco's max seqlets per metacluster (motifs extra)
      "modisco": True,         # DNA: run TF-MoDISco when modisco-lite is installed
      "max_filters": 0,        # DNA: first-layer filters named (most informative first; 0 = all)
  })


def interpret_fast() -> ml_collections.ConfigDict:
  """A quick --mode=interpret (smoke tests, a first look)."""
  fast = interpretation()
  fast.update({"num_sequences": 6, "num_plots": 1, "num_starts": 2, "steps": 50, "ig_steps": 8,
               "shuffles": 4, "modisco": False, "max_filters": 8})
  return fast


def apply_common_args(config: ml_collections.ConfigDict, args: set[str],
                      runlocal_epochs: int = 2) -> ml_collections.ConfigDict:
  """The args every neural config accepts: runlocal (`runlocal_epochs` epochs; DNA configs also
  train on a 2,000-sequence simulation in batches of 64) and interpret_fast."""
  if "runlocal" in args:
    config.train.num_epochs = runlocal_epochs
    if config.data.name == "dna_sequences":
      config.data.name = "simulated_motifs"
      config.data.num_train, config.data.num_valid, config.data.num_test = 2000, 300, 300
      config.train.batch_size = 64
  if "interpret_fast" in args:
    config.interpret = interpret_fast()
  return config
