"""`configs/jeek.py` through the CLI: estimate K networks, write edge lists, a plot and results.json.

Data: K CSV files (rows samples, columns variables; an optional header row names the variables), or
the simulator. lambda and v come from the data (`selection`, neighbourhood eBIC) unless given; the
fit runs blockwise within `model.memory_budget_gb` (`blockwise`). Writes `edges_<context>.tsv`
(`source target weight kind`, kind = shared / specific, appended block by block),
`networks.png` (shared and context-specific edges as adjacency maps) and results.json; on simulated
data also edge-recovery precision, recall and F1 against the truth, next to scikit-learn's
GraphicalLasso fitted per context at the same number of edges (matched sparsity).
"""

from __future__ import annotations

import dataclasses
import math
import os
import time
import warnings

import numpy as np

from regjax import plotting, reporting
from regjax.errors import ConfigError, DataFormatError
from regjax.graphs import blockwise, jeek, selection, simulation


def read_matrix(path: str) -> tuple[np.ndarray, list[str]]:
  """Samples [n, p] and variable names from a CSV (an optional header row of names)."""
  if not os.path.isfile(path):
    raise DataFormatError(path, "file not found")
  with open(path) as f:
    rows = [line.rstrip("\n").split(",") for line in f if line.strip()]
  if not rows:
    raise DataFormatError(path, "file is empty; expected rows of numbers (samples x variables)")
  header = None
  try:
    [float(x) for x in rows[0]]
  except ValueError:
    header, rows = rows[0], rows[1:]
  width = len(header or rows[0])
  values = np.empty((len(rows), width))
  for i, row in enumerate(rows):
    line = i + (2 if header else 1)
    if len(row) != width:
      raise DataFormatError(path, f"expected {width} columns, found {len(row)}", line)
    try:
      values[i] = [float(x) for x in row]
    except ValueError:
      raise DataFormatError(path, "expected numbers only", line) from None
    if not np.isfinite(values[i]).all():
      raise DataFormatError(path, "NaN or infinite value", line)
  if len(values) < 3:
    raise DataFormatError(path, f"needs at least 3 samples (rows), found {len(values)}")
  return values, header or [f"v{j}" for j in range(width)]


def upper_pairs(adjacency: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
  """(rows, cols) of a boolean [p, p] adjacency's edges, rows < cols."""
  return np.nonzero(np.triu(adjacency, 1))


def edge_scores(estimated: tuple[np.ndarray, np.ndarray], truth: tuple[np.ndarray, np.ndarray],
                num_variables: int) -> dict:
  """Precision, recall and F1 of estimated edges (rows, cols; rows < cols) against the true ones."""
  found = np.unique(estimated[0].astype(np.int64) * num_variables + estimated[1])
  true = np.unique(truth[0].astype(np.int64) * num_variables + truth[1])
  true_positives = int(np.isin(found, true, assume_unique=True).sum())
  precision = true_positives / max(len(found), 1)
  recall = true_positives / max(len(true), 1)
  f1 = 2 * precision * recall / max(precision + recall, 1e-12)
  return {"precision": precision, "recall": recall, "f1": f1, "num_edges": len(found)}


def glasso_at_sparsity(samples: np.ndarray, target_edges: int, max_seconds: float = 120.0) -> dict:
  """GraphicalLasso on one context, alpha bisected to give about `target_edges` edges.

  Each fit stops at a dual gap of 1e-3 rather than scikit-learn's default 1e-4: on these
  correlation matrices the gap settles around -5e-4 (float rounding), so at 1e-4 nearly every fit
  ran all 200 iterations, and at 1e-3 it stops after 2-5 at the same set of edges (36 fits of the
  simulator checked, p = 100; precision entries within 3e-3): 5x faster matching.
  """
  from sklearn.covariance import graphical_lasso
  cov = jeek.correlation(samples)
  low, high, best, start = 1e-3, 1.0, None, time.time()
  for _ in range(12):
    alpha = math.sqrt(low * high)
    with warnings.catch_warnings():
      warnings.simplefilter("ignore")
      _, precision = graphical_lasso(cov, alpha, max_iter=200, tol=1e-3)
    found = jeek.edges(precision, 1e-8)
    count = int(found.sum() // 2)
    if best is None or abs(count - target_edges) < abs(best[1] - target_edges):
      best = (found, count, alpha)
    if count > target_edges:
      low = alpha
    else:
      high = alpha
    if count == target_edges or time.time() - start > max_seconds:
      break
  return {"edges": best[0], "alpha": best[2], "seconds": time.time() - start}


def default_lambdas(num_variables: int, num_samples: int) -> tuple[float, float]:
  """(lambda, v): rule-of-thumb multiples of sqrt(log p / n), tuned on the simulator."""
  scale = math.sqrt(math.log(num_variables) / num_samples)
  return 0.8 * scale, 0.65 * scale


def run(config, workdir: str) -> dict:
  start = time.time()
  workdir = os.path.abspath(workdir)
  os.makedirs(workdir, exist_ok=True)
  data, model = config.data, config.model
  truth = None
  if data.name == "simulated_networks":
    sim = simulation.simulate_sparse_networks(data.num_variables, data.num_contexts,
                                              data.num_samples, seed=config.seed)
    samples = [sim.samples(i) for i in range(sim.num_contexts)]
    names = [f"v{j}" for j in range(data.num_variables)]
    contexts = [f"context{i}" for i in range(data.num_contexts)]
    truth = [sim.edges(i) for i in range(sim.num_contexts)]
  elif data.name == "csv":
    paths = [p for p in str(data.paths).split(",") if p]
    if len(paths) < 2:
      raise ConfigError("data.paths needs two or more CSV files, comma-separated")
    read = [read_matrix(p) for p in paths]
    samples, names = [r[0] for r in read], read[0][1]
    if any(r[1] != names for r in read):
      raise ConfigError("the CSV files must have the same variables (columns) in the same order")
    contexts = [os.path.splitext(os.path.basename(p))[0] for p in paths]
  else:
    raise ConfigError(f"unknown data.name {data.name!r}; expected simulated_networks or csv")
  p = samples[0].shape[1]
  results = {"model": "jeek", "contexts": contexts, "num_variables": p}
  lam, v, chosen = choose_lambdas(model, samples, results)
  choose_lam, refined = None, []
  if chosen is not None and len(chosen.contexts_used) < len(samples) and model.refine_lambda:
    def choose_lam(store, diagonals, memory_plan):
      refined.append(selection.refine_lambda(chosen, samples, store, diagonals, memory_plan))
      return refined[0].lam
  fit_start = time.time()
  writer = blockwise.EdgeWriter(workdir, contexts, names)
  networks = blockwise.jeek_blockwise(
      [(lambda x=x: jeek.correlation(x)) for x in samples], lam, v, model.memory_budget_gb,
      scratch_dir=workdir, writer=writer, progress=_progress, pool=model.pool_backward_maps,
      choose_lam=choose_lam)
  writer.close()
  if refined:
    lam = refined[0].lam
    results["selection"] = refined[0].to_dict()
  fit_seconds = time.time() - fit_start
  memory_plan = blockwise.plan(len(samples), p, model.memory_budget_gb, model.pool_backward_maps)
  pooled = (f", backward maps pooled by a = {networks.pooled_fraction:.3f}"
            if model.pool_backward_maps else "")
  print(f"JEEK on {len(samples)} contexts x {p} variables: lambda {lam:.4f}, v {v:.4f}{pooled}, "
        f"{fit_seconds:.2f} s ({memory_plan.describe()})")
  shared = networks.shared
  results.update({"lambda": lam, "v": v, "fit_time_s": round(fit_seconds, 3),
                  "pooled_fraction": (networks.pooled_fraction if model.pool_backward_maps
                                      else None),
                  "memory_plan": dataclasses.asdict(memory_plan),
                  "shared_edges": len(shared[0]), "per_context": []})
  for i, name in enumerate(contexts):
    rows, cols, _ = networks.networks[i]
    entry = {"context": name, "edges": len(rows),
             "specific_edges": int((~networks.is_shared(i)).sum())}
    if truth is not None:
      entry["jeek"] = edge_scores((rows, cols), truth[i], p)
      if model.compare_glasso and p <= model.glasso_max_variables:
        fitted = glasso_at_sparsity(samples[i], entry["edges"])
        entry["graphical_lasso"] = {**edge_scores(upper_pairs(fitted["edges"]), truth[i], p),
                                    "alpha": fitted["alpha"], "time_s": round(fitted["seconds"], 2)}
    results["per_context"].append(entry)
    print(f"  {name}: {entry['edges']} edges ({entry['specific_edges']} specific)"
          + (f", F1 {entry['jeek']['f1']:.3f}" if "jeek" in entry else "")
          + (f" vs GraphicalLasso {entry['graphical_lasso']['f1']:.3f}"
             if "graphical_lasso" in entry else ""))
  if truth is not None:
    results["mean_f1"] = float(np.mean([e["jeek"]["f1"] for e in results["per_context"]]))
  figure = _plot(networks, contexts)
  figure.savefig(os.path.join(workdir, "networks.png"), dpi=110, bbox_inches="tight")
  plotting.close(figure)
  results["time_s"] = round(time.time() - start, 2)
  results["config"] = config.to_dict()
  reporting.write_json(os.path.join(workdir, "results.json"), results)
  return results


def choose_lambdas(model, samples, results: dict) -> tuple[float, float, selection.Selection | None]:
  """(lambda, v, the eBIC's Selection or None): the config's where set, else by
  `model.lambda_rule` (ebic or rule_of_thumb)."""
  p = samples[0].shape[1]
  chosen = None
  if model.lam and model.v:
    results["lambda_rule"] = "given"
    return model.lam, model.v, None
  if model.lambda_rule == "rule_of_thumb":
    lam, v = default_lambdas(p, min(len(x) for x in samples))
    results["lambda_rule"] = "rule_of_thumb"
  elif model.lambda_rule == "ebic":
    used = min(len(samples), model.select_contexts or len(samples))
    print(f"Choosing lambda and v (neighbourhood eBIC, gamma {model.ebic_gamma}) on "
          f"{used} of {len(samples)} contexts")
    chosen = selection.select(samples, model.ebic_gamma, max_contexts=model.select_contexts,
                              memory_budget_gb=model.memory_budget_gb,
                              pool=model.pool_backward_maps)
    lam, v = chosen.lam, chosen.v
    results["lambda_rule"] = "ebic"
    results["selection"] = chosen.to_dict()
  else:
    raise ConfigError(f"unknown model.lambda_rule {model.lambda_rule!r}; expected ebic or "
                      "rule_of_thumb")
  if model.lam or model.v:         # one of the two given: the other one is chosen, not refined
    chosen = None
  return model.lam or lam, model.v or v, chosen


def _progress(stage: str, done: int, total: int) -> None:
  """Progress lines for long fits: every 10 % of the backward maps and of the entry blocks."""
  if total >= 10 and (done == total or done % max(total // 10, 1) == 0):
    print(f"  {stage}: {done}/{total}", flush=True)


def _plot(networks: blockwise.SparseNetworks, contexts):
  """Adjacency maps (edges as dots, variable x variable): shared in black, specific in red."""
  shown = min(len(contexts), 4)
  p = networks.num_variables
  size = max(0.2, min(4.0, 400.0 / p))
  fig, axes = plotting.plt.subplots(1, shown + 1, figsize=(3.2 * (shown + 1), 3.4))
  rows, cols, _ = networks.shared
  axes[0].scatter(np.r_[cols, rows], np.r_[rows, cols], s=size, c="black", marker="s", lw=0)
  axes[0].set_title(f"shared ({len(rows)} edges)", fontsize=9)
  for ax, i in zip(axes[1:], range(shown)):
    rows, cols, _ = networks.networks[i]
    own = ~networks.is_shared(i)
    ax.scatter(np.r_[cols[own], rows[own]], np.r_[rows[own], cols[own]], s=size, c="tab:red",
               marker="s", lw=0)
    ax.set_title(f"{contexts[i]}: specific ({int(own.sum())})", fontsize=9)
  for ax in axes:
    ax.set_xlim(-0.5, p - 0.5)
    ax.set_ylim(p - 0.5, -0.5)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
  fig.suptitle(f"JEEK networks ({p} x {p} variables)")
  fig.tight_layout()
  return fig
