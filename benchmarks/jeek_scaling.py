r"""JEEK vs GraphicalLasso per context as the number of variables grows (K = 3 contexts, n = 200).

  python benchmarks/jeek_scaling.py                 # p = 100, 500, 2000
  python benchmarks/jeek_scaling.py --sizes=100,500 --glasso_timeout=600

For each p: simulate (shared + specific edges), run JEEK (backward maps + the vectorised per-entry
solver) and report its time and edge-recovery F1; then, in child processes stopped after
--glasso_timeout seconds, time one scikit-learn GraphicalLasso fit (alpha 0.2, one context) and fit
GraphicalLasso on each context at JEEK's edge count (alpha bisected, up to 12 fits each),
reporting time and F1 where they finished.
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


def _one_fit(samples, queue):
  from sklearn.covariance import graphical_lasso
  start = time.time()
  graphical_lasso(jeek.correlation(samples), 0.2, max_iter=200)
  queue.put(time.time() - start)


def _in_child(target, args, timeout):
  """target(*args, queue) in a spawned process; its result, or None after `timeout` seconds."""
  context = mp.get_context("spawn")  # not fork: JAX's threads would be copied mid-flight
  queue = context.Queue()
  child = context.Process(target=target, args=(*args, queue))
  child.start()
  child.join(timeout)
  if child.is_alive():
    child.terminate()
    return None
  return queue.get()


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
    single = _in_child(_one_fit, (sim.samples[0],), args.glasso_timeout)
    print("         GraphicalLasso, one fit (alpha 0.2, one context): "
          + (f"{single:.1f} s" if single is not None else
             f"not finished after {args.glasso_timeout:.0f} s"), flush=True)
    matched = _in_child(_glasso, (sim.samples, [int(e.sum() // 2) for e in estimated], truths),
                        args.glasso_timeout)
    if matched is None:
      print(f"         GraphicalLasso (3 contexts, matched sparsity): not finished after "
            f"{args.glasso_timeout:.0f} s", flush=True)
    else:
      print(f"         GraphicalLasso (3 contexts, matched sparsity): {matched[0]:7.1f} s, "
            f"F1 {matched[1]:.3f}", flush=True)


if __name__ == "__main__":
  main()
