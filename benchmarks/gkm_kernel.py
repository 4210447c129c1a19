r"""The gkm kernel's two exact methods (gather, matmul) vs brute force, as N and g - k grow.

  python benchmarks/gkm_kernel.py                  # N = 250, 500, 1000, 2000 at g=10, k=6; then g-k
  python benchmarks/gkm_kernel.py --sizes=500 --gaps=2,4

Random 101-bp sequences. The brute force (every g-mer pair of every sequence pair) is timed on
--brute_rows rows of the N x N kernel and scaled to N rows: its cost is exactly linear in the number
of rows. Each fast method ("gather": windows' keys index the transposed counts; "matmul": dense
counts multiplied; `regjax.baselines.gkm`) computes the whole N x N matrix; all are checked equal
on those rows.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from benchmarks.train_throughput import machine  # noqa: E402
from regjax.baselines import gkm  # noqa: E402


def measure(n: int, g: int, k: int, brute_rows: int, length: int = 101) -> dict[str, float]:
  """Seconds of each method for the N x N kernel (brute force scaled from its rows)."""
  codes = np.random.default_rng(0).integers(0, 4, (n, length)).astype(np.uint8)
  seconds, kernels = {}, {}
  for method in ("gather", "matmul"):
    start = time.perf_counter()
    kernels[method] = gkm.gkm_kernel(codes, None, g, k, normalize=False, method=method)
    seconds[method] = time.perf_counter() - start
  rows = min(brute_rows, n)
  start = time.perf_counter()
  brute = gkm.gkm_kernel_brute(codes[:rows], codes, g, k, normalize=False)
  seconds["brute"] = (time.perf_counter() - start) * n / rows
  if not all(np.array_equal(kernel[:rows], brute) for kernel in kernels.values()):
    raise AssertionError("fast and brute-force kernels differ")
  return seconds


def line(label: str, s: dict[str, float]) -> str:
  return (f"  {label}: gather {s['gather']:7.1f} s   matmul {s['matmul']:7.1f} s   "
          f"brute force {s['brute']:8.1f} s   gather {s['brute'] / s['gather']:6.1f}x, "
          f"matmul {s['brute'] / s['matmul']:5.1f}x faster than brute force")


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--sizes", default="250,500,1000,2000")
  parser.add_argument("--gaps", default="1,2,4,6", help="values of g - k at k = 6, N = 500")
  parser.add_argument("--brute_rows", type=int, default=20)
  args = parser.parse_args()
  print(machine())
  print("N sequences (101 bp), g=10, k=6:")
  for n in [int(x) for x in args.sizes.split(",")]:
    print(line(f"N={n:5d}", measure(n, 10, 6, args.brute_rows)), flush=True)
  print("g - k gaps, k=6, N=500:")
  for gap in [int(x) for x in args.gaps.split(",")]:
    print(line(f"g={6 + gap:2d} (g-k={gap})", measure(500, 6 + gap, 6, args.brute_rows)),
          flush=True)


if __name__ == "__main__":
  main()
