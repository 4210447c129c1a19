r"""JEEK vs GraphicalLasso per context as the number of variables grows (K = 3 contexts, n = 200).

  python benchmarks/jeek_scaling.py                 # p = 100, 500, 2000
  python benchmarks/jeek_scaling.py --sizes=100,500 --glasso_timeout=600

For each p: simulate (shared + specific edges), run JEEK (backward maps + the vectorised per-entry
solver) and report its time and edge-recovery F1; then fit scikit-learn's GraphicalLasso on each
context at JEEK's edge count (alpha bisected) in a child process that is stopped after
--glasso_timeout seconds, reporting its time and F1 if it finished.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from benchmarks.train_throughput import machine  # noqa: E402
from regjax.graphs import jeek, runner, simulation  # noqa: E402


def _glasso(samples, targets, truths, queue):
  start = time.time()
  scores = []
  for x, target, truth in zip(samples, targets, truths):
    fitted = runner.glasso_at_sparsity(x, target, max_seconds=1e9)
    scores.append(runner.edge_scores(fitted["edges"], truth)["f1"])
  queue.put((time.time() - start, float(np.mean(scores))))


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--sizes", default="100,500,2000")
  parser.add_argument("--glasso_timeout", type=float, default=300.0)
  args = parser.parse_args()
  print(machine())
  for p in [int(x) for x in args.sizes.split(",")]:
    sim = simulation.simulate_networks(p, 3, 200, seed=0)
    truths = [jeek.edges(o) for o in sim.precisions]
    lam, v = runner.default_lambdas(p, 200)
    start = time.time()
    covariances = np.stack([jeek.correlation(x) for x in sim.samples])
    result = jeek.jeek(covariances, lam, v)
    seconds = time.time() - start
    estimated = [jeek.edges(o) for o in result.precisions]
    f1 = np.mean([runner.edge_scores(e, t)["f1"] for e, t in zip(estimated, truths)])
    print(f"p={p:5d}: JEEK {seconds:7.1f} s, F1 {f1:.3f} ({int(np.mean([e.sum() // 2 for e in estimated]))} "
          "edges per context)", flush=True)
    queue = mp.Queue()
    child = mp.Process(target=_glasso, args=(sim.samples, [int(e.sum() // 2) for e in estimated],
                                             truths, queue))
    child.start()
    child.join(args.glasso_timeout)
    if child.is_alive():
      child.terminate()
      print(f"         GraphicalLasso (3 contexts, matched sparsity): not finished after "
            f"{args.glasso_timeout:.0f} s", flush=True)
    else:
      glasso_seconds, glasso_f1 = queue.get()
      print(f"         GraphicalLasso (3 contexts, matched sparsity): {glasso_seconds:7.1f} s, "
            f"F1 {glasso_f1:.3f}", flush=True)


if __name__ == "__main__":
  main()
