r"""Fast (pattern counts + matrix products) vs brute-force gkm kernel, as N and g - k grow.

  python benchmarks/gkm_kernel.py                  # N = 250, 500, 1000, 2000 at g=10, k=6; then g-k
  python benchmarks/gkm_kernel.py --sizes=500 --gaps=2,4

Random 101-bp sequences. The brute force (every g-mer pair of every sequence pair) is timed on
--brute_rows rows of the N x N kernel and scaled to N rows: its cost is exactly linear in the number
of rows. The fast kernel computes the whole N x N matrix; both are checked equal on those rows.
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


def measure(n: int, g: int, k: int, brute_rows: int, length: int = 101) -> tuple[float, float]:
  codes = np.random.default_rng(0).integers(0, 4, (n, length)).astype(np.uint8)
  start = time.perf_counter()
  fast = gkm.gkm_kernel(codes, None, g, k, normalize=False)
  fast_s = time.perf_counter() - start
  rows = min(brute_rows, n)
  start = time.perf_counter()
  brute = gkm.gkm_kernel_brute(codes[:rows], codes, g, k, normalize=False)
  brute_s = (time.perf_counter() - start) * n / rows
  if not np.array_equal(fast[:rows], brute):
    raise AssertionError("fast and brute-force kernels differ")
  return fast_s, brute_s


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--sizes", default="250,500,1000,2000")
  parser.add_argument("--gaps", default="1,2,4,6", help="values of g - k at k = 6, N = 500")
  parser.add_argument("--brute_rows", type=int, default=20)
  args = parser.parse_args()
  print(machine())
  print("N sequences (101 bp), g=10, k=6:")
  for n in [int(x) for x in args.sizes.split(",")]:
    fast, brute = measure(n, 10, 6, args.brute_rows)
    print(f"  N={n:5d}: fast {fast:8.1f} s   brute force {brute:9.1f} s   {brute / fast:6.1f}x")
  print("g - k gaps, k=6, N=500:")
  for gap in [int(x) for x in args.gaps.split(",")]:
    fast, brute = measure(500, 6 + gap, 6, args.brute_rows)
    print(f"  g={6 + gap:2d} (g-k={gap}): fast {fast:8.1f} s   brute force {brute:9.1f} s   "
          f"{brute / fast:6.1f}x")


if __name__ == "__main__":
  main()
