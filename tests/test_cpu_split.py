"""A train step's chunks on two CPU devices (regjax/cpu_split.py): the same steps as one device."""

from __future__ import annotations

import os
import subprocess
import sys

import jax
import numpy as np
import pytest

from regjax import cpu_split, train
from regjax.errors import ConfigError
from tests.conftest import REPO, load_config


@pytest.mark.slow
def test_split_steps_equal_the_chunked_one_device_steps(tmp_path):
  env = dict(os.environ)
  env.pop("XLA_FLAGS", None)   # no fake devices: the helper asks JAX for the two it needs
  out = tmp_path / "split.npz"
  run = subprocess.run([sys.executable, "tests/cpu_split_steps.py", str(out)], cwd=REPO, env=env,
                       capture_output=True, text=True, timeout=600)
  assert run.returncode == 0, run.stderr[-3000:]
  result = np.load(out)
  assert bool(result["requested"])
  for case in ("attentivechrome", "attentivechrome_uneven", "deepchrome"):
    split, single = f"{case}_2", f"{case}_1"
    assert int(result[f"{split}_split_devices"]) == 2, case   # the split ran ...
    assert int(result[f"{single}_split_devices"]) == 0, case  # ... the reference did not
    # Both meshes hold one device: the second CPU device is a core for the split, not a data-
    # parallel replica.
    assert int(result[f"{split}_mesh_devices"]) == int(result[f"{single}_mesh_devices"]) == 1
    tolerance = 1e-7 if case == "attentivechrome_uneven" else 0.0   # two chunks: same additions
    for part in ("losses", "params"):
      np.testing.assert_allclose(result[f"{split}_{part}"], result[f"{single}_{part}"],
                                 rtol=0, atol=tolerance, err_msg=f"{case} {part}")


def test_chunk_size_is_an_equal_share_or_the_microbatch():
  assert cpu_split.chunk_size(16, 2) == 8
  assert cpu_split.chunk_size(16, 2, microbatch_size=32) == 8
  assert cpu_split.chunk_size(256, 2, microbatch_size=32) == 32
  assert cpu_split.chunk_size(10, 2, microbatch_size=4) == 4
  assert cpu_split.chunk_size(15, 2) == 8   # the last chunk padded with a masked row


def test_too_late_to_ask_falls_back_to_one_device_and_says_so(monkeypatch, capsys):
  jax.devices()  # JAX is running in this process (as in a notebook)
  monkeypatch.setattr(cpu_split, "_noticed", False)
  config = load_config("attentivechrome")
  assert config.train.cpu_devices == 2
  assert not cpu_split.request_devices(config)
  assert cpu_split.devices_for(config) is None
  assert cpu_split.mesh_devices() is None
  assert "train.cpu_devices=2" in capsys.readouterr().err
  cpu_split.devices_for(config)
  assert capsys.readouterr().err == ""   # once per process


@pytest.mark.parametrize("value", [0, -1])
def test_bad_cpu_devices_is_a_config_error(value):
  config = load_config("attentivechrome")
  config.train.cpu_devices = value
  with pytest.raises(ConfigError, match="train.cpu_devices"):
    train.Trainer(config)
