"""Blockwise JEEK equals whole-array JEEK; the memory plan, the scratch file, the sparse simulator and
the data-driven lambda."""

from __future__ import annotations

import math
import os

import numpy as np
import pytest

from regjax.errors import ConfigError
from regjax.graphs import blockwise, jeek, runner, selection, simulation
from tests.conftest import TEST_SEED


def _correlations(p, k, n, seed):
  rng = np.random.default_rng(seed)
  mixing = rng.normal(size=(p, p)) * (rng.random((p, p)) < 0.05)
  return [jeek.correlation(rng.normal(size=(n, p)) @ (np.eye(p) + mixing)) for _ in range(k)]


@pytest.mark.parametrize("p,k,n,lam,v", [(37, 3, 80, 0.1, 0.05), (64, 5, 40, 0.05, 0.1),
                                         (23, 2, 300, 0.2, 0.02)])
def test_blockwise_equals_whole_array(p, k, n, lam, v):
  correlations = _correlations(p, k, n, seed=p)
  whole = jeek.jeek(np.stack(correlations), lam, v)
  # A budget just above one backward map's working set makes many blocks (the last one padded).
  budget = 1.6 * 3 * p * p * 8 / blockwise.GIB
  result = blockwise.jeek_blockwise(correlations, lam, v, memory_budget_gb=budget)
  assert blockwise.plan(k, p, budget).num_blocks >= 2
  for i in range(k):
    np.testing.assert_array_equal(result.adjacency(i), jeek.edges(whole.precisions[i]))
    np.testing.assert_allclose(result.dense(i), whole.precisions[i], rtol=0, atol=1e-12)
  np.testing.assert_array_equal(result.adjacency(None), jeek.edges(whole.shared))


def test_backward_maps_spill_to_a_scratch_file_and_it_is_removed(tmp_path):
  correlations = _correlations(40, 12, 60, seed=1)
  budget = 1e-4                    # 12 x 780 float64 (73 KiB) > half of it (52 KiB)
  memory_plan = blockwise.plan(12, 40, budget)
  assert not memory_plan.store_in_memory
  store, diagonals = blockwise.backward_map_store(correlations, 40, 0.05, memory_plan,
                                                  scratch_dir=str(tmp_path))
  assert os.path.getsize(store.path) == 12 * 780 * 8
  offsets = blockwise.upper_offsets(40)
  expected = blockwise.upper_entries(jeek.backward_map(correlations[7], 0.05), offsets)
  np.testing.assert_array_equal(store.block(100, 300)[7], expected[100:300])
  (result,) = blockwise.solve_store(store, diagonals, [0.08], memory_plan)
  store.close()
  assert list(tmp_path.iterdir()) == []
  whole = jeek.jeek(np.stack(correlations), 0.08, 0.05)
  for i in (0, 11):
    np.testing.assert_allclose(result.dense(i), whole.precisions[i], atol=1e-12)


def test_upper_triangle_indexing_round_trip():
  p = 9
  matrix = np.arange(p * p, dtype=float).reshape(p, p)
  offsets = blockwise.upper_offsets(p)
  entries = blockwise.upper_entries(matrix, offsets)
  rows, cols = np.triu_indices(p, 1)
  np.testing.assert_array_equal(entries, matrix[rows, cols])
  found_rows, found_cols = blockwise.entry_positions(np.arange(len(entries)), offsets)
  np.testing.assert_array_equal(found_rows, rows)
  np.testing.assert_array_equal(found_cols, cols)


def test_a_budget_below_one_backward_map_is_refused():
  with pytest.raises(ConfigError, match=r"p = 5000 needs 0\.68 GiB for one backward map"):
    blockwise.plan(91, 5000, 0.5)
  # Pooling sets two vectors of p (p - 1) / 2 float64 aside (0.19 GiB at p = 5,000).
  assert blockwise.plan(91, 5000, 0.8).num_blocks > 0
  with pytest.raises(ConfigError, match=r"p = 5000 needs 0\.95 GiB .*the pooled mean"):
    blockwise.plan(91, 5000, 0.8, pool=True)
  assert (blockwise.plan(3, 2000, 1.0, pool=True).block_entries
          < blockwise.plan(3, 2000, 1.0).block_entries)


def test_edge_writer_appends_blocks_and_renames_when_done(tmp_path):
  correlations = _correlations(30, 2, 100, seed=4)
  names = [f"g{j}" for j in range(30)]
  writer = blockwise.EdgeWriter(str(tmp_path), ["liver", "lung"], names)
  result = blockwise.jeek_blockwise(correlations, 0.05, 0.05, memory_budget_gb=5e-5,
                                    writer=writer)
  assert (tmp_path / "edges_lung.tsv.partial").exists() and not (tmp_path / "edges_lung.tsv").exists()
  writer.close()
  lines = (tmp_path / "edges_lung.tsv").read_text().splitlines()
  assert lines[0] == "source\ttarget\tweight\tkind" and len(lines) == result.num_edges(1) + 1
  rows, cols, values = result.networks[1]
  first = lines[1].split("\t")
  assert first[:2] == [names[rows[0]], names[cols[0]]]
  assert float(first[2]) == pytest.approx(values[0], rel=1e-5)
  shared = {(a, b) for a, b in zip(*result.shared[:2])}
  kinds = [line.split("\t")[3] for line in lines[1:]]
  assert kinds == ["shared" if (a, b) in shared else "specific" for a, b in zip(rows, cols)]
  assert 0 < result.is_shared(1).sum() < len(rows)
  assert list(result.is_shared(1)) == [kind == "shared" for kind in kinds]
  with pytest.raises(ConfigError, match=r"edges_liver.tsv already exists"):
    blockwise.EdgeWriter(str(tmp_path), ["liver", "lung"], names)


def test_diffee_sparse_equals_dense():
  c1, c2 = _correlations(25, 2, 90, seed=8)
  dense = jeek.diffee(c1, c2, 0.1, 0.05)
  rows, cols, values = blockwise.diffee_sparse(c1, c2, 0.1, 0.05)
  expected_rows, expected_cols = np.nonzero(np.triu(dense, 1))
  np.testing.assert_array_equal(rows, expected_rows)
  np.testing.assert_array_equal(cols, expected_cols)
  np.testing.assert_allclose(values, dense[rows, cols], atol=1e-12)


def test_sparse_simulator_draws_the_stated_model():
  sim = simulation.simulate_sparse_networks(50, 3, 4000, seed=TEST_SEED)
  shared = set(zip(*sim.shared[:2]))
  assert len(shared) == 50
  for i in range(3):
    own = set(zip(*sim.specific[i][:2]))
    assert len(own) == 25 and not own & shared
    assert all(r < c for r, c in own | shared)
  weights = np.abs(np.concatenate([sim.shared[2], sim.specific[0][2]]))
  assert weights.min() >= 0.3 and weights.max() <= 0.6
  omega = sim.precision(1)
  assert np.linalg.eigvalsh(omega)[0] > 0
  x = sim.samples(1)
  np.testing.assert_array_equal(x, sim.samples(1))          # deterministic per context
  covariance = np.linalg.inv(omega)
  assert np.abs(np.cov(x.T) - covariance).max() < 0.1 * np.abs(covariance).max()


def test_neighbourhood_ebic_is_the_refitted_regressions():
  rng = np.random.default_rng(3)
  x = jeek.standardize(rng.normal(size=(60, 6)))
  rows, cols = np.array([0, 0, 2, 3]), np.array([1, 2, 4, 4])
  neighbours = {0: [1, 2], 1: [0], 2: [0, 4], 3: [4], 4: [2, 3], 5: []}
  expected = 0.0
  for j, nb in neighbours.items():
    if nb:
      coef = np.linalg.lstsq(x[:, nb], x[:, j], rcond=None)[0]
      rss = np.sum((x[:, j] - x[:, nb] @ coef) ** 2) / 60
    else:
      rss = 1.0
    expected += 60 * math.log(rss) + len(nb) * (math.log(60) + 2 * 0.5 * math.log(6))
  assert selection.neighbourhood_ebic(x, rows, cols, gamma=0.5) == pytest.approx(expected)
  dense_rows, dense_cols = np.triu_indices(6, 1)
  assert selection.neighbourhood_ebic(x[:5], dense_rows, dense_cols) == math.inf


def test_data_driven_lambda_recovers_the_simulated_networks():
  """Acceptance: F1 >= 0.7 at p = 100, K = 3, n = 200, close to the best (v, lambda) of the grid
  (seeds 0-7: 0.742-0.800, 0.003-0.026 below the grid's best)."""
  sim = simulation.simulate_sparse_networks(100, 3, 200, seed=TEST_SEED)
  samples = [sim.samples(i) for i in range(3)]
  correlations = [jeek.correlation(x) for x in samples]
  chosen = selection.select(samples, log=None)

  def f1(lam, v):
    result = blockwise.jeek_blockwise(correlations, lam, v)
    return np.mean([runner.edge_scores(result.networks[i][:2], sim.edges(i), 100)["f1"]
                    for i in range(3)])

  found = f1(chosen.lam, chosen.v)
  scale = math.sqrt(math.log(100) / 200)
  best = max(f1(lam * scale, v * scale) for v in selection.V_FACTORS
             for lam in selection.LAMBDA_FACTORS)
  print(f"eBIC lambda {chosen.lam:.4f}, v {chosen.v:.4f}: F1 {found:.3f} (best on the grid {best:.3f})")
  assert found >= 0.7 and found >= best - 0.06


def _pooled_dense(correlations, v):
  """The pooling of `blockwise`'s docstring, written densely: (fraction a, pooled entries [K, E])."""
  p = len(correlations[0])
  rows, cols = np.triu_indices(p, 1)
  maps = [jeek.backward_map(c, v) for c in correlations]
  scales = np.stack([np.sqrt(np.diag(b)[rows] * np.diag(b)[cols]) for b in maps])
  z = np.stack([b[rows, cols] for b in maps]) / scales
  k = len(maps)
  cross = np.mean([z[i] @ z[j] for i in range(k) for j in range(k) if i != j])
  fraction = float(np.clip(cross / np.mean([z[i] @ z[i] for i in range(k)]), 0, 1))
  return fraction, ((1 - fraction) * z + fraction * z.mean(axis=0)) * scales


def test_pooled_backward_maps_equal_the_dense_formula_in_every_block():
  p, k, v, lam = 37, 4, 0.05, 0.1
  rng = np.random.default_rng(3)
  shared = rng.normal(size=(p, p)) * (rng.random((p, p)) < 0.08)
  correlations = [jeek.correlation(rng.normal(size=(90, p)) @ (np.eye(p) + shared)) for _ in range(k)]
  fraction, pooled = _pooled_dense(correlations, v)
  assert 0.05 < fraction < 0.95
  budget = 1.6 * 3 * p * p * 8 / blockwise.GIB            # several blocks, the last one padded
  memory_plan = blockwise.plan(k, p, budget)
  assert memory_plan.num_blocks >= 2
  store, diagonals = blockwise.backward_map_store(correlations, p, v, memory_plan, pool=True)
  assert store.pooling.fraction == pytest.approx(fraction, rel=1e-12)
  (result,) = blockwise.solve_store(store, diagonals, [lam], memory_plan)
  store.close()
  assert result.pooled_fraction == store.pooling.fraction
  x, s = jeek.solve_uniform_entries(pooled, lam)
  rows, cols = np.triu_indices(p, 1)
  for i in range(k):
    expected = np.zeros((p, p))
    expected[rows, cols] = expected[cols, rows] = x[i] + s
    np.fill_diagonal(expected, diagonals[i])
    np.testing.assert_allclose(result.dense(i), expected, rtol=0, atol=1e-12)


def test_pooling_leaves_contexts_that_share_nothing_alone():
  sim = simulation.simulate_sparse_networks(100, 3, 200, shared_edges=0, specific_edges=50,
                                            seed=TEST_SEED)
  memory_plan = blockwise.plan(3, 100, 1.0)
  store, _ = blockwise.backward_map_store([jeek.correlation(sim.samples(i)) for i in range(3)],
                                          100, 0.1, memory_plan, pool=True)
  store.close()
  assert store.pooling.fraction < 0.05          # seeds 0-9: 0.000-0.009


def test_pooled_backward_maps_recover_shared_networks_better():
  """Seeds 0-9 at p = 100 (eBIC lambda both ways): pooling gains 0.018-0.066 edge F1, a 0.35-0.50."""
  sim = simulation.simulate_sparse_networks(100, 3, 200, seed=TEST_SEED)
  samples = [sim.samples(i) for i in range(3)]
  correlations = [jeek.correlation(x) for x in samples]
  f1 = {}
  for pool in (False, True):
    chosen = selection.select(samples, log=None, pool=pool)
    result = blockwise.jeek_blockwise(correlations, chosen.lam, chosen.v, pool=pool)
    f1[pool] = np.mean([runner.edge_scores(result.networks[i][:2], sim.edges(i), 100)["f1"]
                        for i in range(3)])
  print(f"F1 {f1[False]:.3f} as JEEK, {f1[True]:.3f} pooled (a = {result.pooled_fraction:.3f})")
  assert 0.2 < result.pooled_fraction < 0.7
  assert f1[True] >= f1[False] + 0.005


def test_refined_lambda_on_the_same_contexts_is_the_selections_own():
  sim = simulation.simulate_sparse_networks(60, 3, 200, seed=TEST_SEED)
  samples = [sim.samples(i) for i in range(3)]
  chosen = selection.select(samples, log=None)
  memory_plan = blockwise.plan(3, 60, 1.0)
  store, diagonals = blockwise.backward_map_store([jeek.correlation(x) for x in samples], 60,
                                                  chosen.v, memory_plan)
  refined = selection.refine_lambda(chosen, samples, store, diagonals, memory_plan, log=None)
  store.close()
  assert refined.lam == chosen.lam and refined.v == chosen.v
  assert [row[:3] for row in refined.refined_grid] == [row[:3] for row in chosen.grid
                                                       if row[0] == chosen.v]


def test_lambda_chosen_again_on_all_contexts_recovers_many_context_networks():
  """K = 40, grid scored on 4 contexts: the subset's lambda keeps too many edges on all 40.
  Seeds 0-7: F1 0.614-0.686 -> 0.741-0.803 (+0.117 to +0.164)."""
  k, p = 40, 100
  sim = simulation.simulate_sparse_networks(p, k, 200, seed=TEST_SEED)
  samples = [sim.samples(i) for i in range(k)]
  correlations = [jeek.correlation(x) for x in samples]
  chosen = selection.select(samples, max_contexts=4, log=None)
  assert len(chosen.contexts_used) == 4
  refined = {}

  def choose_lam(store, diagonals, memory_plan):
    refined["selection"] = selection.refine_lambda(chosen, samples, store, diagonals, memory_plan,
                                                   log=None)
    return refined["selection"].lam

  def f1(result):
    return np.mean([runner.edge_scores(result.networks[i][:2], sim.edges(i), p)["f1"]
                    for i in range(k)])

  plain = f1(blockwise.jeek_blockwise(correlations, chosen.lam, chosen.v))
  again = f1(blockwise.jeek_blockwise(correlations, chosen.lam, chosen.v, choose_lam=choose_lam))
  print(f"F1 {plain:.3f} with the subset's lambda {chosen.lam:.4f}, {again:.3f} with "
        f"{refined['selection'].lam:.4f}")
  assert refined["selection"].lam > chosen.lam
  assert again >= 0.7 and again >= plain + 0.06
