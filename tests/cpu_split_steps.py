"""Helper for test_cpu_split.py: a few SGD steps with the step's chunks on two CPU devices, and the
same steps through the one-device chunked step; must start before JAX does (hence a subprocess).

Run as `python tests/cpu_split_steps.py OUT.npz`; writes per case the losses and final parameters
of both runs and what the trainer chose (devices of the split, devices of the mesh).
"""

from __future__ import annotations

import sys

import jax
import numpy as np

sys.path.insert(0, ".")
from regjax import cpu_split, parallel, train  # noqa: E402
from tests.conftest import load_config  # noqa: E402

# (label, config, batch size, microbatch size): two chunks of 8; three chunks of 4 (two on the first
# device, one on the second; the last one padded); DeepChrome for its dropout keys.
CASES = [("attentivechrome", "attentivechrome", 16, 32),
         ("attentivechrome_uneven", "attentivechrome", 10, 4),
         ("deepchrome", "deepchrome", 16, 0)]


def run(name: str, batch_size: int, microbatch_size: int, cpu_devices: int, steps: int = 3):
  config = load_config(name)
  config.train.optimizer, config.train.learning_rate = "sgd", 1e-2  # as tests/dp_steps.py
  config.train.lr_halving_epochs = 0
  config.train.batch_size, config.train.microbatch_size = batch_size, microbatch_size
  config.train.cpu_devices = cpu_devices
  if cpu_devices == 1:   # the reference: the one-device step in chunks of the split's size
    config.train.microbatch_size = cpu_split.chunk_size(batch_size, 2, microbatch_size)
  trainer = train.Trainer(config)
  state, key = trainer.init_state()
  state = parallel.replicate(state, trainer.mesh)
  arrays, losses = trainer.dataset.splits["train"], []
  for i in range(steps):
    batch = {k: arrays[k][i * batch_size:(i + 1) * batch_size] for k in trainer.batch_keys}
    batch["mask"] = np.ones(batch_size, np.float32)
    batch["mask"][-1] = 0.0   # a masked row: the mean must count only the others
    state, loss = trainer.train_step(state, batch, key)
    losses.append(float(loss))
  params = np.concatenate([np.ravel(np.asarray(x)) for x in jax.tree.leaves(state.params)])
  split_devices = len(trainer.split_step.devices) if trainer.split_step else 0
  return np.array(losses), params, split_devices, trainer.mesh.devices.size


if __name__ == "__main__":
  requested = cpu_split.request_devices(load_config("attentivechrome"))  # cpu_devices = 2
  out = {"requested": np.array(requested)}
  for label, name, batch_size, microbatch_size in CASES:
    for cpu_devices in (2, 1):
      losses, params, split, mesh = run(name, batch_size, microbatch_size, cpu_devices)
      tag = f"{label}_{cpu_devices}"
      out.update({f"{tag}_losses": losses, f"{tag}_params": params,
                  f"{tag}_split_devices": np.array(split), f"{tag}_mesh_devices": np.array(mesh)})
  np.savez(sys.argv[1], **out)
