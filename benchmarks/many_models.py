r"""K models in one program vs K separate commands: end-to-end wall time and step throughput.

  python benchmarks/many_models.py --config=configs/deepchrome.py --num_models=8

Runs (1) `python -m regjax.main` K times, one seed each, and (2) one command with
`--config.train.num_seeds=K` for each member layout (vmap, map), every run in a fresh process and
workdir, and prints the wall times, the speed-up, and the members' mean test AUROC (equal to the
separate runs'). Then times one training step of the K stacked models against K single-model
steps (examples per second). Pass extra overrides after `--`, e.g. `-- --config.train.num_epochs=5`.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _run(args: list[str]) -> float:
  start = time.perf_counter()
  subprocess.run([sys.executable, "-m", "regjax.main", *args], cwd=REPO, check=True,
                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
  return time.perf_counter() - start


def step_throughput(config_path: str, num_models: int, members_map: str, seconds: float = 5.0):
  """(examples/s of K stacked models, examples/s of one model) for the training step."""
  import numpy as np

  from regjax import config_loader, many, parallel

  def timed(step, state, batch, key, examples):
    state, loss = step(state, batch, key)
    np.asarray(loss)
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
      state, loss = step(state, batch, key)
      count += 1
    np.asarray(loss)
    return count * examples / (time.perf_counter() - start)

  config = config_loader.load_config(config_path, [f"train.num_seeds={num_models}",
                                                   f"train.members_map={members_map}"])
  trainer = many.ManyTrainer(config)
  states, keys = trainer.init_states()
  batch = next(trainer.epoch_batches(1))
  stacked = timed(trainer._step, states, batch, keys, num_models * config.train.batch_size)
  single = trainer.lead
  state, key = single.init_state()
  state = parallel.replicate(state, single.mesh)
  one = {k: v[0] for k, v in batch.items()}
  alone = timed(single._train_step, state, parallel.shard_batch(one, single.mesh), key,
                config.train.batch_size)
  return stacked, alone


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--config", default="configs/deepchrome.py")
  parser.add_argument("--num_models", type=int, default=8)
  parser.add_argument("overrides", nargs="*")
  args = parser.parse_args()
  from benchmarks.train_throughput import machine
  print(machine())
  root = tempfile.mkdtemp(prefix="regjax_many_")
  base = [f"--config={args.config}", *args.overrides]
  separate = sum(_run(base + [f"--workdir={root}/seed{k}", f"--config.seed={k}"])
                 for k in range(args.num_models))
  aurocs = [json.load(open(f"{root}/seed{k}/results.json"))["test"]["auroc"]
            for k in range(args.num_models)]
  print(f"{args.num_models} separate commands: {separate:.1f} s "
        f"(mean test AUROC {sum(aurocs) / len(aurocs):.4f})")
  for members_map in ("vmap", "map"):
    together = _run(base + [f"--workdir={root}/{members_map}",
                            f"--config.train.num_seeds={args.num_models}",
                            f"--config.train.members_map={members_map}"])
    members = json.load(open(f"{root}/{members_map}/results.json"))["members"]
    mean = sum(m["test"]["auroc"] for m in members) / len(members)
    print(f"one command, {members_map}: {together:.1f} s, {separate / together:.2f}x faster "
          f"(mean test AUROC {mean:.4f})")
    stacked, alone = step_throughput(args.config, args.num_models, members_map)
    print(f"  train step: {stacked:.0f} examples/s for {args.num_models} stacked models vs "
          f"{alone:.0f} for one model ({stacked / alone:.2f}x)")


if __name__ == "__main__":
  sys.path.insert(0, REPO)
  main()
