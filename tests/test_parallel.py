"""Data parallelism on 8 fake CPU devices, two processes with jax.distributed, batch-size errors."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import numpy as np
import pytest

from regjax import parallel, train
from regjax.errors import ConfigError
from tests.conftest import REPO, TEST_SEED, load_config


def _env(devices: int | None) -> dict:
  env = dict(os.environ)
  env.pop("XLA_FLAGS", None)
  if devices:
    env["XLA_FLAGS"] = f"--xla_force_host_platform_device_count={devices}"
  return env


@pytest.mark.slow
def test_eight_devices_match_one_device(tmp_path):
  outputs, runs = {}, {}
  for devices in (1, 8):  # both at once: mostly compilation, one core each
    runs[devices] = subprocess.Popen([sys.executable, "tests/dp_steps.py",
                                      str(tmp_path / f"d{devices}.npz")], cwd=REPO,
                                     env=_env(devices), stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
  for devices, run in runs.items():
    _, stderr = run.communicate(timeout=600)
    assert run.returncode == 0, stderr[-3000:]
    outputs[devices] = np.load(tmp_path / f"d{devices}.npz")
  assert int(outputs[8]["num_devices"]) == 8 and int(outputs[1]["num_devices"]) == 1
  for key in outputs[1].files:
    if key == "num_devices":
      continue
    np.testing.assert_allclose(outputs[8][key], outputs[1][key], atol=1e-5, rtol=0, err_msg=key)
    if key.endswith("_predictions"):
      assert len(outputs[8][key]) > 0  # every validation example, padded batches masked
  # The LSTM models' backward pass adds up per-device partial weight gradients; it must not gather
  # the [U, T, B, H] activations of every device (as products over a merged steps x examples axis
  # made XLA do: 6 all-gathers per step, README Performance).
  for name in ("attentivechrome", "deepdiff", "attentivechrome_chunked"):
    assert int(outputs[8][f"{name}_all_gathers"]) == 0, name
  for devices in (1, 8):  # chunked gradients: the same steps as whole-batch ones
    for part in ("losses", "params", "predictions"):
      np.testing.assert_allclose(outputs[devices][f"attentivechrome_chunked_{part}"],
                                 outputs[devices][f"attentivechrome_{part}"], atol=1e-5, rtol=0)


def test_batch_size_must_divide_over_devices():
  mesh = parallel.make_mesh()
  parallel.check_batch_size(16, mesh)
  fake = type("Mesh", (), {"devices": np.empty(8)})()
  with pytest.raises(ConfigError, match="batch_size=20 does not divide evenly over 8 devices; "
                     r"use a multiple of 8 \(e.g. 16 or 24\)"):
    parallel.check_batch_size(20, fake)


def _free_port() -> int:
  with socket.socket() as s:
    s.bind(("localhost", 0))
    return s.getsockname()[1]


@pytest.mark.slow
def test_two_processes_train_together_like_one(tmp_path):
  port = _free_port()
  command = [sys.executable, "-m", "regjax.main", "--config=configs/deepchrome.py:runlocal",
             f"--workdir={tmp_path / 'two'}", f"--config.seed={TEST_SEED}", "--distributed",
             f"--coordinator_address=localhost:{port}", "--num_processes=2"]
  processes = [subprocess.Popen(command + [f"--process_id={i}"], cwd=REPO, env=_env(None),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for i in range(2)]
  for process in processes:
    _, stderr = process.communicate(timeout=600)
    assert process.returncode == 0, stderr[-3000:]
  together = json.load(open(tmp_path / "two" / "results.json"))
  assert together["environment"]["process_count"] == 2
  alone = train.train_and_evaluate(load_config("deepchrome", "runlocal"), str(tmp_path / "one"))
  for split in ("train", "valid", "test"):
    assert together[split]["auroc"] == pytest.approx(alone[split]["auroc"], abs=1e-9)
  np.testing.assert_allclose([h["train_loss"] for h in together["history"]],
                             [h["train_loss"] for h in alone["history"]], rtol=1e-5)
