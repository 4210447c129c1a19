"""Building blocks for `configs/*.py`: the shared data, training and arg-parsing fields.

Config files stay the experiment's single source of truth (each one's docstring gives its command
line); this module only removes the copy-paste between them.
"""

from __future__ import annotations

from collections.abc import Iterable

import ml_collections


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
      "archive_dir": "",       # folder with E###/classification/{train,valid,test}.csv
      "data_dir": "",          # TFDS cache; default $REGJAX_DATA_DIR or ~/.cache/regjax
  })


def training(optimizer: str = "adam", learning_rate: float = 1e-3, batch_size: int = 16,
             num_epochs: int = 30, grad_clip_norm: float = 0.0) -> ml_collections.ConfigDict:
  """Optimizer and loop settings (see regjax.train.create_optimizer for each field)."""
  return ml_collections.ConfigDict({
      "optimizer": optimizer,
      "learning_rate": learning_rate,
      "learning_rate_decay": 0.0,
      "momentum": 0.0,
      "weight_decay": 0.0,
      "grad_clip_norm": grad_clip_norm,
      "grad_clip_value": 0.0,
      "batch_size": batch_size,
      "microbatch_size": 0,    # > 0: sum gradients over chunks of this size (same update; speed)
      "microbatch_platforms": "cpu",  # where microbatch_size applies: "cpu", "cpu,gpu", "all"
      "cpu_devices": 1,        # >= 2: on CPU, chunks of a step run concurrently on this many cores
      "eval_batch_size": 256,
      "num_epochs": num_epochs,
      "patience": 0,           # stop after this many epochs without a better validation metric
      "num_seeds": 1,          # > 1: train seeds seed..seed+K-1 together (regjax.many)
      "num_folds": 0,          # > 1: K cross-validation folds of train+valid, trained together
      "members_map": "vmap",   # how many-model runs batch their members: "vmap" or "map"
  })


def experiment(task: str, data, model: dict,
               train: ml_collections.ConfigDict | None = None) -> ml_collections.ConfigDict:
  """The top-level config: seed, task, data, model and (for neural models) train."""
  config = ml_collections.ConfigDict()
  config.seed = 0
  config.task = task
  config.data = ml_collections.ConfigDict(data)
  config.model = ml_collections.ConfigDict(model)
  if train is not None:
    config.train = train
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
  })


def interpret_fast() -> ml_collections.ConfigDict:
  """A quick --mode=interpret (smoke tests, a first look)."""
  fast = interpretation()
  fast.update({"num_sequences": 6, "num_plots": 1, "num_starts": 2, "steps": 50, "ig_steps": 8})
  return fast


def deepchrome_model(num_outputs: int = 2) -> dict:
  """DeepChrome as published (2 softmax outputs; 1 for regression), on log(count + 1) inputs."""
  return {
      "name": "deepchrome",
      "num_filters": 50,
      "kernel_size": 10,
      "pool_size": 5,
      "hidden_sizes": (625, 125),
      "dropout_rate": 0.5,
      "num_outputs": num_outputs,
      "input_transform": "log1p",
  }


def attentivechrome_model() -> dict:
  """AttentiveChrome as published: raw counts, BiLSTM 32 per mark, HM-level BiLSTM 16, U(-0.1, 0.1)."""
  return {
      "name": "attentivechrome",
      "bin_hidden_size": 32,
      "mark_hidden_size": 16,
      "num_outputs": 1,
      "init_scale": 0.1,
      "input_transform": "none",
      "unroll": 1,
      "remat": False,  # speed only: recomputing LSTM gates pays off at large batches
      "fused_lstm": True,  # speed only: bin-level BiLSTMs in one loop (models/fused_lstm.py)
  }


def attentivechrome_training() -> ml_collections.ConfigDict:
  """AttentiveChrome's published training: Adam 2e-4, batch 16, gradient-norm clip 1, 30 epochs.

  On CPU, batches larger than 32 are run as chunks of 32 (`train.microbatch_size`, the same
  update): 1.4x faster at batch 256. Not on GPUs (`train.microbatch_platforms`), where it is 7x
  slower (README, Performance). On CPU the step's gradient is computed in two halves on two cores
  at once (`train.cpu_devices`, regjax/cpu_split.py; the same update): 1.18x at batch 16, 1.43x
  at 256.
  """
  config = training("adam", 2e-4, batch_size=16, num_epochs=30, grad_clip_norm=1.0)
  config.microbatch_size = 32
  config.cpu_devices = 2
  return config


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


def deepmotif_training() -> ml_collections.ConfigDict:
  """DeepMotif's published training: Adam 1e-2 halved every 10 epochs, clamp +/-5, batch 256, 50 epochs."""
  config = training("adam", 1e-2, batch_size=256, num_epochs=50)
  config.lr_halving_epochs = 10
  config.patience = 15  # ours: stop after 15 epochs without a better validation AUROC
  config.grad_clip_value = 5.0
  config.eval_batch_size = 512
  return config


def deepmotif_experiment(model: dict, arg: str | None) -> ml_collections.ConfigDict:
  """A DeepMotif config: TF binding on real ENCODE ChIP-seq peaks (DeepBind's data, bundled REST by
  default), trained on the `_AC` peaks plus one dinucleotide-shuffled negative per peak (10 % carved
  out for validation first) and tested on the `_B` set, with DeepMotif's published training
  (`deepmotif_training`). Args: runlocal (2 epochs of batch 64 on a 2,000-sequence simulation),
  interpret_fast (a quick --mode=interpret)."""
  args = parse_args(arg, {"runlocal", "interpret_fast"})
  config = experiment("classification", dna_data("REST"), model, deepmotif_training())
  if "runlocal" in args:
    config.data.name = "simulated_motifs"
    config.data.num_train, config.data.num_valid, config.data.num_test = 2000, 300, 300
    config.train.num_epochs = 2
    config.train.batch_size = 64
  if "interpret_fast" in args:
    config.interpret = interpret_fast()
  return config
