r"""The best edge F1 JEEK can reach on the simulator, over a fine (v, lambda) grid, per seed.

  python benchmarks/jeek_oracle.py --p=2000 --seeds=0,1,2

The eBIC rule (`regjax.graphs.selection`) chooses (v, lambda) without the truth; this script
scores every grid point against the truth (K = 3 contexts, n = 200 samples each, the sparse
simulator), so it shows how far the rule is from the estimator's own limit. v in multiples of
sqrt(log p / n) (--v_factors), lambda on --lambda_steps points from 0.02 to 1.5 of the same scale.

--shrink_to_mean=0,0.5 also scores JEEK on backward maps pulled towards their mean over the
contexts, B_i <- (1 - a) B_i + a mean_j B_j (not part of JEEK; an experiment on how much a
better-pooled proxy would give); --shrink_to_mean=auto pools them as `model.pool_backward_maps`
does (`regjax.graphs.blockwise`: on the partial-correlation scale, a from the data, per v).
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from regjax.graphs import blockwise, jeek, simulation  # noqa: E402


def _pooled_entries(correlations, v: float) -> np.ndarray:
  """Upper-triangle entries [K, E] of the backward maps pooled as blockwise's `pool=True`."""
  p = len(correlations[0])
  memory_plan = blockwise.plan(len(correlations), p, 64.0)   # a budget that keeps the store in memory
  store, diagonals = blockwise.backward_map_store(correlations, p, v, memory_plan, pool=True)
  entries = store.block(0, store.num_entries)
  store.close()
  store.pooling.apply(entries, 0, diagonals, blockwise.upper_offsets(p))
  return entries


def best_f1(p: int, seed: int, v_factors, lambda_steps: int, contexts: int = 3,
            samples: int = 200, shrink: float | str = 0.0) -> tuple[float, float, float]:
  """(best mean F1 over contexts, its v factor, its lambda factor); `shrink` pulls each backward
  map towards the contexts' mean by that fraction first ("auto": blockwise's pooling)."""
  sim = simulation.simulate_sparse_networks(p, contexts, samples, seed=seed)
  rows, cols = np.triu_indices(p, 1)
  truth = []
  for i in range(contexts):
    adjacency = np.zeros((p, p), bool)
    adjacency[sim.edges(i)] = True
    truth.append(adjacency[rows, cols])
  correlations = [jeek.correlation(sim.samples(i)) for i in range(contexts)]
  scale = np.sqrt(np.log(p) / samples)
  best = (0.0, np.nan, np.nan)
  for v_factor in v_factors:
    if shrink == "auto":
      entries = _pooled_entries(correlations, v_factor * scale)     # row-major = triu_indices order
    else:
      entries = np.stack([jeek.backward_map(c, v_factor * scale)[rows, cols]
                          for c in correlations])
      entries = (1 - shrink) * entries + shrink * entries.mean(axis=0)
    for lambda_factor in np.linspace(0.02, 1.5, lambda_steps):
      x, s = jeek.solve_uniform_entries(entries, lambda_factor * scale)
      found = np.abs(x + s[None]) > 1e-10
      f1 = np.mean([2 * np.sum(f & t) / max(f.sum() + t.sum(), 1) for f, t in zip(found, truth)])
      best = max(best, (float(f1), v_factor, float(lambda_factor)))
    print(f"  seed {seed}, shrink {shrink}, v {v_factor}: best so far F1 {best[0]:.3f}",
          flush=True)
  return best


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--p", type=int, default=2000)
  parser.add_argument("--seeds", default="0,1,2")
  parser.add_argument("--v_factors", default="0.8,0.9,1.0,1.1,1.2")
  parser.add_argument("--lambda_steps", type=int, default=75)
  parser.add_argument("--shrink_to_mean", default="0",
                      help="fractions a: JEEK on (1 - a) B_i + a mean_j B_j (0: JEEK itself; "
                           "auto: a from the data, as model.pool_backward_maps)")
  args = parser.parse_args()
  v_factors = [float(v) for v in args.v_factors.split(",")]
  seeds = args.seeds.split(",")
  for shrink in [a if a == "auto" else float(a) for a in args.shrink_to_mean.split(",")]:
    results = [best_f1(args.p, int(seed), v_factors, args.lambda_steps, shrink=shrink)
               for seed in seeds]
    for seed, (f1, v, lam) in zip(seeds, results):
      print(f"seed {seed}, shrink {shrink}: best F1 {f1:.3f} at v = {v} x, lambda = {lam:.2f} x "
            "sqrt(log p / n)")
    f1s = [r[0] for r in results]
    print(f"p = {args.p}, K = 3, n = 200, shrink {shrink}: best F1 {np.mean(f1s):.3f} +/- "
          f"{np.std(f1s):.3f} over seeds {args.seeds}", flush=True)


if __name__ == "__main__":
  main()
