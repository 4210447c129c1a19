"""`configs/jeek.py` through the CLI: estimate K networks, write edge lists, a plot and results.json.

Data: K CSV files (rows samples, columns variables; an optional header row names the variables), or
the simulator. Writes `edges_<context>.tsv` (`source target weight kind`, kind = shared / specific),
`networks.png` (shared and context-specific edges as adjacency maps) and results.json; on simulated
data also edge-recovery precision, recall and F1 against the truth, next to scikit-learn's
GraphicalLasso fitted per context at the same number of edges (matched sparsity).
"""

from __future__ import annotations

import math
import os
import time
import warnings

import numpy as np

from regjax import plotting, reporting
from regjax.errors import ConfigError, DataFormatError
from regjax.graphs import jeek, simulation


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


def edge_scores(estimate: np.ndarray, truth: np.ndarray) -> dict:
  """Precision, recall and F1 of the estimated edges (upper triangle) against the true ones."""
  rows, cols = np.triu_indices(len(truth), 1)
  e, t = estimate[rows, cols], truth[rows, cols]
  true_positives = int((e & t).sum())
  precision = true_positives / max(int(e.sum()), 1)
  recall = true_positives / max(int(t.sum()), 1)
  f1 = 2 * precision * recall / max(precision + recall, 1e-12)
  return {"precision": precision, "recall": recall, "f1": f1, "num_edges": int(e.sum())}


def glasso_at_sparsity(samples: np.ndarray, target_edges: int, max_seconds: float = 120.0) -> dict:
  """GraphicalLasso on one context, alpha bisected to give about `target_edges` edges."""
  from sklearn.covariance import graphical_lasso
  cov = jeek.correlation(samples)
  low, high, best, start = 1e-3, 1.0, None, time.time()
  for _ in range(12):
    alpha = math.sqrt(low * high)
    with warnings.catch_warnings():
      warnings.simplefilter("ignore")
      _, precision = graphical_lasso(cov, alpha, max_iter=200)
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
  data = config.data
  truth = None
  if data.name == "simulated_networks":
    sim = simulation.simulate_networks(data.num_variables, data.num_contexts, data.num_samples,
                                       seed=config.seed)
    samples, names = sim.samples, [f"v{j}" for j in range(data.num_variables)]
    contexts = [f"context{i}" for i in range(data.num_contexts)]
    truth = [jeek.edges(o) for o in sim.precisions]
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
  lam, v = default_lambdas(p, min(len(x) for x in samples))
  lam = config.model.lam or lam
  v = config.model.v or v
  covariances = np.stack([jeek.correlation(x) for x in samples])
  fit_start = time.time()
  result = jeek.jeek(covariances, lam, v)
  fit_seconds = time.time() - fit_start
  print(f"JEEK on {len(samples)} contexts x {p} variables: lambda {lam:.4f}, v {v:.4f}, "
        f"{fit_seconds:.2f} s")
  shared = jeek.edges(result.shared)
  results = {"model": "jeek", "contexts": contexts, "num_variables": p, "lambda": lam, "v": v,
             "fit_time_s": round(fit_seconds, 3), "shared_edges": int(shared.sum() // 2),
             "per_context": []}
  for i, name in enumerate(contexts):
    estimated = jeek.edges(result.precisions[i])
    specific = estimated & ~shared
    _write_edges(os.path.join(workdir, f"edges_{name}.tsv"), names, result.precisions[i], shared,
                 estimated)
    entry = {"context": name, "edges": int(estimated.sum() // 2),
             "specific_edges": int(specific.sum() // 2)}
    if truth is not None:
      entry["jeek"] = edge_scores(estimated, truth[i])
      if config.model.compare_glasso and p <= config.model.glasso_max_variables:
        fitted = glasso_at_sparsity(samples[i], entry["edges"])
        entry["graphical_lasso"] = {**edge_scores(fitted["edges"], truth[i]),
                                    "alpha": fitted["alpha"], "time_s": round(fitted["seconds"], 2)}
    results["per_context"].append(entry)
    print(f"  {name}: {entry['edges']} edges ({entry['specific_edges']} specific)"
          + (f", F1 {entry['jeek']['f1']:.3f}" if "jeek" in entry else "")
          + (f" vs GraphicalLasso {entry['graphical_lasso']['f1']:.3f}"
             if "graphical_lasso" in entry else ""))
  if truth is not None:
    results["mean_f1"] = float(np.mean([e["jeek"]["f1"] for e in results["per_context"]]))
  figure = _plot(result, shared, contexts)
  figure.savefig(os.path.join(workdir, "networks.png"), dpi=110, bbox_inches="tight")
  plotting.close(figure)
  results["time_s"] = round(time.time() - start, 2)
  results["config"] = config.to_dict()
  reporting.write_json(os.path.join(workdir, "results.json"), results)
  return results


def _write_edges(path, names, precision, shared, estimated) -> None:
  rows, cols = np.nonzero(np.triu(estimated, 1))
  with open(path, "w") as f:
    f.write("source\ttarget\tweight\tkind\n")
    for r, c in zip(rows, cols):
      kind = "shared" if shared[r, c] else "specific"
      f.write(f"{names[r]}\t{names[c]}\t{precision[r, c]:.6g}\t{kind}\n")


def _plot(result: jeek.JeekResult, shared: np.ndarray, contexts):
  """Adjacency maps: shared edges in black, each context's specific edges in colour."""
  shown = min(len(contexts), 4)
  fig, axes = plotting.plt.subplots(1, shown + 1, figsize=(3.2 * (shown + 1), 3.4))
  axes[0].imshow(shared, cmap="Greys", interpolation="nearest")
  axes[0].set_title(f"shared ({int(shared.sum() // 2)} edges)", fontsize=9)
  for ax, i in zip(axes[1:], range(shown)):
    specific = jeek.edges(result.precisions[i]) & ~shared
    ax.imshow(specific, cmap="Reds", interpolation="nearest")
    ax.set_title(f"{contexts[i]}: specific ({int(specific.sum() // 2)})", fontsize=9)
  for ax in axes:
    ax.set_xticks([])
    ax.set_yticks([])
  fig.suptitle("JEEK networks (variables x variables)")
  fig.tight_layout()
  return fig
