"""Reading prepared TFDS data back: the bulk decoder of plain features equals TFDS's own."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow_datasets as tfds

from regjax import datasets
from regjax.datasets import tfds_io
from tests.conftest import load_config


def _both_ways(config, monkeypatch):
  """(bulk-decoded, TFDS-decoded) splits of one data set."""
  bulk = datasets.create_dataset(config).splits
  with monkeypatch.context() as patch:
    patch.setattr(tfds_io, "_plain_specs", lambda source: None)
    through_tfds = datasets.create_dataset(config).splits
  return bulk, through_tfds


@pytest.mark.parametrize("name,overrides", [
    ("deepchrome", {}),                                    # histone_bins: text, label, 100 x 5
    ("deepdiff", {}),                                      # deepdiff_pairs: two cells' marks
    ("deepmotif_cnn", {}),                                 # dna: uint8 codes
    ("deepmotif_cnn", {"name": "simulated_motifs"}),       # int32 / int8 scalars
])
def test_bulk_decoding_equals_tfds_decoding(name, overrides, monkeypatch):
  config = load_config(name).data
  for key, value in overrides.items():
    config[key] = value
  bulk, through_tfds = _both_ways(config, monkeypatch)
  assert bulk.keys() == through_tfds.keys()
  for split in bulk:
    assert bulk[split].keys() == through_tfds[split].keys()
    for key, expected in through_tfds[split].items():
      got = bulk[split][key]
      assert got.dtype == expected.dtype and got.shape == expected.shape, (split, key)
      if got.dtype.kind == "f":
        np.testing.assert_array_equal(got, expected)       # NaN where both have NaN
      else:
        assert (got == expected).all(), (split, key)


class _Source:
  def __init__(self, features):
    self.dataset_info = type("Info", (), {"features": features})()
    self.data_source = None


def test_features_tfds_stores_otherwise_go_through_tfds():
  plain = tfds.features.FeaturesDict({"x": tfds.features.Tensor(shape=(3,), dtype=np.float32),
                                      "name": tfds.features.Text()})
  assert tfds_io._plain_specs(_Source(plain)) == {"x": ("float_list", (3,)),
                                                   "name": ("bytes_list", ())}
  for feature in (tfds.features.Tensor(shape=(3,), dtype=np.float32, encoding="zlib"),
                  tfds.features.Tensor(shape=(None,), dtype=np.float32),
                  tfds.features.Sequence(tfds.features.Scalar(dtype=np.int32))):
    assert tfds_io._plain_specs(_Source(tfds.features.FeaturesDict({"x": feature}))) is None


def test_a_record_of_the_wrong_length_is_named():
  from tensorflow_datasets.proto import tf_example_pb2
  example = tf_example_pb2.Example()
  example.features.feature["x"].float_list.value.extend([1.0, 2.0])
  with pytest.raises(ValueError, match=r"record 0 has 2 values of 'x'.*\(3,\)"):
    tfds_io._decode_plain([example.SerializeToString()], {"x": ("float_list", (3,))})
