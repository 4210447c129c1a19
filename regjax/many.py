"""Many models in one program: K seeds, K cell types or K cross-validation folds, trained together.

Members are independent models with stacked parameters ([K, ...] on every leaf). One jitted step
trains all of them: `train.members_map = "vmap"` vectorises the single-model step over K (best on
accelerators, where one small model leaves the device idle), `"map"` runs the members one after
another inside the same compiled program (`lax.map`; on CPU, XLA runs batched matmuls and grouped
convolutions less efficiently than plain ones). Either way the K runs share one process start, one
compilation and one copy of the data.

Members:
* seeds (`train.num_seeds = K`): seeds seed .. seed + K - 1 on the same data;
* cells (`data.cells = "E003,E123"`): one member per cell (equal training-set sizes are not needed);
* folds (`train.num_folds = K`): train and valid genes pooled and split into K folds (seeded);
  member k validates on fold k and trains on the others; all share the test split.
Every member's batches, dropout keys and initial parameters are exactly those of a single run with
its seed and data, so its metrics equal that run's (batches a smaller member does not have are
masked and leave its state untouched). Each member is selected on its own validation split; with
`train.patience` a member's selection freezes at the epoch its single run would have stopped, and
training ends when every member has. For seeds and folds (one test set) the ensemble, the mean of
the members' test predictions, is scored.
"""

from __future__ import annotations

import copy
import os
import sys
import time

import jax
import ml_collections
import numpy as np
import tqdm

from regjax import (checkpoint, datasets, input_pipeline, parallel, reporting, steps, train,
                    workdir as workdirs)
from regjax.trainer import Trainer
from regjax.errors import ConfigError


def is_many(config) -> bool:
  """True when the config asks for several members."""
  return bool(config.data.get("cells")) or config.train.get("num_seeds", 1) > 1 or \
      config.train.get("num_folds", 0) > 1


def _fold_datasets(dataset: datasets.Dataset, num_folds: int, seed: int) -> list[datasets.Dataset]:
  pooled = {k: np.concatenate([dataset.splits["train"][k], dataset.splits["valid"][k]])
            for k in dataset.splits["train"]}
  order = np.random.default_rng((seed, 1234)).permutation(input_pipeline.num_examples(pooled))
  folds = np.array_split(order, num_folds)
  members = []
  for k, fold in enumerate(folds):
    rest = np.sort(np.concatenate([f for j, f in enumerate(folds) if j != k]))
    splits = {"train": {key: v[rest] for key, v in pooled.items()},
              "valid": {key: v[np.sort(fold)] for key, v in pooled.items()},
              "test": dataset.splits["test"]}
    members.append(datasets.Dataset(f"{dataset.name}/fold{k}", splits, dataset.input_keys,
                                    dataset.id_key, {**dataset.info, "fold": k}))
  return members


def member_setups(config) -> tuple[str, list[tuple[str, ml_collections.ConfigDict, datasets.Dataset]]]:
  """(kind, [(member name, member config, member dataset)]) of a many-model config."""
  cells = [c for c in str(config.data.get("cells") or "").split(",") if c]
  num_seeds = config.train.get("num_seeds", 1)
  num_folds = config.train.get("num_folds", 0)
  kinds = [name for name, on in (("cells", cells), ("seeds", num_seeds > 1),
                                 ("folds", num_folds > 1)) if on]
  if len(kinds) != 1:
    raise ConfigError("set exactly one of data.cells, train.num_seeds > 1, train.num_folds > 1")
  if config.task != "classification" and kinds[0] != "seeds":
    # Regression targets are standardised with each training split's statistics, and the members
    # share one task object: exact only when they share the training split (seeds).
    raise ConfigError(f"{config.task} configs support train.num_seeds only (not data.cells or "
                      "train.num_folds): their targets are standardised per training split")

  def member_config(**changes):
    member = copy.deepcopy(config)
    with member.unlocked():
      member.data.cells = ""
      member.train.num_seeds, member.train.num_folds = 1, 0
      for path, value in changes.items():
        section, field = path.split(".") if "." in path else (None, path)
        (member[section] if section else member)[field] = value
    return member

  if kinds[0] == "cells":
    setups = []
    for cell in cells:
      member = member_config(**{"data.cell": cell})
      setups.append((cell, member, datasets.create_dataset(member.data)))
    return "cells", setups
  dataset = datasets.create_dataset(config.data)
  if kinds[0] == "seeds":
    return "seeds", [(f"seed{config.seed + k}", member_config(seed=config.seed + k), dataset)
                     for k in range(num_seeds)]
  member = member_config()
  return "folds", [(d.name.rsplit("/", 1)[-1], member, d)
                   for d in _fold_datasets(dataset, num_folds, config.seed)]


def _stack(trees):
  """Stacks same-shaped pytrees leaf by leaf onto a new leading axis (the first tree's structure:
  members' train states differ only in their static optimizer and apply-function objects)."""
  leaves = [jax.tree.leaves(t) for t in trees]
  stacked = [jax.numpy.stack(xs) for xs in zip(*leaves)]  # jnp: PRNG keys stack too
  return jax.tree.structure(trees[0]).unflatten(stacked)


def _member(tree, k: int):
  return jax.tree.map(lambda x: x[k], tree)


class ManyTrainer:
  """K single-model trainers whose train steps run as one compiled program."""

  def __init__(self, config):
    self.config = config
    self.kind, setups = member_setups(config)
    self.names = [name for name, _, _ in setups]
    self.trainers = [Trainer(member_config, dataset) for _, member_config, dataset in setups]
    self.lead = self.trainers[0]
    self.steps = max(t.steps_per_epoch() for t in self.trainers)
    step = steps.skip_empty_batches(self.lead.step_fn)
    mode = config.train.get("members_map", "vmap")
    if mode == "vmap":
      many_step = jax.vmap(step)
    elif mode == "map":
      many_step = lambda states, batches, keys: jax.lax.map(lambda a: step(*a), (states, batches, keys))
    else:
      raise ConfigError(f"train.members_map must be 'vmap' or 'map', got {mode!r}")
    self._step = jax.jit(parallel.traced_on(self.lead.mesh, many_step), donate_argnums=0)

  def init_states(self):
    states, keys = zip(*(t.init_state() for t in self.trainers))
    return _stack(states), _stack(keys)

  def epoch_batches(self, epoch: int):
    """Stacked batches [K, B, ...] of one epoch; a member out of data gets all-masked batches.

    Each member's batches are drawn as they are needed (one batch per member in memory, not a
    second copy of every member's training split).
    """
    streams = [iter(input_pipeline.train_batches(
        trainer.dataset.splits["train"], trainer.batch_keys, trainer.config.train.batch_size,
        trainer.config.seed, epoch)) for trainer in self.trainers]
    firsts = [None] * len(streams)
    for _ in range(self.steps):
      batches = []
      for member, stream in enumerate(streams):
        batch = next(stream, None)
        if batch is None:
          batch = dict(firsts[member])
          batch["mask"] = np.zeros_like(batch["mask"])
        elif firsts[member] is None:
          firsts[member] = batch
        batches.append(batch)
      yield {k: np.stack([batch[k] for batch in batches]) for k in batches[0]}

  def train_epoch(self, states, keys, epoch: int, progress=None):
    losses = []
    for batch in self.epoch_batches(epoch):
      states, loss = self._step(states, batch, keys)
      losses.append(loss)
      if progress is not None:
        progress.update(1)
    return states, np.mean(np.stack([np.asarray(x) for x in losses]), axis=0)

  def evaluate_member(self, params, k: int, split: str) -> tuple[dict, np.ndarray]:
    """(metrics, scores) of member k on one of its splits, with the lead trainer's compiled step."""
    arrays = self.trainers[k].dataset.splits[split]
    scores = self.lead.predict(_member(params, k), arrays)
    return self.lead.task.evaluate(arrays[self.lead.task.target_key], scores), scores

  def evaluate(self, params, split: str) -> list[tuple[dict, np.ndarray]]:
    return [self.evaluate_member(params, k, split) for k in range(len(self.trainers))]


def train_many(config, workdir: str) -> dict:
  """Trains (or resumes) K members in `workdir`; writes per-member and ensemble results."""
  with workdirs.open_workdir(workdir) as workdir:
    return _train_many_locked(config, workdir)


def _train_many_locked(config, workdir: str) -> dict:
  start = time.time()
  workdirs.check_resumable(config, workdir)
  many = ManyTrainer(config)
  k = len(many.trainers)
  states, keys = many.init_states()
  ckpts = checkpoint.RunCheckpoints(workdir)
  record = {"epoch": 0, "best_epoch": [None] * k, "best_metric": [None] * k}
  best_params = jax.tree.map(np.array, states.params)  # a copy: the step donates `states`
  restored = ckpts.restore_latest({"state": states, "best_params": best_params})
  if restored is not None:
    saved, record = restored
    states, best_params = saved["state"], saved["best_params"]
    print(f"Resuming {workdir} after epoch {record['epoch']}")
  num_epochs = config.train.num_epochs
  workdirs.check_epochs(workdir, record["epoch"], num_epochs)
  workdirs.write_config(workdir, config)
  log = reporting.MetricsLog(os.path.join(workdir, "metrics.jsonl"))
  log.truncate_after(record["epoch"])
  metric = many.lead.task.selection_metric
  print(f"Training {k} {config.model.name} models ({many.kind}: {', '.join(many.names)}) in one "
        f"program ({config.train.get('members_map', 'vmap')}), {many.steps} steps/epoch, "
        f"{num_epochs} epochs")
  progress = tqdm.tqdm(total=num_epochs * many.steps, initial=record["epoch"] * many.steps,
                       unit="step", file=sys.stderr, mininterval=2.0,
                       disable=not reporting.is_writer())
  patience = config.train.get("patience", 0)

  def stopped(epoch: int) -> list[bool]:
    """Members whose single run would have stopped before `epoch` (train.patience): their
    selection is frozen, so each member's selected epoch is that of its single run."""
    return [bool(patience and b and epoch - 1 - b >= patience) for b in record["best_epoch"]]

  epochs_run = record["epoch"]
  for epoch in range(record["epoch"] + 1, num_epochs + 1):
    if all(stopped(epoch)):
      progress.write(f"Stopping early: no member improved valid_{metric} for {patience} epochs",
                     file=sys.stdout)
      break
    epoch_start = time.time()
    frozen = stopped(epoch)
    states, losses = many.train_epoch(states, keys, epoch, progress)
    values = [m[metric] for m, _ in many.evaluate(states.params, "valid")]
    improved = np.array([train.is_better(v, b) and not f
                         for v, b, f in zip(values, record["best_metric"], frozen)])
    best_params = jax.tree.map(
        lambda new, old: np.where(improved.reshape((-1,) + (1,) * (new.ndim - 1)), new, old),
        states.params, best_params)
    record = {"epoch": epoch,
              "best_epoch": [epoch if i else b for i, b in zip(improved, record["best_epoch"])],
              "best_metric": [v if i else b for i, v, b in zip(improved, values,
                                                               record["best_metric"])]}
    log.append({"epoch": epoch, "train_loss": [float(x) for x in losses],
                f"valid_{metric}": values, "epoch_time_s": round(time.time() - epoch_start, 3)})
    progress.write(f"epoch {epoch:3d}/{num_epochs}  valid_{metric} "
                   + " ".join(f"{n}={v:.4f}" for n, v in zip(many.names, values)), file=sys.stdout)
    ckpts.save_latest(epoch, {"state": states, "best_params": best_params}, record)
    epochs_run = epoch
  progress.close()
  ckpts.close()
  results = _member_results(many, best_params, record, workdir)
  results.update({"train_time_s": round(time.time() - start, 2), "num_epochs": num_epochs,
                  "epochs_run": epochs_run,
                  "environment": reporting.environment(), "config": config.to_dict(),
                  "history": log.read()})
  workdirs.write_json(os.path.join(workdir, "results.json"), results)
  return results


def _member_results(many: ManyTrainer, best_params, record: dict, workdir: str) -> dict:
  members, test_scores = [], []
  for k, (name, trainer) in enumerate(zip(many.names, many.trainers)):
    member = {"name": name, "dataset": trainer.dataset.name, "seed": trainer.config.seed,
              "selected_epoch": record["best_epoch"][k]}
    for split in ("train", "valid", "test"):
      member[split], scores = many.evaluate_member(best_params, k, split)
      arrays = trainer.dataset.splits[split]
      reporting.write_predictions(os.path.join(workdir, "predictions", name, f"{split}.tsv"),
                                  arrays[trainer.dataset.id_key], scores,
                                  arrays[trainer.task.target_key], trainer.task.target_key)
    test_scores.append(scores)
    members.append(member)
    print(f"  {name:8s} epoch {member['selected_epoch']}  test "
          + "  ".join(f"{m} {v:.4f}" for m, v in member["test"].items() if m != "num_examples"))
  results = {"model": many.config.model.name, "kind": many.kind, "members": members}
  if many.kind in ("seeds", "folds"):
    test = many.lead.dataset.splits["test"]
    ensemble = np.mean(test_scores, axis=0)
    results["ensemble"] = {"test": many.lead.task.evaluate(test[many.lead.task.target_key], ensemble)}
    reporting.write_predictions(os.path.join(workdir, "predictions", "ensemble_test.tsv"),
                                test[many.lead.dataset.id_key], ensemble,
                                test[many.lead.task.target_key], many.lead.task.target_key)
    print("  ensemble test " + "  ".join(f"{m} {v:.4f}" for m, v in
                                           results["ensemble"]["test"].items() if m != "num_examples"))
  return results
