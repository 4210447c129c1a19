"""Training and evaluation of the neural models: `train_and_evaluate(config, workdir)`.

Each epoch trains on shuffled, padded batches (jit-compiled step, batch sharded over the device
mesh), evaluates on the full validation split and checkpoints. The epoch with the best validation
metric (AUROC for classification, Pearson r for regression; the earliest on ties) is selected, and
its parameters are evaluated once on valid and test. Runs are deterministic for a seed: shuffling
is seeded by (seed, epoch) and dropout keys by (seed, step), so a killed run resumed from its
latest checkpoint ends with exactly the metrics of an uninterrupted one.
"""

from __future__ import annotations

import functools
import os
import sys
import time

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import optax
import tqdm
from flax.training import train_state

from regjax import (checkpoint, cpu_split, datasets, input_pipeline, models, parallel, plotting,
                    reporting, tasks)
from regjax.errors import ConfigError, UserError

# Config fields a resumed run may change without invalidating its checkpoints (and interpret.*).
# train.microbatch_size, train.microbatch_platforms and train.cpu_devices only regroup the sums of
# one update (same steps up to float rounding), and runs started before they existed have none.
_RESUMABLE_CHANGES = ("train.num_epochs", "train.eval_batch_size", "train.microbatch_size",
                      "train.microbatch_platforms", "train.cpu_devices", "data.data_dir")


def create_optimizer(train_config: ml_collections.ConfigDict,
                     steps_per_epoch: int = 1) -> optax.GradientTransformation:
  """The optimizer of `train_config`, with optional gradient clipping and learning-rate schedule.

  Fields: optimizer ("adam" | "sgd"), learning_rate, weight_decay (L2 added to the gradient, as
  Torch7), momentum (sgd), learning_rate_decay (Torch7 sgd: lr / (1 + step * decay)),
  lr_halving_epochs (DeepMotif: halve the rate every that many epochs; 0 = off),
  grad_clip_norm (global norm; 0 = off), grad_clip_value (element-wise clamp; 0 = off).
  """
  lr = train_config.learning_rate
  decay = train_config.get("learning_rate_decay", 0.0)
  halving = train_config.get("lr_halving_epochs", 0)
  if decay and halving:
    raise ConfigError("set train.learning_rate_decay or train.lr_halving_epochs, not both")
  schedule = lr
  if decay:
    schedule = lambda step: lr / (1.0 + step * decay)
  elif halving:
    schedule = optax.exponential_decay(lr, transition_steps=halving * steps_per_epoch,
                                       decay_rate=0.5, staircase=True)
  chain = []
  if train_config.get("grad_clip_norm", 0.0):
    chain.append(optax.clip_by_global_norm(train_config.grad_clip_norm))
  if train_config.get("grad_clip_value", 0.0):
    chain.append(optax.clip(train_config.grad_clip_value))
  if train_config.get("weight_decay", 0.0):
    chain.append(optax.add_decayed_weights(train_config.weight_decay))
  name = train_config.optimizer
  if name == "adam":
    chain.append(optax.adam(schedule))
  elif name == "sgd":
    chain.append(optax.sgd(schedule, momentum=train_config.get("momentum", 0.0) or None))
  else:
    raise ConfigError(f"unknown train.optimizer {name!r}; expected 'adam' or 'sgd'")
  return optax.chain(*chain)


def _model_inputs(batch, input_keys):
  return [batch[k] for k in input_keys]


def train_step(state: train_state.TrainState, batch: dict, dropout_key: jax.Array, *,
               task: tasks.Task, input_keys: tuple[str, ...], microbatch_size: int = 0):
  """One optimizer step on the masked mean loss of `batch`; returns (new state, loss).

  With 0 < microbatch_size < batch size, the gradient is summed over chunks of `microbatch_size`
  examples (`_chunked_loss_and_grads`) before the one optimizer step: the same update up to float
  rounding, with each chunk's dropout drawn from its own key.
  """
  key = jax.random.fold_in(dropout_key, state.step)
  summed_loss = summed_loss_fn(state.apply_fn, task, input_keys)
  count = jnp.maximum(jnp.sum(batch["mask"]), 1.0)
  if 0 < microbatch_size < batch["mask"].shape[0]:
    loss, grads = _chunked_loss_and_grads(summed_loss, state.params, batch, key, microbatch_size)
    loss, grads = loss / count, jax.tree.map(lambda g: g / count, grads)
  else:
    loss, grads = jax.value_and_grad(lambda p: summed_loss(p, batch, key) / count)(state.params)
  return state.apply_gradients(grads=grads), loss


def summed_loss_fn(apply_fn, task: tasks.Task, input_keys: tuple[str, ...]):
  """(params, examples, dropout key) -> the masked sum of the training loss over the examples."""
  def summed_loss(params, examples, examples_key):
    outputs = apply_fn({"params": params}, *_model_inputs(examples, input_keys), train=True,
                       rngs={"dropout": examples_key})
    return jnp.sum(task.loss(outputs, examples) * examples["mask"])
  return summed_loss


def _chunked_loss_and_grads(summed_loss, params, batch: dict, key: jax.Array, size: int):
  """Sum of `summed_loss` and of its gradient over the batch, `size` examples at a time.

  Why: the LSTM models keep every step's activations for the backward pass; at batch 256 those are
  ~400 MB per train step, which XLA CPU allocates afresh each step (the kernel then zeroes ~98,000
  new pages) and which no longer fit in cache. A `lax.scan` over chunks reuses one chunk's worth of
  memory (README, Performance).
  """
  chunks = as_chunks(batch, size, jnp)
  return sum_over_chunks(summed_loss, params, chunks, key, jnp.arange(len(chunks["mask"])))


def as_chunks(batch: dict, size: int, xp=np) -> dict:
  """The batch as [C, size, ...] chunks (`xp`: numpy on the host, jax.numpy inside jit).

  A batch that `size` does not divide is padded as the input pipeline pads (copies of row 0, masked
  out). Chunk k holds rows k, k + C, k + 2C, ... (C chunks): a batch sharded over devices along its
  first axis keeps its rows on their devices.
  """
  batch_size = batch["mask"].shape[0]
  num_chunks = -(-batch_size // size)
  fill = num_chunks * size - batch_size
  if fill:
    batch = {k: xp.concatenate([v, xp.zeros_like(v[:fill]) if k == "mask"
                                else xp.repeat(v[:1], fill, axis=0)]) for k, v in batch.items()}
  return {k: xp.swapaxes(v.reshape(size, num_chunks, *v.shape[1:]), 0, 1)
          for k, v in batch.items()}


def sum_over_chunks(summed_loss, params, chunks: dict, key: jax.Array, indices: jax.Array):
  """(loss, gradient) of `summed_loss` summed over `chunks` ([C, size, ...]) in order, chunk j's
  dropout drawn from fold_in(key, indices[j]), so a chunk's numbers do not depend on which device
  or program computes it (`cpu_split`)."""
  def chunk_loss_and_grads(index, chunk):
    return jax.value_and_grad(summed_loss)(params, chunk, jax.random.fold_in(key, index))

  def accumulate(totals, indexed_chunk):
    return jax.tree.map(jnp.add, totals, chunk_loss_and_grads(*indexed_chunk)), None

  first = jax.tree.map(lambda a: a[0], chunks)
  zeros = jax.tree.map(lambda s: jnp.zeros(s.shape, s.dtype),
                       jax.eval_shape(chunk_loss_and_grads, indices[0], first))
  totals, _ = jax.lax.scan(accumulate, zeros, (indices, chunks))
  return totals


def eval_step(params, batch: dict, *, apply_fn, task: tasks.Task, input_keys: tuple[str, ...]):
  """Scores [B] of a batch (padded rows included; the caller drops them by mask)."""
  outputs = apply_fn({"params": params}, *_model_inputs(batch, input_keys), train=False)
  return task.score(outputs)


class Trainer:
  """The compiled steps and the data of one run; shared by training, evaluation and prediction."""

  def __init__(self, config: ml_collections.ConfigDict, dataset: datasets.Dataset | None = None):
    _check_config(config)
    self.config = config
    self.task = tasks.get_task(config.task, config.get("loss"))
    self.dataset = dataset or datasets.create_dataset(config.data)
    self.model = models.create_model(config.model)
    split_devices = cpu_split.devices_for(config)
    self.mesh = parallel.make_mesh(cpu_split.mesh_devices())
    parallel.check_batch_size(config.train.batch_size, self.mesh, "train.batch_size")
    parallel.check_batch_size(config.train.eval_batch_size, self.mesh, "train.eval_batch_size")
    self.input_keys = self.dataset.input_keys
    self.batch_keys = (*self.input_keys, *self.task.target_keys)
    _check_targets(self.dataset, self.task)
    self.task = self.task.fit_targets(self.dataset.splits["train"])
    if self.task.name == "regression" and config.model.get("num_outputs") != 1:
      raise ConfigError("task 'regression' needs model.num_outputs=1")
    self.tx = create_optimizer(config.train, self.steps_per_epoch())
    self._train_step = jax.jit(parallel.traced_on(self.mesh, functools.partial(
        train_step, task=self.task, input_keys=self.input_keys,
        microbatch_size=chunk_size(config.train, self.mesh))), donate_argnums=0)
    self.split_step = None   # train.cpu_devices >= 2 with the devices there: see cpu_split
    if split_devices:
      self.split_step = cpu_split.SplitTrainStep(
          split_devices, self.model.apply, self.task, self.input_keys,
          chunk_size(config.train, self.mesh))
    self._eval_step = jax.jit(functools.partial(
        eval_step, apply_fn=self.model.apply, task=self.task, input_keys=self.input_keys))
    self._attend = None
    if hasattr(self.model, "attend"):
      self._attend = jax.jit(lambda params, batch: _attention_maps(self.model.apply(
          {"params": params}, *_model_inputs(batch, self.input_keys), method="attend")))

  def init_state(self) -> tuple[train_state.TrainState, jax.Array]:
    """Fresh parameters and optimizer state, and the dropout key, both from config.seed."""
    init_key, dropout_key = jax.random.split(jax.random.key(self.config.seed))
    train = self.dataset.splits["train"]
    sample = [jnp.asarray(train[k][:1]) for k in self.input_keys]
    params = self.model.init(init_key, *sample, train=False)["params"]
    state = train_state.TrainState.create(apply_fn=self.model.apply, params=params, tx=self.tx)
    return state, dropout_key

  def train_epoch(self, state, dropout_key, epoch: int, progress=None):
    """Trains one epoch; returns (state, mean training loss)."""
    losses = []
    batches = input_pipeline.train_batches(self.dataset.splits["train"], self.batch_keys,
                                           self.config.train.batch_size, self.config.seed, epoch)
    for batch in batches:
      state, loss = self.train_step(state, batch, dropout_key)
      losses.append(loss)
      if progress is not None:
        progress.update(1)
    return state, float(np.mean([float(loss) for loss in losses]))

  def train_step(self, state, batch: dict[str, np.ndarray], dropout_key):
    """One optimizer step on a host batch: (new state, mean loss), asynchronously."""
    if self.split_step:
      return self.split_step(state, batch, dropout_key)
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


def _check_config(config: ml_collections.ConfigDict) -> None:
  for field in ("num_epochs", "batch_size", "eval_batch_size"):
    value = config.train.get(field)
    if not isinstance(value, int) or value <= 0:
      raise ConfigError(f"train.{field} must be a positive integer, got {value!r}")
  _check_microbatch_size(config.train)
  cpu_split.wanted_devices(config)
  if not config.train.learning_rate > 0:
    raise ConfigError(f"train.learning_rate must be positive, got {config.train.learning_rate!r}")


_PLATFORMS = ("cpu", "gpu", "tpu")   # what a JAX device's .platform reads (CUDA and ROCm: "gpu")


def _check_microbatch_size(train_config: ml_collections.ConfigDict) -> None:
  size = train_config.get("microbatch_size", 0)
  if not isinstance(size, int) or size < 0:
    raise ConfigError(f"train.microbatch_size must be 0 (off) or a positive integer, got {size!r}")
  _chunk_platforms(train_config)


def _chunk_platforms(train_config: ml_collections.ConfigDict) -> frozenset[str]:
  """The platforms of train.microbatch_platforms ("all", or names from _PLATFORMS joined by
  commas); a ConfigError for anything else, so that a misspelt name does not silently turn
  chunking off."""
  text = train_config.get("microbatch_platforms", "all")
  names = ({p.strip() for p in text.split(",")} if isinstance(text, str) else {None})
  if names == {"all"}:
    return frozenset(_PLATFORMS)
  if not names or not names <= set(_PLATFORMS):
    raise ConfigError("train.microbatch_platforms must be 'all' or comma-separated JAX platforms "
                      f"from {', '.join(_PLATFORMS)} (e.g. 'cpu' or 'cpu,gpu'), got {text!r}")
  return frozenset(names)


def chunk_size(train_config: ml_collections.ConfigDict, mesh) -> int:
  """The chunk size of `train_step`: train.microbatch_size rounded up to a multiple of the number
  of devices, so every chunk splits evenly over them; 0 (off) when the mesh's platform ("cpu",
  "gpu", "tpu") is not in train.microbatch_platforms ("all": every platform).

  The LSTM models chunk by default on CPU only: there one chunk's saved activations fit memory that
  XLA reuses (1.4x faster at batch 256), while on a GPU the chunks serialise work that the chip
  would otherwise do at once (AttentiveChrome at batch 256 on an H100: 9,200 genes/s in chunks of
  32, 65,000 whole; README, Performance).
  """
  size, devices = train_config.get("microbatch_size", 0), mesh.devices.size
  if mesh.devices.flat[0].platform not in _chunk_platforms(train_config):
    return 0
  return -(-size // devices) * devices


def _attention_maps(outputs: dict) -> dict:
  return {k: v for k, v in outputs.items() if k.startswith(("alpha", "beta"))}


def _check_targets(dataset: datasets.Dataset, task: tasks.Task) -> None:
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


def _is_better(value: float, best: float | None) -> bool:
  if not np.isfinite(value):
    return False
  return best is None or value > best


def _flat(config: ml_collections.ConfigDict, prefix: str = "") -> dict:
  out = {}
  for key, value in config.items():
    name = f"{prefix}{key}"
    if isinstance(value, (dict, ml_collections.ConfigDict)):
      out.update(_flat(ml_collections.ConfigDict(value), f"{name}."))
    else:
      out[name] = list(value) if isinstance(value, tuple) else value
  return out


def _check_resumable(config: ml_collections.ConfigDict, workdir: str) -> None:
  """Refuses to resume a workdir that was started with a different config."""
  path = os.path.join(workdir, "config.json")
  if not os.path.exists(path):
    return
  old = _flat(ml_collections.ConfigDict(reporting.read_json(path)))
  new = _flat(config)
  changed = [k for k in sorted(set(old) | set(new))
             if old.get(k) != new.get(k) and k not in _RESUMABLE_CHANGES
             and not k.startswith("interpret.")]
  if changed:
    details = "; ".join(f"{k}: {old.get(k)!r} -> {new.get(k)!r}" for k in changed[:5])
    raise UserError(f"workdir {workdir} holds a run with a different config ({details}). "
                    "Use a new --workdir, or the original config to resume it.")


def train_and_evaluate(config: ml_collections.ConfigDict, workdir: str) -> dict:
  """Trains (or resumes) a run in `workdir`, selects the best epoch, evaluates it, writes results.

  Returns:
    The results.json record: selected epoch, train/valid/test metrics, time, config.
  """
  start_time = time.time()
  workdir = os.path.abspath(workdir)
  os.makedirs(workdir, exist_ok=True)
  _check_resumable(config, workdir)
  trainer = Trainer(config)
  reporting.write_json(os.path.join(workdir, "config.json"), config.to_dict())
  state, dropout_key = trainer.init_state()
  ckpts = checkpoint.RunCheckpoints(workdir)
  record = {"epoch": 0, "best_epoch": None, "best_metric": None}
  restored = ckpts.restore_latest(state)
  if restored is not None:
    state, record = restored
    print(f"Resuming {workdir} after epoch {record['epoch']} (step {int(state.step)})")
  state = parallel.replicate(state, trainer.mesh)
  log = reporting.MetricsLog(os.path.join(workdir, "metrics.jsonl"))
  log.truncate_after(record["epoch"])

  num_epochs, steps = config.train.num_epochs, trainer.steps_per_epoch()
  metric_name = trainer.task.selection_metric
  print(f"Training {config.model.name} on {trainer.dataset.name} ({config.task}): "
        f"{input_pipeline.num_examples(trainer.dataset.splits['train'])} training examples, "
        f"{steps} steps/epoch, {num_epochs} epochs, {_num_params(state.params):,} parameters, "
        f"{trainer.mesh.devices.size} device(s)")
  progress = tqdm.tqdm(total=num_epochs * steps, initial=min(record["epoch"], num_epochs) * steps,
                       unit="step", file=sys.stderr, mininterval=2.0, dynamic_ncols=True,
                       disable=not reporting.is_writer())
  patience = config.train.get("patience", 0)
  for epoch in range(record["epoch"] + 1, num_epochs + 1):
    if patience and record["best_epoch"] and epoch - 1 - record["best_epoch"] >= patience:
      progress.write(f"Stopping early: no better valid_{metric_name} for {patience} epochs",
                     file=sys.stdout)
      break
    epoch_start = time.time()
    state, train_loss = trainer.train_epoch(state, dropout_key, epoch, progress)
    valid_metrics, _ = trainer.evaluate(state.params, "valid")
    value = valid_metrics[metric_name]
    if _is_better(value, record["best_metric"]):
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
  progress.close()

  results = evaluate_best(trainer, ckpts, workdir, state.params)
  results["train_time_s"] = round(time.time() - start_time, 2)
  results["num_epochs"] = num_epochs
  results["epochs_run"] = record["epoch"]
  results["history"] = log.read()
  reporting.write_json(os.path.join(workdir, "results.json"), results)
  if reporting.is_writer():
    figure = plotting.plot_training_curves(
        results["history"], results["selected_epoch"], os.path.join(workdir, "training_curves.png"),
        title=f"{config.model.name} on {trainer.dataset.name}")
    plotting.close(figure)
  ckpts.close()
  _print_summary(results)
  return results


def evaluate_best(trainer: Trainer, ckpts: checkpoint.RunCheckpoints, workdir: str,
                  params_template) -> dict:
  """Restores the best parameters and evaluates them on every split; writes predictions."""
  restored = ckpts.restore_best(params_template)
  if restored is None:
    raise UserError(f"{workdir} has no best checkpoint yet (no epoch finished with a finite "
                    f"validation {trainer.task.selection_metric})")
  params, best_record = restored
  params = parallel.replicate(params, trainer.mesh)
  results = {
      "model": trainer.config.model.name,
      "task": trainer.task.name,
      "dataset": trainer.dataset.name,
      "data": trainer.dataset.info,
      "selection_metric": f"valid_{trainer.task.selection_metric}",
      "selected_epoch": best_record["epoch"],
      "num_params": _num_params(params),
  }
  if trainer.task.name != "classification" and trainer.task.standardize_targets:
    results["target_standardisation"] = {"mean": trainer.task.target_mean,
                                         "std": trainer.task.target_std}
  for split in ("train", "valid", "test"):
    split_metrics, scores = trainer.evaluate(params, split)
    results[split] = split_metrics
    arrays = trainer.dataset.splits[split]
    reporting.write_predictions(os.path.join(workdir, "predictions", f"{split}.tsv"),
                                arrays[trainer.dataset.id_key], scores,
                                arrays[trainer.task.target_key], trainer.task.target_key)
  test_attention = trainer.attention(params, trainer.dataset.splits["test"])
  if test_attention is not None and reporting.is_writer():
    path = os.path.join(workdir, "attention", "test.npz")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    np.savez_compressed(path, ids=trainer.dataset.splits["test"][trainer.dataset.id_key],
                        **test_attention)
    results["attention_file"] = os.path.relpath(path, workdir)
  results["environment"] = reporting.environment()
  results["config"] = trainer.config.to_dict()
  return results


def evaluate_workdir(config: ml_collections.ConfigDict, workdir: str) -> dict:
  """Re-evaluates the best checkpoint of a finished or running workdir; writes evaluation.json.

  The model and data are those of the workdir's own config.json (what was trained), whatever
  `config` says; `config` is used only for a workdir without one. To score other data with a
  trained model use --mode=predict.
  """
  workdir = os.path.abspath(workdir)
  if not os.path.isdir(os.path.join(workdir, "checkpoints", "best")):
    raise UserError(f"{workdir} holds no trained run (no checkpoints/best); train it first with "
                    "--mode=train")
  saved = os.path.join(workdir, "config.json")
  if os.path.exists(saved):
    config = ml_collections.ConfigDict(reporting.read_json(saved))
  trainer = Trainer(config)
  state, _ = trainer.init_state()
  ckpts = checkpoint.RunCheckpoints(workdir)
  try:
    results = evaluate_best(trainer, ckpts, workdir, state.params)
  except (ValueError, KeyError) as e:  # orbax's message for a tree or shape mismatch
    raise UserError(f"the checkpoint in {workdir} does not fit this config's model "
                    f"({config.model.name}): {_first_line(e)}") from None
  finally:
    ckpts.close()
  reporting.write_json(os.path.join(workdir, "evaluation.json"), results)
  _print_summary(results)
  return results


def load_trained(workdir: str, config: ml_collections.ConfigDict | None = None):
  """(Trainer, best params) of a trained workdir, for notebooks, interpretation and prediction.

  Args:
    workdir: a workdir written by `train_and_evaluate`.
    config: defaults to the workdir's own config.json.
  """
  workdir = os.path.abspath(workdir)
  if config is None:
    path = os.path.join(workdir, "config.json")
    if not os.path.exists(path):
      raise UserError(f"{workdir} holds no trained run (no config.json)")
    config = ml_collections.ConfigDict(reporting.read_json(path))
  trainer = Trainer(config)
  state, _ = trainer.init_state()
  ckpts = checkpoint.RunCheckpoints(workdir)
  try:
    restored = ckpts.restore_best(state.params)
  except (ValueError, KeyError) as e:  # orbax's message for a tree or shape mismatch
    raise UserError(f"the checkpoint in {workdir} does not fit the model of its config (trained "
                    f"with an older regjax?): {_first_line(e)}") from None
  finally:
    ckpts.close()
  if restored is None:
    raise UserError(f"{workdir} has no best checkpoint yet")
  return trainer, restored[0]


def _first_line(error: Exception) -> str:
  """Orbax's mismatch messages dump whole parameter trees; the first line says what is wrong."""
  return (str(error).strip().splitlines() or [""])[0][:200]


def _num_params(params) -> int:
  return int(sum(np.prod(x.shape) for x in jax.tree.leaves(params)))


def _print_summary(results: dict) -> None:
  def fmt(metrics):
    return "  ".join(f"{k} {v:.4f}" for k, v in metrics.items()
                     if k != "num_examples" and v is not None)
  print(f"Selected epoch {results['selected_epoch']} by {results['selection_metric']}")
  for split in ("train", "valid", "test"):
    print(f"  {split:5s}  {fmt(results[split])}  (n={results[split]['num_examples']})")
