"""Choosing JEEK's lambda and v from the data: a neighbourhood extended-BIC over a grid.

The rule of thumb lambda = 0.8 sqrt(log p / n) keeps far too many edges at large p (11,081 per
context at p = 2,000 against 3,000 true ones). Here each (v, lambda) on a grid of multiples of
sqrt(log p / n) is scored by refitting its graph: every variable is regressed (least squares) on
its estimated neighbours, and

    eBIC(v, lambda) = sum_contexts sum_j [ n log(RSS_j / n) + d_j (log n + 2 gamma log p) ]

(d_j the neighbour count; the neighbourhood-selection form of Foygel & Drton's extended BIC, 2010).
The refit matters: scoring JEEK's own shrunk estimate with the Gaussian likelihood picks the
emptiest graph on every simulated case. gamma = 0.25 by default, the value between BIC (0) and
Foygel & Drton's 0.5 that came closest to the best F1 on the simulator at p = 100, 500 and 2,000
(`benchmarks/README.md`); 0.5 gives sparser graphs. A graph in which some variable has n - 1 or
more neighbours cannot be refitted and scores infinity.

Cost: one set of backward maps per v (the expensive part) and one blockwise solve per lambda, on
`max_contexts` contexts (all of them by default; a seeded subset on very many contexts).

On a subset, lambda suits a solve of that many contexts, not of all K: `refine_lambda` chooses it
again at the chosen v, scoring the subset's networks in the solve of all K (the fit's own maps).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

import numpy as np

from regjax.graphs import blockwise
from regjax.graphs.jeek import gram, standardize

V_FACTORS = (0.6, 0.8, 1.0, 1.2, 1.5)
LAMBDA_FACTORS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.7, 1.0, 1.5)


def neighbourhood_ebic(standardized: np.ndarray, rows: np.ndarray, cols: np.ndarray,
                       gamma: float = 0.25) -> float:
  """The refitted neighbourhood eBIC of one context's graph (edges rows < cols), lower is better.

  Args:
    standardized: samples [n, p], standardised (`jeek.standardize`).
    rows, cols: the graph's edges.
    gamma: the extended-BIC exponent.
  """
  n, p = standardized.shape
  degree = np.bincount(np.concatenate([rows, cols]), minlength=p)
  if degree.max(initial=0) >= n - 1:
    return math.inf
  ends = np.concatenate([rows, cols])
  others = np.concatenate([cols, rows])
  order = np.argsort(ends, kind="stable")
  neighbours = np.split(others[order], np.cumsum(degree)[:-1])
  log_rss = np.zeros(p)                                      # degree 0: RSS / n = 1
  one = np.flatnonzero(degree == 1)
  if len(one):                                               # one neighbour: 1 - r^2, vectorised
    partner = np.array([neighbours[j][0] for j in one])
    r = np.einsum("ij,ij->j", standardized[:, one], standardized[:, partner]) / n
    log_rss[one] = np.log(np.maximum(1.0 - r**2, 1e-300))
  for j in np.flatnonzero(degree > 1):
    design = standardized[:, neighbours[j]]
    target = standardized[:, j]
    coef, *_ = np.linalg.lstsq(design, target, rcond=None)
    residual = target - design @ coef
    log_rss[j] = math.log(max(residual @ residual / n, 1e-300))
  return float(n * log_rss.sum() + degree.sum() * (math.log(n) + 2 * gamma * math.log(p)))


@dataclasses.dataclass(frozen=True)
class Selection:
  """The chosen (lam, v) and every scored grid point's (v, lam, eBIC, mean edges per context).

  refined_grid: the lambdas scored again on the all-context solve (`refine_lambda`), if any.
  """

  lam: float
  v: float
  gamma: float
  contexts_used: list[int]
  grid: list[tuple[float, float, float, float]]
  refined_grid: list[tuple[float, float, float, float]] = dataclasses.field(default_factory=list)

  def to_dict(self) -> dict:
    def rows(grid):
      return [{"v": v, "lambda": lam, "ebic": e if math.isfinite(e) else None,
               "mean_edges": edges} for v, lam, e, edges in grid]

    out = {"rule": "neighbourhood_ebic", "gamma": self.gamma, "lambda": self.lam, "v": self.v,
           "contexts_used": self.contexts_used, "grid": rows(self.grid)}
    if self.refined_grid:
      out["refined_on_all_contexts"] = rows(self.refined_grid)
    return out


def _score_lambdas(store: blockwise.EntryStore, diagonals: np.ndarray, lams: Sequence[float],
                   memory_plan: blockwise.Plan, scored: Sequence[tuple[int, np.ndarray]],
                   gamma: float, v: float) -> list[tuple[float, float, float, float]]:
  """(v, lam, eBIC, mean edges per context) per lambda of the JEEK solve of the whole store, the
  eBIC summed over the `scored` (store index, standardised samples [n, p]) contexts.

  From the sparsest lambda down; stops once eBIC has risen twice in a row past its minimum
  (denser graphs only fit the noise better), which spares the costly dense refits.
  """
  p = diagonals.shape[1]
  n = min(len(x) for _, x in scored)
  rows = []
  for lam in sorted(lams, reverse=True):
    # Past p (n - 2) / 2 edges some variable has n - 1 neighbours: eBIC is infinite anyway.
    (result,) = blockwise.solve_store(store, diagonals, [lam], memory_plan,
                                      max_edges=p * (n - 2) // 2)
    if result is None:
      rows.append((v, lam, math.inf, math.nan))
      break
    score = sum(neighbourhood_ebic(x, *result.networks[i][:2], gamma) for i, x in scored)
    rows.append((v, lam, score, float(np.mean([result.num_edges(i)
                                                for i in range(store.num_contexts)]))))
    del result
    best = min(range(len(rows)), key=lambda j: rows[j][2])
    if len(rows) - 1 - best >= 2 and rows[-1][2] > rows[-2][2]:
      break
  return rows


def select(samples: Sequence[np.ndarray], gamma: float = 0.25,
           v_factors: Sequence[float] = V_FACTORS, lambda_factors: Sequence[float] = LAMBDA_FACTORS,
           max_contexts: int = 0, memory_budget_gb: float = 4.0, seed: int = 0,
           log=print, pool: bool = False) -> Selection:
  """(lambda, v) minimising the summed neighbourhood eBIC of the JEEK graphs on a grid.

  Args:
    samples: K arrays [n_i, p].
    gamma: the extended-BIC exponent.
    v_factors, lambda_factors: the grid, in multiples of sqrt(log p / min n_i).
    max_contexts: score on at most this many contexts (a seeded subset; 0 = all).
    memory_budget_gb: as in `blockwise.jeek_blockwise`.
    log: progress output (one line per v), or None.
    pool: score the graphs of pooled backward maps (`blockwise`'s `pool`), as the fit will use.
  """
  used = list(range(len(samples)))
  if 0 < max_contexts < len(samples):
    used = sorted(np.random.default_rng(seed).choice(len(samples), max_contexts, replace=False)
                  .tolist())
  standardized = [standardize(samples[i]) for i in used]
  n = min(len(x) for x in standardized)
  p = standardized[0].shape[1]
  scale = math.sqrt(math.log(p) / n)
  lams = [f * scale for f in lambda_factors]
  memory_plan = blockwise.plan(len(used), p, memory_budget_gb, pool)
  grid = []
  for v_factor in v_factors:
    v = v_factor * scale
    store, diagonals = blockwise.backward_map_store(
        [(lambda x=x: gram(x)) for x in standardized], p, v, memory_plan, pool=pool)
    try:
      rows = _score_lambdas(store, diagonals, lams, memory_plan, list(enumerate(standardized)),
                            gamma, v)
    finally:
      store.close()
    grid += rows
    if log is not None:
      best = min(rows, key=lambda row: row[2])
      log(f"  lambda selection, v = {v:.4f}: best lambda {best[1]:.4f} (eBIC {best[2]:.1f}, "
          f"{best[3]:.0f} edges per context)")
  v, lam, _, _ = min(grid, key=lambda row: (row[2], -row[1]))
  return Selection(lam, v, gamma, used, grid)


def refine_lambda(chosen: Selection, samples, store: blockwise.EntryStore,
                  diagonals: np.ndarray, memory_plan: blockwise.Plan,
                  lambda_factors: Sequence[float] = LAMBDA_FACTORS, log=print) -> Selection:
  """lambda chosen again at `chosen.v`, from JEEK's solve of all K contexts in `store`.

  When the grid was scored on a subset of the contexts, its lambda suits a solve of that many
  contexts; with all K in the solve, JEEK's shared part draws on more of them and the same
  lambda keeps 2-3 times the true edges (K = 91, p = 1,000 on the simulator). Here the subset's
  eBIC is computed from its networks in the all-K solve instead, over the same lambda grid. The
  store holds the backward maps of all K contexts at `chosen.v` (the fit's own, so the maps are
  made once).

  Args:
    chosen: `select`'s result on a subset (`chosen.contexts_used`, indices into the store).
    samples: arrays [n_i, p] by context index, in the store's order: all K, or a dict holding
      just the contexts used.
  """
  standardized = [(i, standardize(samples[i])) for i in chosen.contexts_used]
  n = min(len(x) for _, x in standardized)
  p = diagonals.shape[1]
  scale = math.sqrt(math.log(p) / n)
  rows = _score_lambdas(store, diagonals, [f * scale for f in lambda_factors], memory_plan,
                        standardized, chosen.gamma, chosen.v)
  _, lam, score, edges = min(rows, key=lambda row: (row[2], -row[1]))
  if log is not None:
    log(f"  lambda again on all {store.num_contexts} contexts at v = {chosen.v:.4f}: "
        f"{lam:.4f} (was {chosen.lam:.4f}; eBIC {score:.1f}, {edges:.0f} edges per context)")
  return dataclasses.replace(chosen, lam=lam, refined_grid=rows)
