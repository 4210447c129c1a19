"""JEEK: the vectorised per-entry solver is an exact LP solver; edge recovery beats GraphicalLasso."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.optimize import linprog

from regjax import runner
from regjax.errors import DataFormatError
from regjax.graphs import jeek, simulation
from tests.conftest import load_config


def _lp_objective(b, w_task, w_shared, lam):
  """min sum_i w_i |x_i| + w_s |s|  s.t. |x_i + s - b_i| <= lam min(w_i, w_s), as an LP."""
  k = len(b)
  half = lam * np.minimum(w_task, w_shared)
  # variables: x+ (k), x- (k), s+, s-  (all >= 0)
  cost = np.concatenate([w_task, w_task, [w_shared, w_shared]])
  rows = np.hstack([np.eye(k), -np.eye(k), np.ones((k, 1)), -np.ones((k, 1))])
  a_ub = np.vstack([rows, -rows])
  b_ub = np.concatenate([b + half, half - b])
  result = linprog(cost, A_ub=a_ub, b_ub=b_ub, bounds=[(0, None)] * (2 * k + 2), method="highs")
  assert result.status == 0
  return result.fun


def test_entry_solver_equals_linear_programming():
  rng = np.random.default_rng(0)
  k, entries, lam = 3, 300, 0.2
  b = rng.normal(size=(k, entries)) * rng.choice([0.1, 1.0], size=(k, entries))
  b[:, :50] = rng.normal(size=50)  # entries with the same value in every context
  w_task = rng.choice([0.5, 1.0, 2.0], size=(k, entries))
  w_shared = rng.choice([0.5, 1.0, 2.0], size=entries)
  x, s = (np.asarray(a, np.float64) for a in jeek.solve_entries(b, w_task, w_shared, lam))
  half = lam * np.minimum(w_task, w_shared[None])
  assert np.all(np.abs(x + s[None] - b) <= half + 1e-6)  # feasible
  ours = (w_task * np.abs(x)).sum(0) + w_shared * np.abs(s)
  reference = np.array([_lp_objective(b[:, e], w_task[:, e], w_shared[e], lam)
                        for e in range(entries)])
  np.testing.assert_allclose(ours, reference, atol=1e-6)
  # An entry equal in all contexts is explained by the shared part alone.
  x1, s1 = jeek.solve_entries(np.full((3, 1), 0.9), np.ones((3, 1)), np.ones(1), 0.1)
  assert float(s1[0]) == pytest.approx(0.8, abs=1e-6)
  np.testing.assert_allclose(x1, 0.0, atol=1e-12)  # 0.9 - 0.8 - 0.1 is not 0 exactly


def _by_every_breakpoint(b, w_task, w_shared, lam):
  """The definition: f evaluated at all 2K + 1 breakpoints, the smallest |s| among the minima."""
  half = lam * np.minimum(w_task, w_shared[None])
  candidates = np.concatenate([np.zeros_like(b[:1]), b - half, b + half])        # [2K+1, E]
  excess = np.maximum(np.abs(b[None] - candidates[:, None]) - half[None], 0.0)  # [2K+1, K, E]
  values = w_shared[None] * np.abs(candidates) + (w_task[None] * excess).sum(1)
  optimal = values <= values.min(0) + 1e-9 * (1 + np.abs(values.min(0)))
  s = np.take_along_axis(candidates, np.argmin(np.where(optimal, np.abs(candidates), np.inf), 0)
                         [None], 0)[0]
  return np.clip(0.0, b - s[None] - half, b - s[None] + half), s


@pytest.mark.parametrize("k", [2, 3, 17])
def test_weighted_median_solvers_equal_every_breakpoint_evaluation(k):
  rng = np.random.default_rng(k)
  entries = 2000
  b = rng.normal(size=(k, entries)) * rng.choice([0.05, 0.3, 1.0], size=(k, entries))
  b[:, :200] = rng.normal(size=200)                  # the same value in every context
  b[:, 200:400] = np.round(b[:, 200:400], 1)         # exact ties between breakpoints
  ones = np.ones((k, entries))
  x, s = _by_every_breakpoint(b, ones, np.ones(entries), 0.1)
  for use_jax in (False, True):
    x_u, s_u = jeek.solve_uniform_entries(b, 0.1, use_jax=use_jax)
    np.testing.assert_allclose(s_u, s, atol=1e-12)
    np.testing.assert_allclose(x_u, x, atol=1e-12)
  w_task = rng.choice([0.5, 1.0, 2.0], size=(k, entries))
  w_shared = rng.choice([0.5, 1.0, 2.0], size=entries)
  x, s = _by_every_breakpoint(b, w_task, w_shared, 0.1)
  x_w, s_w = jeek.solve_entries(b, w_task, w_shared, 0.1)
  np.testing.assert_allclose(s_w, s, atol=1e-12)
  np.testing.assert_allclose(x_w, x, atol=1e-12)


def test_diffee_finds_the_changed_edges():
  sim = simulation.simulate_networks(60, 2, 400, seed=3)
  difference = jeek.diffee(jeek.correlation(sim.samples[0]), jeek.correlation(sim.samples[1]),
                           lam=0.15, v=0.08)
  truth = sim.specific_edges[0] | sim.specific_edges[1]  # shared edges cancel
  found = jeek.edges(difference)
  rows, cols = np.triu_indices(60, 1)
  true_positives = (found & truth)[rows, cols].sum()
  precision = true_positives / max(found[rows, cols].sum(), 1)
  recall = true_positives / truth[rows, cols].sum()
  print(f"DIFFEE precision {precision:.2f}, recall {recall:.2f}")
  assert precision > 0.6 and recall > 0.4


@pytest.mark.slow
def test_simulated_recovery_beats_graphical_lasso(tmp_path):
  results = runner.run("train", load_config("jeek"), str(tmp_path))
  per_context = results["per_context"]
  jeek_f1 = np.mean([c["jeek"]["f1"] for c in per_context])
  glasso_f1 = np.mean([c["graphical_lasso"]["f1"] for c in per_context])
  print(f"JEEK F1 {jeek_f1:.3f} vs GraphicalLasso {glasso_f1:.3f} at matched sparsity")
  # Seeds 0-4: JEEK 0.749-0.784, each 0.029-0.033 above GraphicalLasso.
  assert jeek_f1 >= 0.65 and jeek_f1 > glasso_f1
  for c in per_context:  # matched sparsity: within 10 % of JEEK's edge count
    assert abs(c["graphical_lasso"]["num_edges"] - c["edges"]) <= 0.1 * c["edges"]
  rows = (tmp_path / "edges_context0.tsv").read_text().splitlines()
  assert rows[0] == "source\ttarget\tweight\tkind" and len(rows) == per_context[0]["edges"] + 1
  assert (tmp_path / "networks.png").stat().st_size > 1000


def test_csv_input_and_errors(tmp_path):
  sim = simulation.simulate_networks(12, 2, 60, seed=1)
  paths = []
  for i, samples in enumerate(sim.samples):
    path = tmp_path / f"tissue{i}.csv"
    path.write_text(",".join(f"g{j}" for j in range(12)) + "\n" +
                    "\n".join(",".join(f"{v:.5f}" for v in row) for row in samples) + "\n")
    paths.append(str(path))
  config = load_config("jeek")
  config.data.name, config.data.paths = "csv", ",".join(paths)
  results = runner.run("train", config, str(tmp_path / "run"))
  assert results["contexts"] == ["tissue0", "tissue1"] and "mean_f1" not in results
  assert (tmp_path / "run" / "edges_tissue1.tsv").exists()
  assert json.load(open(tmp_path / "run" / "results.json"))["num_variables"] == 12
  assert results["pooled_fraction"] is None
  config.model.pool_backward_maps = True
  pooled = runner.run("train", config, str(tmp_path / "pooled"))
  assert 0.0 <= pooled["pooled_fraction"] <= 1.0
  assert json.load(open(tmp_path / "pooled" / "results.json"))["pooled_fraction"] == \
      pooled["pooled_fraction"]
  config.model.pool_backward_maps = False
  many = load_config("jeek")                  # more contexts than the grid is scored on
  many.data.num_variables, many.data.num_contexts = 30, 6
  many.model.select_contexts, many.model.compare_glasso = 2, False
  refined = runner.run("train", many, str(tmp_path / "many"))
  assert len(refined["selection"]["contexts_used"]) == 2
  assert refined["lambda"] == refined["selection"]["lambda"]
  assert refined["selection"]["refined_on_all_contexts"]
  assert len(refined["per_context"]) == 6
  lines = open(paths[1]).read().splitlines()
  lines[5] = lines[5] + ",3.0"
  open(paths[1], "w").write("\n".join(lines) + "\n")
  with pytest.raises(DataFormatError, match=r"tissue1.csv, line 6: expected 12 columns, found 13"):
    runner.run("train", config, str(tmp_path / "run2"))
