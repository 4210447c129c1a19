"""Batches: fixed size, padded and masked, never dropping an example; shuffling is seeded."""

from __future__ import annotations

import numpy as np

from regjax import input_pipeline


def _arrays(n=10):
  return {"x": np.arange(n * 2, dtype=np.float32).reshape(n, 2), "y": np.arange(n)}


def test_eval_batches_pad_and_mask_without_dropping():
  batches = list(input_pipeline.eval_batches(_arrays(10), ("x", "y"), 4))
  assert [b["x"].shape for b in batches] == [(4, 2)] * 3
  np.testing.assert_array_equal(batches[-1]["mask"], [1, 1, 0, 0])
  seen = np.concatenate([b["y"][b["mask"] == 1] for b in batches])
  np.testing.assert_array_equal(seen, np.arange(10))


def test_train_batches_cover_every_example_once_per_epoch():
  batches = list(input_pipeline.train_batches(_arrays(10), ("y",), 4, seed=0, epoch=1))
  seen = np.concatenate([b["y"][b["mask"] == 1] for b in batches])
  assert sorted(seen.tolist()) == list(range(10))
  assert input_pipeline.num_batches(_arrays(10), 4) == len(batches) == 3


def test_shuffling_depends_on_seed_and_epoch_only():
  def order(seed, epoch):
    return np.concatenate([b["y"] for b in input_pipeline.train_batches(_arrays(50), ("y",), 50,
                                                                        seed, epoch)])
  np.testing.assert_array_equal(order(0, 1), order(0, 1))
  assert not np.array_equal(order(0, 1), order(0, 2))
  assert not np.array_equal(order(0, 1), order(1, 1))


def test_train_batch_indices_gather_the_train_batches_exactly():
  arrays = _arrays(10)
  for batch_size in (3, 4, 5, 16):
    index, mask = input_pipeline.train_batch_indices(10, batch_size, seed=2, epoch=3)
    batches = list(input_pipeline.train_batches(arrays, ("x", "y"), batch_size, seed=2, epoch=3))
    assert index.shape == mask.shape == (len(batches), batch_size) and index.dtype == np.int32
    for rows, row_mask, batch in zip(index, mask, batches):
      np.testing.assert_array_equal(arrays["x"][rows], batch["x"])
      np.testing.assert_array_equal(arrays["y"][rows], batch["y"])
      np.testing.assert_array_equal(row_mask, batch["mask"])


def test_padded_rows_repeat_the_last_batchs_first_row_masked_out():
  index, mask = input_pipeline.padded_rows(np.array([5, 6, 7, 8, 9]), 2)
  np.testing.assert_array_equal(index, [[5, 6], [7, 8], [9, 9]])
  np.testing.assert_array_equal(mask, [[1, 1], [1, 1], [1, 0]])
  index, mask = input_pipeline.padded_rows(np.array([3, 1]), 2)
  np.testing.assert_array_equal(index, [[3, 1]])
  np.testing.assert_array_equal(mask, [[1, 1]])
