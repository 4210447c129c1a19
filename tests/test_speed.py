"""Speed settings (`regjax.speed`): platform defaults, explicit values, and their checks."""

from __future__ import annotations

import pytest

from regjax import speed
from regjax.errors import ConfigError, UserError
from regjax.trainer import Trainer
from tests.conftest import load_config


def test_lstm_families_chunk_on_cpu_only_by_default():
  """AttentiveChrome and the LSTM chunk in 32s and DeepDiff in 16s on CPU; nothing chunks on a
  GPU or TPU by default, and the CNNs never do."""
  for name, size in (("attentivechrome", 32), ("lstm", 32), ("deepdiff", 16), ("deepchrome", 0)):
    config = load_config(name)
    assert speed.microbatch_size(config, "cpu") == size, name
    assert speed.microbatch_size(config, "gpu") == 0
    assert speed.microbatch_size(config, "tpu", num_devices=4) == 0


def test_an_explicit_chunk_size_applies_everywhere_and_rounds_up_to_the_devices():
  config = load_config("deepchrome")
  sizes = []
  for size in (0, 5, 8, 12):
    config.speed.microbatch_size = size
    sizes.append(speed.microbatch_size(config, "gpu", num_devices=8))
  assert sizes == [0, 8, 8, 16]


@pytest.mark.parametrize("field,value,message", [
    ("microbatch_size", -4, "speed.microbatch_size must be 0 .off. or a positive integer, got -4"),
    ("unroll", 0, "speed.unroll must be a positive integer"),
    ("remat", "yes", "speed.remat must be true or false"),
    ("device_data", "true", "speed.device_data must be true or false, got 'true'"),
])
def test_bad_speed_values_are_config_errors(field, value, message):
  config = load_config("attentivechrome")
  config.speed[field] = value
  with pytest.raises(UserError, match=message):
    speed.check(config)


def test_model_knobs_reach_the_model_and_are_refused_where_they_do_not_apply():
  config = load_config("attentivechrome")
  config.speed.fused_lstm, config.speed.unroll = False, 2
  model = Trainer(config).model
  assert model.fused_lstm is False and model.unroll == 2
  config = load_config("deepchrome")
  config.speed.remat = True
  with pytest.raises(ConfigError, match="speed.remat does not apply to model 'deepchrome'"):
    Trainer(config)


def test_device_data_by_size_unless_chosen():
  config = load_config("deepchrome")
  assert speed.device_data(config, 13_000_000)
  assert not speed.device_data(config, speed.DEVICE_DATA_LIMIT_BYTES + 1)
  config.speed.device_data = False
  assert not speed.device_data(config, 1)
  config.speed.device_data = True
  assert speed.device_data(config, speed.DEVICE_DATA_LIMIT_BYTES + 1)


@pytest.mark.slow   # two compiled steps, 10 s; the fast tier checks the rows (test_input_pipeline)
def test_batches_gathered_on_the_device_train_exactly_as_host_batches():
  """One epoch with the training split on the device equals one with host batches: same loss,
  same parameters (the same batches, padding and dropout keys)."""
  import jax
  import numpy as np
  config = load_config("deepchrome")
  config.train.batch_size = 24       # 200 training genes: a padded last batch
  trainer = Trainer(config)          # reads speed.device_data at every epoch
  results = []
  for on_device in (False, True):
    config.speed.device_data = on_device
    state, key = trainer.init_state()
    state, loss = trainer.train_epoch(state, key, epoch=1)
    results.append((loss, jax.tree.leaves(state.params)))
  assert trainer._device_train is not None   # the second epoch did gather on the device
  (loss_host, params_host), (loss_device, params_device) = results
  assert loss_device == pytest.approx(loss_host, rel=1e-6)
  for host, device in zip(params_host, params_device):
    np.testing.assert_allclose(device, host, rtol=1e-5, atol=1e-7)
