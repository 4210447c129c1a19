r"""JEEK at scale: K contexts x p variables, blockwise within a memory budget, against GraphicalLasso.

  python benchmarks/jeek_scaling.py                         # K=3: p=100, 500, 2000; K=91: p=1000, 5000
  python benchmarks/jeek_scaling.py --cases=3:100,91:2000 --budget_gb=2 --glasso_timeout=120

Each case (K:p, n = 200 samples per context, the sparse simulator: p shared and p/2 specific true
edges per context) runs in its own process, which reports its peak resident memory:
1. lambda and v chosen by the neighbourhood eBIC (`regjax.graphs.selection`, on up to
   --select_contexts contexts), timed; with more contexts than that, lambda is chosen again from
   the solve of all K at that v (`selection.refine_lambda`, timed apart; --no_refine skips it);
   --v_factor fixes v and chooses lambda alone that way, on the fit's maps (large p);
2. the blockwise fit on all K contexts (contexts simulated one at a time, backward maps spilled to a
   scratch file past half the budget), timed, with mean edge F1 against the truth; for K <= 8 also
   the F1 of the old rule of thumb lambda = 0.8, v = 0.65 x sqrt(log p / n);
   (--pool: the backward maps pulled towards their mean, in the choice and the fit, with the
   fraction a printed; `regjax.graphs.blockwise`, not part of JEEK);
3. scikit-learn's GraphicalLasso on one context, in a child stopped after --glasso_timeout seconds:
   one fit at alpha 0.2, and on K <= 8 fits at JEEK's edge count (alpha bisected) with their F1.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import multiprocessing as mp
import os
import resource
import sys
import tempfile
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from benchmarks.train_throughput import machine  # noqa: E402
from regjax.graphs import blockwise, jeek, runner, selection, simulation  # noqa: E402


def _mean_f1(networks, sim) -> float:
  return float(np.mean([runner.edge_scores(networks.networks[i][:2], sim.edges(i),
                                           sim.num_variables)["f1"]
                        for i in range(sim.num_contexts)]))


def _case(k: int, p: int, budget_gb: float, select_contexts: int, pool: bool, refine: bool,
          v_factor: float, seed: int, queue) -> None:
  sim = simulation.simulate_sparse_networks(p, k, 200, seed=seed)
  out = {}
  start = time.time()
  subset = (list(range(k)) if k <= select_contexts else
            sorted(np.random.default_rng(0).choice(k, select_contexts, replace=False).tolist()))
  samples = {i: sim.samples(i) for i in subset}       # n x p each; the others made when needed
  if v_factor:      # v fixed; lambda chosen on the fit's own maps (refine_lambda below)
    used = selection.Selection(math.nan, v_factor * math.sqrt(math.log(p) / 200), 0.25, subset, [])
  else:
    used = selection.select([samples[i] for i in subset], memory_budget_gb=budget_gb, log=None,
                            pool=pool)
    used = dataclasses.replace(used, contexts_used=[subset[i] for i in used.contexts_used])
  out["select_s"] = time.time() - start
  out["lam"], out["v"] = used.lam, used.v
  correlations = [(lambda i=i: jeek.correlation(samples[i] if i in samples else sim.samples(i)))
                  for i in range(k)]
  choose_lam = None
  if (refine and len(subset) < k) or v_factor:
    def choose_lam(store, diagonals, memory_plan):
      begin = time.time()
      refined = selection.refine_lambda(used, samples, store, diagonals, memory_plan, log=None)
      out["refine_s"], out["lam_subset"], out["lam"] = time.time() - begin, used.lam, refined.lam
      return refined.lam
  start = time.time()
  with tempfile.TemporaryDirectory() as scratch:
    networks = blockwise.jeek_blockwise(correlations, used.lam, used.v, budget_gb,
                                        scratch_dir=scratch, pool=pool, choose_lam=choose_lam)
  out["fit_s"] = time.time() - start - out.get("refine_s", 0.0)
  out["pooled_fraction"] = networks.pooled_fraction
  out["plan"] = blockwise.plan(k, p, budget_gb, pool).describe()
  out["f1"] = _mean_f1(networks, sim)
  out["edges"] = float(np.mean([networks.num_edges(i) for i in range(k)]))
  if k <= 8 and not v_factor:
    lam, v = runner.default_lambdas(p, 200)
    out["f1_rule_of_thumb"] = _mean_f1(blockwise.jeek_blockwise(correlations, lam, v, budget_gb),
                                       sim)
  out["peak_rss_gib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
  out["truth_edges"] = len(sim.edges(0)[0])
  queue.put(out)


def _glasso_one_fit(p: int, seed: int, queue) -> None:
  from sklearn.covariance import graphical_lasso
  warnings.simplefilter("ignore")   # "did not converge after 200 iterations": the fit is timed as is
  samples = simulation.simulate_sparse_networks(p, 1, 200, seed=seed).samples(0)
  start = time.time()
  graphical_lasso(jeek.correlation(samples), 0.2, max_iter=200)
  queue.put(time.time() - start)


def _glasso_matched(k: int, p: int, targets, seed: int, queue) -> None:
  sim = simulation.simulate_sparse_networks(p, k, 200, seed=seed)
  start, scores = time.time(), []
  for i, target in enumerate(targets):
    fitted = runner.glasso_at_sparsity(sim.samples(i), target, max_seconds=1e9)
    scores.append(runner.edge_scores(runner.upper_pairs(fitted["edges"]), sim.edges(i), p)["f1"])
  queue.put((time.time() - start, float(np.mean(scores))))


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
  return queue.get() if not queue.empty() else None


def _run_case(args, k: int, p: int, seed: int) -> None:
  """One K x p case at one seed: the JEEK line, then GraphicalLasso's where it runs."""
  found = _in_child(_case, (k, p, args.budget_gb, args.select_contexts, args.pool,
                            not args.no_refine, args.v_factor, seed), None)
  if found is None:
    print(f"K={k:3d} p={p:6d} seed {seed}: the case's process ended without a result "
          "(killed, e.g. out of memory: see dmesg)", flush=True)
    return
  pooled = f", pooled a = {found['pooled_fraction']:.3f}" if args.pool else ""
  refined = (f" + {found['refine_s']:.1f} s again on all {k} (lambda {found['lam_subset']:.4f} ->"
             f" {found['lam']:.4f})" if "refine_s" in found else "")
  if args.v_factor:
    refined = f" (v fixed) + {found['refine_s']:.1f} s for lambda on the fit's maps"
  line = (f"K={k:3d} p={p:6d} seed {seed}: lambda chosen in {found['select_s']:7.1f} s{refined} "
          f"(lambda {found['lam']:.4f}, v {found['v']:.4f}{pooled}), fit {found['fit_s']:7.1f} s, "
          f"F1 {found['f1']:.3f} ({found['edges']:.0f} edges per context, "
          f"{found['truth_edges']} true)")
  if "f1_rule_of_thumb" in found:
    line += f", rule-of-thumb lambda F1 {found['f1_rule_of_thumb']:.3f}"
  print(line + f", peak RSS {found['peak_rss_gib']:.2f} GiB", flush=True)
  print(f"         {found['plan']}", flush=True)
  if args.glasso_timeout <= 0:
    return
  single = _in_child(_glasso_one_fit, (p, seed), args.glasso_timeout)
  print("         GraphicalLasso, one fit (alpha 0.2, one context): "
        + (f"{single:.1f} s" if single is not None else
           f"not finished after {args.glasso_timeout:.0f} s"), flush=True)
  if k <= 8 and single is not None:
    matched = _in_child(_glasso_matched, (k, p, [int(found["edges"])] * k, seed),
                        args.glasso_timeout)
    print(f"         GraphicalLasso ({k} contexts, matched sparsity): "
          + (f"{matched[0]:.1f} s, F1 {matched[1]:.3f}" if matched is not None else
             f"not finished after {args.glasso_timeout:.0f} s"), flush=True)


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--cases", default="3:100,3:500,3:2000,91:1000,91:5000",
                      help="comma-separated K:p")
  parser.add_argument("--seeds", default="0", help="comma-separated simulator seeds")
  parser.add_argument("--budget_gb", type=float, default=4.0)
  parser.add_argument("--select_contexts", type=int, default=8)
  parser.add_argument("--glasso_timeout", type=float, default=300.0, help="0 skips GraphicalLasso")
  parser.add_argument("--no_refine", action="store_true",
                      help="keep the subset's lambda on K > --select_contexts (no refine_lambda)")
  parser.add_argument("--v_factor", type=float, default=0.0,
                      help="fix v at this multiple of sqrt(log p / n) and choose only lambda, on "
                           "the fit's own maps (for p where the grid over v takes too long)")
  parser.add_argument("--pool", action="store_true",
                      help="pool the backward maps towards their mean (not part of JEEK)")
  args = parser.parse_args()
  print(machine())
  print(f"memory budget {args.budget_gb} GiB; n = 200 samples per context"
        + ("; backward maps pooled" if args.pool else ""), flush=True)
  for case in args.cases.split(","):
    k, p = (int(x) for x in case.split(":"))
    for seed in (int(s) for s in args.seeds.split(",")):
      _run_case(args, k, p, seed)


if __name__ == "__main__":
  main()
