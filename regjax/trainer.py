"""`Trainer`: a run's data, model, task and compiled steps, shared by training, evaluation and
prediction. It knows nothing of workdirs (`regjax.workdir`) or of the epoch loop (`regjax.train`).
"""

from __future__ import annotations

import functools
import sys

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
from flax.training import train_state

from regjax import datasets, input_pipeline, models, optimizers, parallel, speed, steps, tasks
from regjax.errors import ConfigError


class Trainer:
  """The compiled steps and the data of one run.

  Args:
    config: a neural experiment config (`train` section).
    dataset: the data (default: `datasets.create_dataset(config.data)`).
    mesh: the devices the batch is split over (default: every device JAX sees).
  """

  def __init__(self, config: ml_collections.ConfigDict, dataset: datasets.Dataset | None = None,
               mesh=None):
    check_config(config)
    self.config = config
    self.task = tasks.get_task(config.task, config.get("loss"))
    self.model = models.create_model(
        config.model, speed.model_options(config, models.field_names(config.model.name)))
    self.dataset = dataset or datasets.create_dataset(config.data)
    self.mesh = mesh or parallel.make_mesh()
    parallel.check_batch_size(config.train.batch_size, self.mesh, "train.batch_size")
    parallel.check_batch_size(config.train.eval_batch_size, self.mesh, "train.eval_batch_size")
    self.input_keys = self.dataset.input_keys
    self.batch_keys = (*self.input_keys, *self.task.target_keys)
    check_targets(self.dataset, self.task)
    self.task = self.task.fit_targets(self.dataset.splits["train"])
    if self.task.name == "regression" and config.model.get("num_outputs") != 1:
      raise ConfigError("task 'regression' needs model.num_outputs=1")
    self.tx = optimizers.create_optimizer(config.train, self.steps_per_epoch())
    self.microbatch_size = speed.microbatch_size(
        config, self.mesh.devices.flat[0].platform, self.mesh.devices.size)
    reverse_complement = bool(config.train.get("reverse_complement", False))
    if reverse_complement and self.input_keys != ("sequence",):
      raise ConfigError("train.reverse_complement is for DNA sequence models; "
                        f"{self.dataset.name} has inputs {', '.join(self.input_keys)}")
    self.step_fn = functools.partial(steps.train_step, task=self.task, input_keys=self.input_keys,
                                     microbatch_size=self.microbatch_size,
                                     reverse_complement=reverse_complement)
    self._train_step = jax.jit(parallel.traced_on(self.mesh, self.step_fn), donate_argnums=0)
    self._indexed_train_step = jax.jit(parallel.traced_on(self.mesh, functools.partial(
        steps.indexed_train_step, **self.step_fn.keywords)), donate_argnums=0)
    self._device_train = None   # the training split's batch fields on the device, once placed
    self._eval_step = jax.jit(functools.partial(
        steps.eval_step, apply_fn=self.model.apply, task=self.task, input_keys=self.input_keys))
    self._attend = self._log_odds = None
    if hasattr(self.model, "attend"):
      self._attend = jax.jit(functools.partial(steps.attention_step, model=self.model,
                                               input_keys=self.input_keys))

  def init_state(self) -> tuple[train_state.TrainState, jax.Array]:
    """Fresh parameters and optimizer state, and the dropout key, both from config.seed."""
    init_key, dropout_key = jax.random.split(jax.random.key(self.config.seed))
    train = self.dataset.splits["train"]
    sample = [jnp.asarray(train[k][:1]) for k in self.input_keys]
    params = self.model.init(init_key, *sample, train=False)["params"]
    state = train_state.TrainState.create(apply_fn=self.model.apply, params=params, tx=self.tx)
    return state, dropout_key

  def train_epoch(self, state, dropout_key, epoch: int, progress=None):
    """Trains one epoch; returns (state, mean training loss).

    The batches are `input_pipeline.train_batches`' whichever way they are formed: gathered on
    the host and transferred one by one, or (`speed.device_data`) gathered on the device from the
    training split placed there once.
    """
    losses = []
    for state, loss in self._epoch_steps(state, dropout_key, epoch):
      losses.append(loss)
      if progress is not None:
        progress.update(1)
    return state, float(np.mean([float(loss) for loss in losses]))

  def _epoch_steps(self, state, dropout_key, epoch: int):
    """Yields (state, loss) after each step of the epoch."""
    train = self.dataset.splits["train"]
    batch_size, seed = self.config.train.batch_size, self.config.seed
    if not speed.device_data(self.config, sum(train[k].nbytes for k in self.batch_keys)):
      for batch in input_pipeline.train_batches(train, self.batch_keys, batch_size, seed, epoch):
        state, loss = self.train_step(state, batch, dropout_key)
        yield state, loss
      return
    if self._device_train is None:
      self._device_train = parallel.replicate({k: train[k] for k in self.batch_keys}, self.mesh)
    index, mask = input_pipeline.train_batch_indices(input_pipeline.num_examples(train),
                                                     batch_size, seed, epoch)
    if int(state.step) % len(index):   # steps.indexed_train_step finds its batch from the step
      raise RuntimeError(f"epoch {epoch} starts at step {int(state.step)}, which is not a "
                         f"multiple of its {len(index)} steps")
    rows = parallel.shard_batch({"index": index, "mask": mask}, self.mesh, axis=1)
    for _ in range(len(index)):
      state, loss = self._indexed_train_step(state, self._device_train, rows, dropout_key)
      yield state, loss

  def train_step(self, state, batch: dict[str, np.ndarray], dropout_key):
    """One optimizer step on a host batch: (new state, mean loss), asynchronously."""
    return self._train_step(state, parallel.shard_batch(batch, self.mesh), dropout_key)

  def _over_eval_batches(self, fn, params, arrays: dict):
    """fn(params, sharded batch) over padded batches of `arrays`, concatenated without the padding."""
    outputs = []
    for batch in input_pipeline.eval_batches(arrays, self.input_keys,
                                             self.config.train.eval_batch_size):
      mask = batch.pop("mask").astype(bool)
      out = fn(params, parallel.shard_batch(batch, self.mesh))
      outputs.append(jax.tree.map(lambda v: parallel.to_host(v)[mask], out))
    return jax.tree.map(lambda *parts: np.concatenate(parts), *outputs)

  def predict(self, params, arrays: dict) -> np.ndarray:
    """Scores [N] of every example of `arrays`, in order."""
    return self._over_eval_batches(self._eval_step, params, arrays)

  def log_odds(self, params, arrays: dict) -> np.ndarray:
    """log P(on) / P(off) [N] of every example (classification models)."""
    if self.task.name != "classification":
      raise ConfigError(f"log-odds need a classification model; this one does {self.task.name}")
    if self._log_odds is None:
      self._log_odds = jax.jit(functools.partial(
          steps.log_odds_step, apply_fn=self.model.apply, input_keys=self.input_keys))
    return self._over_eval_batches(self._log_odds, params, arrays)

  def attention(self, params, arrays: dict) -> dict[str, np.ndarray] | None:
    """Attention maps of every example ({"alpha": [N, C, T], "beta": [N, K], ...}), or None when
    the model has none."""
    if self._attend is None:
      return None
    return self._over_eval_batches(self._attend, params, arrays)

  def evaluate(self, params, split: str) -> tuple[dict, np.ndarray]:
    """(metrics, scores [N]) of `params` on a whole split."""
    arrays = self.dataset.splits[split]
    scores = self.predict(params, arrays)
    return self.task.evaluate(arrays[self.task.target_key], scores), scores

  def steps_per_epoch(self) -> int:
    return input_pipeline.num_batches(self.dataset.splits["train"], self.config.train.batch_size)


def check_config(config: ml_collections.ConfigDict) -> None:
  """ConfigError for a `train` or `speed` value regjax cannot use."""
  for field in ("num_epochs", "batch_size", "eval_batch_size"):
    value = config.train.get(field)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
      raise ConfigError(f"train.{field} must be a positive integer, got {value!r}")
  patience = config.train.get("patience", 0)
  if isinstance(patience, bool) or not isinstance(patience, int) or patience < 0:
    raise ConfigError(f"train.patience must be 0 (off) or a positive integer, got {patience!r}")
  if not isinstance(config.train.learning_rate, (int, float)) or not config.train.learning_rate > 0:
    raise ConfigError(f"train.learning_rate must be positive, got {config.train.learning_rate!r}")
  speed.check(config)


def check_targets(dataset: datasets.Dataset, task: tasks.Task) -> None:
  """ConfigError when a split lacks the task's targets; a warning on stderr for a classification
  split with one class only (its AUROC is undefined, so model selection cannot work on it)."""
  for split, arrays in dataset.splits.items():
    for key in task.target_keys:
      if key not in arrays:
        raise ConfigError(f"task {task.name!r} needs {key!r}, which {dataset.name} does not have")
      targets = arrays[key]
      if not np.all(np.isfinite(targets)):
        raise ConfigError(
            f"task {task.name!r} needs {key!r} for every example, but the {split} split of "
            f"{dataset.name} has {int(np.sum(~np.isfinite(targets)))} missing values (the "
            "DeepChrome archive has labels only; regression needs the bundled REMC sample)")
    if task.name == "classification":
      classes = np.unique(arrays[task.target_key])
      consequence = {"train": "the model cannot learn to tell classes apart",
                     "valid": "AUROC is undefined, so no epoch can be selected"}.get(split)
      if len(classes) < 2 and consequence:
        print(f"warning: the {split} split of {dataset.name} has only class "
              f"{classes.tolist()} ({input_pipeline.num_examples(arrays)} examples): "
              f"{consequence}", file=sys.stderr)
