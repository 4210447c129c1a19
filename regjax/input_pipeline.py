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


def padded_rows(order: np.ndarray, batch_size: int) -> tuple[np.ndarray, np.ndarray]:
  """`order` cut into batches of `batch_size` rows, the last one padded.

  Returns:
    (index int32 [S, batch_size], mask float32 [S, batch_size]): batch j is rows index[j], where
    the padding repeats the last batch's first row (real values, so no NaN can appear) with
    mask 0. Every batcher here forms its batches from these rows, on the host or on a device.
  """
  size = len(order)
  steps = -(-size // batch_size)
  fill = steps * batch_size - size
  mask = np.ones(steps * batch_size, np.float32)
  if fill:
    order = np.concatenate([order, np.repeat(order[(steps - 1) * batch_size], fill)])
    mask[size:] = 0.0
  return (np.asarray(order, np.int32).reshape(steps, batch_size),
          mask.reshape(steps, batch_size))


def _batches(arrays: Arrays, keys: Sequence[str], order: np.ndarray,
             batch_size: int) -> Iterator[Arrays]:
  for rows, mask in zip(*padded_rows(order, batch_size)):
    yield {**{k: arrays[k][rows] for k in keys}, "mask": mask}


def epoch_order(size: int, seed: int, epoch: int) -> np.ndarray:
  """The shuffled example order [size] of one training epoch (seeded by (seed, epoch))."""
  return np.random.default_rng((seed, epoch)).permutation(size)


def train_batches(arrays: Arrays, keys: Sequence[str], batch_size: int, seed: int,
                  epoch: int) -> Iterator[Arrays]:
  """One epoch of shuffled batches of the fields `keys`, each [batch_size, ...] plus `mask`."""
  return _batches(arrays, keys, epoch_order(num_examples(arrays), seed, epoch), batch_size)


def train_batch_indices(size: int, batch_size: int, seed: int,
                        epoch: int) -> tuple[np.ndarray, np.ndarray]:
  """The rows (index [S, batch_size], mask [S, batch_size]) of `train_batches`' batches, for data
  already on a device: gathering them gives `train_batches`' batches."""
  return padded_rows(epoch_order(size, seed, epoch), batch_size)


def eval_batches(arrays: Arrays, keys: Sequence[str], batch_size: int) -> Iterator[Arrays]:
  """Batches in file order, each [batch_size, ...] plus `mask`; the last one padded."""
  return _batches(arrays, keys, np.arange(num_examples(arrays)), batch_size)
