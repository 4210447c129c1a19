r"""Training throughput (examples/s) of each model family's jit-compiled train step, and peak memory.

  python benchmarks/train_throughput.py                       # every family, batch 16 and 256
  python benchmarks/train_throughput.py --configs=configs/attentivechrome.py --batch_sizes=16,256
  python benchmarks/train_throughput.py --configs=configs/attentivechrome.py \
      --set=speed.fused_lstm=False          # the same model through Flax's LSTM, for comparison
  python benchmarks/train_throughput.py --configs=configs/attentivechrome.py \
      --set=speed.microbatch_size=0         # batch 256 in one piece instead of chunks of 32
  for i in 0 1; do python benchmarks/train_throughput.py --configs=configs/attentivechrome.py \
      --coordinator_address=localhost:12345 --num_processes=2 --process_id=$i & done; wait
                                            # one global batch split over two processes (gloo)

Times the real `regjax.trainer` step (optimizer, clipping, masking, the config's
`speed.microbatch_size` chunking included) on random histone-mark counts of the bundled shape, after
one compile step; prints one line per batch size plus the machine, with the page faults and kernel
CPU time per step. Peak host memory is the process's max RSS; on a GPU the device's peak bytes in
use.
"""

from __future__ import annotations

import argparse
import functools
import os
import platform
import resource
import sys
import time

import jax
import numpy as np
from jax.experimental import multihost_utils

from regjax import config_loader, parallel
from regjax.trainer import Trainer


def machine() -> str:
  cpu = platform.processor() or platform.machine()
  return (f"{platform.node()}: {os.cpu_count()} CPU cores ({cpu}), jax {jax.__version__}, "
          f"devices {[str(d) for d in jax.devices()]}")


def peak_memory_mb() -> tuple[float, float | None]:
  host = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
  stats = jax.local_devices()[0].memory_stats() or {}
  device = stats.get("peak_bytes_in_use")
  return host, (device / 2**20 if device else None)


def make_stepper(config, batch_size: int):
  """Compiles the config's train step at `batch_size`; returns run(seconds) -> (steps, seconds),
  which trains on one fixed batch of random rows of the training split for about that long."""
  config.train.batch_size = batch_size
  trainer = Trainer(config)
  state, dropout_key = trainer.init_state()
  state = parallel.replicate(state, trainer.mesh)
  train_split = trainer.dataset.splits["train"]
  rng = np.random.default_rng(0)
  index = rng.integers(0, len(train_split[trainer.input_keys[0]]), batch_size)
  batch = {k: train_split[k][index] for k in trainer.batch_keys}
  batch["mask"] = np.ones(batch_size, np.float32)
  step = functools.partial(trainer._train_step, batch=parallel.shard_batch(batch, trainer.mesh))
  step_seconds = 1.0   # of the last warm-up step, for the multi-process step count

  def agreed_steps(seconds: float) -> int | None:
    """With several processes every one must run the same number of steps (each step all-reduces
    across them), so process 0's estimate is broadcast; None means run for `seconds`."""
    if jax.process_count() == 1:
      return None
    estimate = np.int32(max(1, round(seconds / step_seconds)))
    return int(multihost_utils.broadcast_one_to_all(estimate))

  def run(seconds: float) -> tuple[int, float]:
    nonlocal state
    steps, target = 0, agreed_steps(seconds)
    start = time.perf_counter()
    while True:
      state, loss = step(state, dropout_key=dropout_key)
      steps += 1
      if (steps >= target) if target else (time.perf_counter() - start >= seconds):
        break
    loss.block_until_ready()
    return steps, time.perf_counter() - start

  for _ in range(2):  # compile, then one step that allocates like every later one
    step_seconds = run(0)[1]
  return run


def measure(config, batch_size: int, seconds: float) -> tuple[float, float, float]:
  """Examples per second of the train step at `batch_size`, and per step the minor page faults and
  the kernel CPU ms (on CPU, a step whose temporary buffers exceed glibc's mmap threshold gets
  fresh pages every time, which the kernel zeroes: benchmarks/README.md)."""
  run = make_stepper(config, batch_size)
  before = resource.getrusage(resource.RUSAGE_SELF)
  steps, elapsed = run(seconds)
  after = resource.getrusage(resource.RUSAGE_SELF)
  return (steps * batch_size / elapsed, (after.ru_minflt - before.ru_minflt) / steps,
          (after.ru_stime - before.ru_stime) / steps * 1e3)


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--configs", default="configs/deepchrome.py,configs/attentivechrome.py,"
                      "configs/deepdiff.py,configs/deepmotif_cnn.py,configs/deepmotif_rnn.py,"
                      "configs/deepmotif_cnnrnn.py")
  parser.add_argument("--batch_sizes", default="16,256")
  parser.add_argument("--seconds", type=float, default=5.0, help="timed seconds per measurement")
  parser.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                      help="override a config field, e.g. speed.fused_lstm=false")
  parser.add_argument("--coordinator_address", help="host:port of process 0, to time a "
                      "multi-process run (start one copy per process with its --process_id)")
  parser.add_argument("--num_processes", type=int)
  parser.add_argument("--process_id", type=int)
  args = parser.parse_args()
  configs = [config_loader.load_config(path, args.set) for path in args.configs.split(",")]
  if args.coordinator_address:
    parallel.initialize_distributed(args.coordinator_address, args.num_processes, args.process_id)
  if jax.process_index() == 0:
    print(machine())
  for loaded in configs:
    for batch_size in [int(b) for b in args.batch_sizes.split(",")]:
      config = loaded.copy_and_resolve_references()   # make_stepper sets its batch size
      rate, faults, kernel_ms = measure(config, batch_size, args.seconds)
      host, device = peak_memory_mb()
      device_text = f", device peak {device:.0f} MiB" if device else ""
      label = config.model.name + "".join(f" {a}" for a in args.set)
      if jax.process_index():
        continue  # every process times the same global steps; process 0 reports them
      print(f"{label:18s} batch {batch_size:4d}: {rate:8.0f} examples/s "
            f"(peak host RSS so far {host:.0f} MiB{device_text}; per step {faults:,.0f} page "
            f"faults, {kernel_ms:.0f} ms kernel CPU)", flush=True)


if __name__ == "__main__":
  sys.exit(main())
