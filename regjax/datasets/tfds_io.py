"""Preparing a TFDS builder once (array_record, no TensorFlow) and reading its splits into memory."""

from __future__ import annotations

import contextlib

import jax
import numpy as np
import tensorflow_datasets as tfds
from absl import logging


def read_all(source) -> dict[str, np.ndarray]:
  """Decodes every record of a TFDS data source into stacked arrays (small data sets).

  Text becomes str, floats float32 and integers int32, whatever TFDS decoded them to.
  """
  records = source.__getitems__(range(len(source)))
  arrays = {}
  for key in records[0]:
    values = np.stack([r[key] for r in records])
    if values.dtype.kind in "SO":
      values = np.array([v.decode() if isinstance(v, bytes) else v for v in values])
    elif values.dtype.kind == "f":
      values = values.astype(np.float32)
    elif values.dtype.kind in "iu":
      values = values.astype(np.int32)
    arrays[key] = values
  return arrays


@contextlib.contextmanager
def _quiet_absl():
  """TFDS warns 'Using custom data configuration' for every config built at run time."""
  previous = logging.get_verbosity()
  logging.set_verbosity(logging.ERROR)
  try:
    yield
  finally:
    logging.set_verbosity(previous)


def load(builder_class, config, data_dir: str, splits, download_config=None):
  """{split: arrays} of `builder_class(config)`, preparing it first when `data_dir` has no copy."""
  from regjax import parallel
  with _quiet_absl():
    builder = builder_class(config=config, data_dir=data_dir, file_format="array_record")
  if jax.process_index() == 0:
    prepare_and_read(builder, [], download_config)
  parallel.barrier(f"prepared {builder.name}/{config.name}")  # others wait: no concurrent writers
  return prepare_and_read(builder, splits, download_config)


def prepare_and_read(builder: tfds.core.DatasetBuilder, splits, download_config=None):
  """{split: arrays} of `builder`, preparing it first when its cache folder has no copy."""
  if not builder.is_prepared():
    print(f"Preparing {builder.name}/{builder.builder_config.name} in {builder.data_dir} "
          "(first use; cached afterwards)")
    tfds.disable_progress_bar()  # its per-split bars drown our own progress output
    builder.download_and_prepare(download_config=download_config)
  return {split: read_all(builder.as_data_source(split)) for split in splits}
