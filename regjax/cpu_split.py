"""One train step's gradient chunks computed concurrently on the CPU's cores.

Why: XLA CPU runs the LSTM models' recurrent loops one small operation after another, so at the
published batch of 16 an AttentiveChrome step keeps one core busy and leaves the other idle; two
independent loops in one program also run one after the other (README, Performance). JAX can
present the CPU as several devices (`jax_num_cpu_devices`), and computations on different devices
run at the same time. With `train.cpu_devices` = D >= 2, the batch is cut into chunks exactly as
`train.microbatch_size` cuts it (chunk k = rows k, k + C, ...; at most ceil(B / D) rows a chunk),
device d computes the loss and gradient sums of chunks d, d + D, ..., and the first device adds
them up and takes the optimizer step. Every chunk's numbers are those of the chunked step (same
rows, same dropout key), so the update is that of `train.microbatch_size` = that chunk size, up to
the order of the final additions (with two chunks, none differs).

The devices must exist before JAX starts: `request_devices` (called by `regjax.main` and the
benchmarks before any JAX operation) asks for them; in a process where JAX already runs with one
CPU device (a notebook, the test suite), `devices_for` returns None and training uses the usual
one-device step. Only on the CPU backend, in a single process, for single-model runs.
"""

from __future__ import annotations

import functools
import sys

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from regjax import tasks, train
from regjax.errors import ConfigError

_requested = 0   # how many CPU devices this module asked JAX for (0: none)


def wanted_devices(config: ml_collections.ConfigDict) -> int:
  """train.cpu_devices (a ConfigError unless a positive integer); 1 for many-model runs (several
  seeds, folds or cells: `regjax.many` batches their members instead) and for configs without a
  train section (the scikit-learn baselines)."""
  train_config = config.get("train")
  if train_config is None:
    return 1
  count = train_config.get("cpu_devices", 1)
  if not isinstance(count, int) or count < 1:
    raise ConfigError(f"train.cpu_devices must be a positive integer, got {count!r}")
  from regjax import many  # noqa: PLC0415 (many imports train, which imports this module)
  return 1 if many.is_many(config) else count


def request_devices(*configs: ml_collections.ConfigDict, distributed: bool = False) -> bool:
  """Asks JAX for as many CPU devices as the configs' largest train.cpu_devices; must run before
  the first JAX operation.

  Returns whether they were set up (False: not wanted, a multi-process run, or JAX already running).
  Harmless on GPU and TPU machines: only the CPU backend's device count changes.
  """
  global _requested
  count = max(wanted_devices(config) for config in configs)
  if count < 2 or distributed:
    return False
  try:
    jax.config.update("jax_num_cpu_devices", count)
  except RuntimeError:   # JAX already initialised its backends in this process
    return False
  _requested = count
  return True


def mesh_devices() -> list | None:
  """The devices of a run's mesh: the first only when this module made the CPU's cores devices
  (they are for `SplitTrainStep`, not for data parallelism); None (all devices) otherwise."""
  return jax.devices()[:1] if _requested and jax.default_backend() == "cpu" else None


def devices_for(config: ml_collections.ConfigDict) -> list | None:
  """The CPU devices to spread the train step over, or None for the usual one-device step."""
  count = wanted_devices(config)
  if count < 2 or jax.default_backend() != "cpu" or jax.process_count() > 1:
    return None
  devices = jax.devices()
  if len(devices) < count:
    _notice_once(count)
    return None
  # More CPU devices than this module asked for were made for data parallelism (the mesh), not here.
  return devices[:count] if _requested >= count else None


_noticed = False


def _notice_once(count: int) -> None:
  """Says once per process why a config's train.cpu_devices is not used (a notebook, mostly)."""
  global _noticed
  if not _noticed:
    _noticed = True
    print(f"regjax: train.cpu_devices={count}, but JAX started before regjax could give it "
          f"{count} CPU devices, so training steps use one core (about 1.2x slower at batch 16). "
          "Call regjax.cpu_split.request_devices(config) before any JAX operation, or train with "
          "python -m regjax.main.", file=sys.stderr)


def chunk_size(batch_size: int, num_devices: int, microbatch_size: int = 0) -> int:
  """Rows per chunk: microbatch_size, but at most an equal share of the batch per device."""
  share = -(-batch_size // num_devices)
  return microbatch_size if 0 < microbatch_size < share else share


class SplitTrainStep:
  """`train.train_step` with its chunks spread over `devices` (see the module docstring).

  Called like the compiled step: (state on devices[0], batch of host arrays [B, ...], dropout key)
  -> (new state, mean loss), asynchronously.
  """

  def __init__(self, devices: list, apply_fn, task: tasks.Task, input_keys: tuple[str, ...],
               microbatch_size: int = 0):
    self.devices = devices
    self.microbatch_size = microbatch_size
    self._device_sums = jax.jit(functools.partial(
        _device_sums, summed_loss=train.summed_loss_fn(apply_fn, task, input_keys)))
    self._apply = jax.jit(_apply_sums, donate_argnums=0)

  def __call__(self, state, batch: dict[str, np.ndarray], dropout_key):
    size = chunk_size(len(batch["mask"]), len(self.devices), self.microbatch_size)
    chunks = train.as_chunks(batch, size, np)
    num_chunks = len(chunks["mask"])
    count = np.float32(max(float(np.sum(batch["mask"])), 1.0))
    sums = []
    for d, device in enumerate(self.devices[:num_chunks]):
      indices = np.arange(d, num_chunks, len(self.devices))
      mine = {k: v[indices] for k, v in chunks.items()}
      # Committed inputs: the computation runs on `device`, concurrently with the others.
      args = jax.device_put((state.params, state.step, dropout_key, mine, indices), device)
      sums.append(self._device_sums(*args))
    return self._apply(state, jax.device_put(sums, self.devices[0]), count)


def _device_sums(params, step, dropout_key, chunks: dict, indices, *, summed_loss):
  """(loss sum, gradient sum) over this device's chunks, with the chunked step's dropout keys."""
  key = jax.random.fold_in(dropout_key, step)
  return train.sum_over_chunks(summed_loss, params, chunks, key, indices)


def _apply_sums(state, sums: list, count):
  """Adds the devices' sums in device order and takes the optimizer step on the mean."""
  loss, grads = functools.reduce(lambda a, b: jax.tree.map(jnp.add, a, b), sums)
  return state.apply_gradients(grads=jax.tree.map(lambda g: g / count, grads)), loss / count
