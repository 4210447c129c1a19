"""Training of the neural models: `train_and_evaluate(config, workdir)`.

Each epoch trains on shuffled, padded batches (jit-compiled step, batch sharded over the device
mesh), evaluates on the full validation split and checkpoints. The epoch with the best validation
metric (AUROC for classification, Pearson r for regression; the earliest on ties) is selected, and
its parameters are evaluated once on every split. Runs are deterministic for a seed: shuffling is
seeded by (seed, epoch) and dropout keys by (seed, step), so a killed run resumed from its latest
checkpoint ends with exactly the metrics of an uninterrupted one.
"""

from __future__ import annotations

import os
import sys
import time

import ml_collections
import numpy as np
import tqdm

from regjax import (checkpoint, evaluation, input_pipeline, parallel, plotting, reporting,
                    workdir as workdirs)
from regjax.trainer import Trainer


def is_better(value: float, best: float | None) -> bool:
  """Model selection: a finite validation metric above the best so far (ties keep the earlier)."""
  if not np.isfinite(value):
    return False
  return best is None or value > best


def train_and_evaluate(config: ml_collections.ConfigDict, workdir: str) -> dict:
  """Trains (or resumes) a run in `workdir`, selects the best epoch, evaluates it, writes results.

  Returns:
    The results.json record: selected epoch, train/valid/test metrics, time, config.
  """
  with workdirs.open_workdir(workdir) as workdir:
    return _train_locked(config, workdir)


def _train_locked(config: ml_collections.ConfigDict, workdir: str) -> dict:
  start_time = time.time()
  workdirs.check_resumable(config, workdir)
  trainer = Trainer(config)
  state, dropout_key = trainer.init_state()   # validates the model's fields against the data
  ckpts = checkpoint.RunCheckpoints(workdir)
  record = {"epoch": 0, "best_epoch": None, "best_metric": None}
  restored = ckpts.restore_latest(state)
  if restored is not None:
    state, record = restored
    print(f"Resuming {workdir} after epoch {record['epoch']} (step {int(state.step)})")
  num_epochs = config.train.num_epochs
  workdirs.check_epochs(workdir, record["epoch"], num_epochs)
  workdirs.write_config(workdir, config)
  state = parallel.replicate(state, trainer.mesh)
  log = reporting.MetricsLog(os.path.join(workdir, "metrics.jsonl"))
  log.truncate_after(record["epoch"])

  steps = trainer.steps_per_epoch()
  print(f"Training {config.model.name} on {trainer.dataset.name} ({config.task}): "
        f"{input_pipeline.num_examples(trainer.dataset.splits['train'])} training examples, "
        f"{steps} steps/epoch, {num_epochs} epochs, {evaluation.num_params(state.params):,} "
        f"parameters, {trainer.mesh.devices.size} device(s)")
  progress = tqdm.tqdm(total=num_epochs * steps, initial=record["epoch"] * steps,
                       unit="step", file=sys.stderr, mininterval=2.0, dynamic_ncols=True,
                       disable=not reporting.is_writer())
  try:
    state, record, stopped_early = _epochs(trainer, state, dropout_key, record, ckpts, log,
                                           progress)
  finally:
    progress.close()   # before any error line, which would otherwise land on the bar

  results = evaluation.evaluate_best(trainer, ckpts, workdir, state.params)
  results.update({"train_time_s": round(time.time() - start_time, 2), "num_epochs": num_epochs,
                  "epochs_run": record["epoch"], "stopped_early": stopped_early,
                  "history": log.read()})
  workdirs.write_json(os.path.join(workdir, "results.json"), results)
  if reporting.is_writer():
    path = os.path.join(workdir, "training_curves.png")
    try:
      figure = plotting.plot_training_curves(
          results["history"], results["selected_epoch"], path,
          title=f"{config.model.name} on {trainer.dataset.name}")
    except OSError as e:
      raise workdirs.os_error(path, e) from None
    plotting.close(figure)
  ckpts.close()
  evaluation.print_summary(results)
  return results


def _epochs(trainer: Trainer, state, dropout_key, record: dict, ckpts, log, progress):
  """The epoch loop: train, validate, select, checkpoint. Returns (state, record, stopped_early)."""
  config, metric_name = trainer.config, trainer.task.selection_metric
  num_epochs = config.train.num_epochs
  patience = config.train.get("patience", 0)
  stopped_early = False
  for epoch in range(record["epoch"] + 1, num_epochs + 1):
    if patience and record["best_epoch"] and epoch - 1 - record["best_epoch"] >= patience:
      progress.write(f"Stopping early: no better valid_{metric_name} for {patience} epochs",
                     file=sys.stdout)
      stopped_early = True
      break
    epoch_start = time.time()
    state, train_loss = trainer.train_epoch(state, dropout_key, epoch, progress)
    valid_metrics, _ = trainer.evaluate(state.params, "valid")
    value = valid_metrics[metric_name]
    if is_better(value, record["best_metric"]):
      record = {**record, "best_epoch": epoch, "best_metric": value}
      ckpts.save_best(int(state.step), state.params, {"epoch": epoch, "valid": valid_metrics})
    line = {"epoch": epoch, "step": int(state.step), "train_loss": train_loss,
            **{f"valid_{k}": v for k, v in valid_metrics.items() if k != "num_examples"},
            "epoch_time_s": round(time.time() - epoch_start, 3)}
    log.append(line)
    progress.write(f"epoch {epoch:3d}/{num_epochs}  train_loss {train_loss:.4f}  "
                   f"valid_{metric_name} {value:.4f}  best {record['best_metric'] or float('nan'):.4f}"
                   f" (epoch {record['best_epoch']})  {line['epoch_time_s']:.1f}s", file=sys.stdout)
    record = {**record, "epoch": epoch}
    ckpts.save_latest(int(state.step), state, record)
  return state, record, stopped_early
