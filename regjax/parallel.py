"""Device layout for data-parallel and multi-host training (the only module that knows mesh axes).

Data parallelism is `jax.jit` over a 1-D mesh of every device of every process: each batch is
sharded along its first axis over the "data" axis, parameters and optimizer state are replicated,
and XLA inserts the gradient all-reduce. On one CPU the layout is a no-op, so the same code runs
everywhere.

Multi-host: `initialize_distributed` calls `jax.distributed.initialize` (arguments from flags, or
discovered by JAX from SLURM / Cloud TPU / Open MPI environment variables). Every process builds the
same global batch from the same seeded order and transfers only its own rows to its own devices
(`jax.make_array_from_process_local_data`); results are gathered back with `process_allgather`.
"""

from __future__ import annotations

import functools
from typing import Any

import jax
import numpy as np
from jax.experimental import multihost_utils
from jax.sharding import AxisType, Mesh, NamedSharding, PartitionSpec

from regjax.errors import ConfigError

DATA_AXIS = "data"


def initialize_distributed(coordinator_address: str | None = None,
                           num_processes: int | None = None,
                           process_id: int | None = None) -> None:
  """Joins a multi-process run. Arguments left None are discovered by JAX (SLURM, TPU, MPI).

  On CPU, collectives between processes use gloo (the setting does not affect GPUs or TPUs).
  """
  jax.config.update("jax_cpu_collectives_implementation", "gloo")
  jax.distributed.initialize(coordinator_address=coordinator_address or None,
                             num_processes=num_processes, process_id=process_id)


def make_mesh(devices: list | None = None) -> Mesh:
  """A 1-D mesh over `devices` (default: all devices of all processes) with the batch axis "data"."""
  devices = list(devices if devices is not None else jax.devices())
  return jax.make_mesh((len(devices),), (DATA_AXIS,), axis_types=(AxisType.Auto,), devices=devices)


def check_batch_size(batch_size: int, mesh: Mesh, name: str = "batch_size") -> None:
  """Raises a ConfigError unless `batch_size` splits evenly over the mesh's devices."""
  num_devices = mesh.devices.size
  if batch_size % num_devices:
    lower = max(num_devices, batch_size // num_devices * num_devices)
    raise ConfigError(
        f"{name}={batch_size} does not divide evenly over {num_devices} devices; use a multiple of "
        f"{num_devices} (e.g. {lower} or {lower + num_devices})")


def traced_on(mesh: Mesh, fn):
  """`fn`, traced with `mesh` as JAX's abstract mesh, so code inside it can ask over how many
  devices the batch is split (`batch_devices`). Changes nothing else: the mesh's axes are Auto."""
  @functools.wraps(fn)
  def wrapped(*args, **kwargs):
    with jax.sharding.use_abstract_mesh(mesh.abstract_mesh):
      return fn(*args, **kwargs)
  return wrapped


def batch_devices() -> int:
  """Inside a function wrapped by `traced_on`: the number of devices the batch is split over
  (1 outside one)."""
  return max(1, jax.sharding.get_abstract_mesh().size)


def replicate(tree: Any, mesh: Mesh) -> Any:
  """Places a pytree (parameters, optimizer state) on every device of the mesh."""
  sharding = NamedSharding(mesh, PartitionSpec())
  if jax.process_count() == 1:
    return jax.device_put(tree, sharding)
  return jax.tree.map(
      lambda x: jax.make_array_from_process_local_data(sharding, np.asarray(x)), tree)


def _local_rows(sharding: NamedSharding, global_shape: tuple, axis: int = 0) -> slice:
  """The contiguous block of batch rows (along `axis`) held by this process's devices."""
  index = sharding.addressable_devices_indices_map(global_shape).values()
  starts = [i[axis].start or 0 for i in index]
  stops = [i[axis].stop if i[axis].stop is not None else global_shape[axis] for i in index]
  return slice(min(starts), max(stops))


def shard_batch(batch: dict[str, np.ndarray], mesh: Mesh, axis: int = 0) -> dict[str, jax.Array]:
  """Splits every array of a (global) host batch along its batch axis (`axis`, the first by
  default; 1 for the [steps, B] rows of a whole epoch) over the mesh.

  With several processes each one transfers only the rows its own devices hold.
  """
  sharding = NamedSharding(mesh, PartitionSpec(*[None] * axis, DATA_AXIS))
  if jax.process_count() == 1:
    return jax.device_put(batch, sharding)
  out = {}
  for key, value in batch.items():
    rows = (slice(None),) * axis + (_local_rows(sharding, value.shape, axis),)
    out[key] = jax.make_array_from_process_local_data(sharding, value[rows], value.shape)
  return out


def to_host(array: jax.Array) -> np.ndarray:
  """A (possibly multi-process) sharded array as one numpy array on every host."""
  if jax.process_count() == 1:
    return np.asarray(array)
  return np.asarray(multihost_utils.process_allgather(array, tiled=True))


def barrier(name: str) -> None:
  """Waits until every process reaches this point (no-op with one process)."""
  if jax.process_count() > 1:
    multihost_utils.sync_global_devices(name)
