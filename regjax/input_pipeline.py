"""In-memory splits -> shuffled, padded numpy batches.

The data sets of this project are small (a REMC cell is 6,600 genes x 100 x 5 floats per split), so
each split is held in memory and batches are gathered by index. Shuffling is seeded by
(seed, epoch), which makes an epoch's order independent of whether the run was resumed.

Every batch has a fixed size (one compiled shape) and a float32 `mask` [B]: the last batch is
padded with copies of its first example and masked, so neither training nor evaluation drops
examples.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

Arrays = dict[str, np.ndarray]


def num_examples(arrays: Arrays) -> int:
  return len(next(iter(arrays.values())))


def num_batches(arrays: Arrays, batch_size: int) -> int:
  return -(-num_examples(arrays) // batch_size)


def pad_batch(batch: Arrays, batch_size: int) -> Arrays:
  """Pads every array of `batch` to `batch_size` rows and adds the float32 `mask` [batch_size]."""
  size = num_examples(batch)
  mask = np.zeros(batch_size, np.float32)
  mask[:size] = 1.0
  if size < batch_size:
    fill = np.zeros(batch_size - size, dtype=np.int64)  # repeat row 0: real values, masked out
    batch = {k: np.concatenate([v, v[fill]]) for k, v in batch.items()}
  return {**batch, "mask": mask}


def _batches(arrays: Arrays, keys: Sequence[str], order: np.ndarray,
             batch_size: int) -> Iterator[Arrays]:
  for start in range(0, len(order), batch_size):
    index = order[start:start + batch_size]
    yield pad_batch({k: arrays[k][index] for k in keys}, batch_size)


def epoch_order(size: int, seed: int, epoch: int) -> np.ndarray:
  """The shuffled example order [size] of one training epoch (seeded by (seed, epoch))."""
  return np.random.default_rng((seed, epoch)).permutation(size)


def train_batches(arrays: Arrays, keys: Sequence[str], batch_size: int, seed: int,
                  epoch: int) -> Iterator[Arrays]:
  """One epoch of shuffled batches of the fields `keys`, each [batch_size, ...] plus `mask`."""
  return _batches(arrays, keys, epoch_order(num_examples(arrays), seed, epoch), batch_size)


def train_batch_indices(size: int, batch_size: int, seed: int,
                        epoch: int) -> tuple[np.ndarray, np.ndarray]:
  """The rows of `train_batches`' batches instead of their values, for data already on a device.

  Returns:
    (index int32 [S, batch_size], mask float32 [S, batch_size]) for the S batches of the epoch:
    batch j is rows index[j] of every field, padded exactly as `pad_batch` pads (with the batch's
    first row, masked out), so gathering them gives `train_batches`' batches.
  """
  order = epoch_order(size, seed, epoch)
  steps = -(-size // batch_size)
  fill = steps * batch_size - size
  mask = np.ones(steps * batch_size, np.float32)
  if fill:
    order = np.concatenate([order, np.repeat(order[(steps - 1) * batch_size], fill)])
    mask[size:] = 0.0
  return (order.astype(np.int32).reshape(steps, batch_size),
          mask.reshape(steps, batch_size))


def eval_batches(arrays: Arrays, keys: Sequence[str], batch_size: int) -> Iterator[Arrays]:
  """Batches in file order, each [batch_size, ...] plus `mask`; the last one padded."""
  return _batches(arrays, keys, np.arange(num_examples(arrays)), batch_size)
