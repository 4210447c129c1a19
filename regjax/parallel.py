"""Device layout for data-parallel training (the only module that knows mesh axis names).

Data parallelism is `jax.jit` over a 1-D mesh of all devices: each batch is sharded along its first
axis over the "data" axis, parameters and optimizer state are replicated, and XLA inserts the
gradient all-reduce. On one CPU this is a no-op layout, so the same code runs everywhere.
"""

from __future__ import annotations

from typing import Any

import jax
import numpy as np
from jax.sharding import AxisType, Mesh, NamedSharding, PartitionSpec

from regjax.errors import ConfigError

DATA_AXIS = "data"


def make_mesh(devices: list | None = None) -> Mesh:
  """A 1-D mesh over `devices` (default: all devices) with the batch axis "data"."""
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


def replicate(tree: Any, mesh: Mesh) -> Any:
  """Places a pytree (parameters, optimizer state) on every device of the mesh."""
  return jax.device_put(tree, NamedSharding(mesh, PartitionSpec()))


def shard_batch(batch: dict[str, np.ndarray], mesh: Mesh) -> dict[str, jax.Array]:
  """Splits every array of a host batch along its first axis over the mesh."""
  return jax.device_put(batch, NamedSharding(mesh, PartitionSpec(DATA_AXIS)))
