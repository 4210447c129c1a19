r"""gkm-SVM on the bundled REST data: the exact kernel on a sample against Nystroem on every sequence.

  python benchmarks/gkm_scale.py                          # seeds 0-2
  python benchmarks/gkm_scale.py --seeds=0 --exact_sizes=1153 --landmarks=500

For each seed, end to end through `configs/gakco.py` (g = 10, k = 6, C in 0.1, 1, 10 picked on
validation): the exact kernel SVM on --exact_sizes class-balanced training sequences, then the
Nystroem SVM (--landmarks landmarks, a linear SVM) on all 11,530 training sequences (ten times the
smallest exact size); wall time and test AUROC, mean +/- sd over seeds. Then, for seed 0, the
Nystroem kernel's relative error against the exact kernel on 300 test x 2,000 training sequences.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from benchmarks.train_throughput import machine  # noqa: E402
from regjax import config_loader, datasets, runner  # noqa: E402
from regjax.baselines import gkm, gkm_nystroem  # noqa: E402


def _run(seed: int, overrides: list[str]) -> tuple[float, float, int]:
  config = config_loader.load_config("configs/gakco.py", [f"seed={seed}", *overrides])
  with tempfile.TemporaryDirectory() as workdir, contextlib.redirect_stdout(io.StringIO()):
    start = time.time()
    results = runner.run("train", config, workdir)
  return time.time() - start, results["test"]["auroc"], results["num_train_used"]


def _kernel_error(landmarks: int) -> float:
  config = config_loader.load_config("configs/gakco.py", [])
  data = datasets.create_dataset(config.data).splits
  rng = np.random.default_rng(0)
  train = data["train"]["codes"][rng.choice(len(data["train"]["codes"]), 2000, replace=False)]
  test = data["test"]["codes"][rng.choice(len(data["test"]["codes"]), 300, replace=False)]
  mapping = gkm_nystroem.fit(data["train"]["codes"], None, data["train"]["label"], landmarks, 10, 6)
  exact = gkm.gkm_kernel(test, train, 10, 6)
  approx = mapping.transform(test) @ mapping.transform(train).T
  return float(np.linalg.norm(approx - exact) / np.linalg.norm(exact))


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--seeds", default="0,1,2")
  parser.add_argument("--exact_sizes", default="1153,3000")
  parser.add_argument("--landmarks", default="500,1000")
  args = parser.parse_args()
  print(machine())
  seeds = [int(s) for s in args.seeds.split(",")]
  rows = [(f"exact, max_train {n}", [f"model.max_train={n}"])
          for n in args.exact_sizes.split(",")]
  rows += [(f"Nystroem, {m} landmarks, every sequence",
            ["model.approximation=nystroem", f"model.landmarks={m}"])
           for m in args.landmarks.split(",")]
  for name, overrides in rows:
    runs = [_run(seed, overrides) for seed in seeds]
    seconds, aurocs, used = zip(*runs)
    print(f"{name:45s}: {used[0]:6d} training sequences, {np.mean(seconds):7.1f} s "
          f"(+/- {np.std(seconds):.1f}), test AUROC {np.mean(aurocs):.4f} +/- {np.std(aurocs):.4f}",
          flush=True)
  for m in args.landmarks.split(","):
    print(f"Nystroem kernel, {m} landmarks: relative Frobenius error {_kernel_error(int(m)):.4f} "
          "(300 test x 2,000 training sequences)", flush=True)


if __name__ == "__main__":
  main()
