"""Helper for test_parallel.py: N SGD steps of every model family on however many devices JAX sees.

Run as `python tests/dp_steps.py OUT.npz` (with XLA_FLAGS=--xla_force_host_platform_device_count=8
for 8 fake CPU devices); writes each family's losses and final parameters.
"""

from __future__ import annotations

import sys

import jax
import numpy as np

sys.path.insert(0, ".")
from regjax import parallel  # noqa: E402
from regjax.trainer import Trainer  # noqa: E402
from tests.conftest import load_config  # noqa: E402

# The convolutional path is DeepChrome's (the DeepMotif CNN shards its batch the same way); the
# recurrent paths are AttentiveChrome's and DeepDiff's, whose backward pass must not gather.
FAMILIES = ["deepchrome", "attentivechrome", "deepdiff"]


def run(name: str, steps: int = 3, batch_size: int = 16, microbatch_size: int = 0,
        label: str | None = None) -> dict[str, np.ndarray]:
  config = load_config(name)
  config.speed.microbatch_size = microbatch_size
  # Plain SGD: Adam's update lr * m / sqrt(v) turns float rounding in tiny gradients into whole
  # lr-sized differences, which would test the optimiser rather than the data parallelism.
  config.train.optimizer, config.train.learning_rate = "sgd", 1e-2
  config.train.lr_halving_epochs = 0
  config.train.batch_size = batch_size
  trainer = Trainer(config)
  state, key = trainer.init_state()
  state = parallel.replicate(state, trainer.mesh)
  losses = []
  batches = trainer.dataset.splits["train"]
  for i in range(steps):
    batch = {k: batches[k][i * batch_size:(i + 1) * batch_size] for k in trainer.batch_keys}
    batch["mask"] = np.ones(batch_size, np.float32)
    batch = parallel.shard_batch(batch, trainer.mesh)
    if i == 0:  # compiled once, both to run and to count what it sends between devices
      step = trainer._train_step.lower(state, batch, key).compile()
      hlo = step.as_text()
    state, loss = step(state, batch, key)
    losses.append(float(loss))
  flat = np.concatenate([np.ravel(np.asarray(x)) for x in jax.tree.leaves(state.params)])
  predictions = trainer.predict(state.params, trainer.dataset.splits["valid"])
  label = label or name
  return {f"{label}_losses": np.array(losses), f"{label}_params": flat,
          f"{label}_predictions": predictions,
          f"{label}_all_gathers": np.array(hlo.count(" all-gather("))}


if __name__ == "__main__":
  out = {"num_devices": np.array(len(jax.devices()))}
  for family in FAMILIES:
    out.update(run(family))
  # Gradients summed over chunks of 8 rows (on 8 devices: one row per device per chunk).
  out.update(run("attentivechrome", microbatch_size=8, label="attentivechrome_chunked"))
  np.savez(sys.argv[1], **out)
