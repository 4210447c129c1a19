"""K related sparse Gaussian graphical models: shared edges plus context-specific ones.

Each precision matrix has the shared edges (same positions and weights in every context) and its
own specific edges, with weights +/- U(0.3, 0.6); the diagonal is set so that the matrix is
diagonally dominant (hence positive definite). Samples are Gaussian with covariance Omega^-1.
"""

from __future__ import annotations

import dataclasses

import numpy as np


@dataclasses.dataclass(frozen=True)
class SimulatedNetworks:
  """precisions [K, p, p], samples: list of K arrays [n, p], shared_edges / specific_edges bool."""

  precisions: np.ndarray
  samples: list[np.ndarray]
  shared_edges: np.ndarray
  specific_edges: np.ndarray


def simulate_networks(p: int = 100, num_contexts: int = 3, num_samples: int = 200,
                      shared_edges: int | None = None, specific_edges: int | None = None,
                      seed: int = 0) -> SimulatedNetworks:
  """Related sparse networks and samples as dense arrays (defaults: p shared and p/2 specific
  edges per context); `simulate_sparse_networks` draws them, for large p without the K x p x p."""
  sim = simulate_sparse_networks(p, num_contexts, num_samples, shared_edges, specific_edges, seed)

  def adjacency(rows, cols):
    out = np.zeros((p, p), bool)
    out[rows, cols] = out[cols, rows] = True
    return out

  return SimulatedNetworks(np.stack([sim.precision(i) for i in range(num_contexts)]),
                           [sim.samples(i) for i in range(num_contexts)],
                           adjacency(*sim.shared[:2]),
                           np.stack([adjacency(*own[:2]) for own in sim.specific]))


@dataclasses.dataclass(frozen=True)
class SparseSimulation:
  """K related networks stored as edge lists, for large p and K (no K x p x p arrays).

  shared: (rows, cols, weights) with rows < cols; specific: per context (rows, cols, weights).
  `samples(i)` draws context i's samples [n, p] (deterministic in the seed and i), so contexts
  can be generated one at a time.
  """

  num_variables: int
  num_samples: int
  seed: int
  shared: tuple[np.ndarray, np.ndarray, np.ndarray]
  specific: list[tuple[np.ndarray, np.ndarray, np.ndarray]]

  @property
  def num_contexts(self) -> int:
    return len(self.specific)

  def edges(self, context: int) -> tuple[np.ndarray, np.ndarray]:
    """(rows, cols) of context i's true edges, rows < cols."""
    rows = np.concatenate([self.shared[0], self.specific[context][0]])
    cols = np.concatenate([self.shared[1], self.specific[context][1]])
    return rows, cols

  def precision(self, context: int) -> np.ndarray:
    """Omega_i [p, p]: shared plus specific weights, diagonal |row sum| + 0.5 (diagonally dominant)."""
    p = self.num_variables
    omega = np.zeros((p, p))
    for rows, cols, weights in (self.shared, self.specific[context]):
      omega[rows, cols] = weights
      omega[cols, rows] = weights
    np.fill_diagonal(omega, np.abs(omega).sum(axis=1) + 0.5)
    return omega

  def samples(self, context: int) -> np.ndarray:
    """n Gaussian samples [n, p] with covariance Omega_i^-1: x = L^-T z where Omega_i = L L^T."""
    from scipy.linalg import cholesky, solve_triangular
    upper = cholesky(self.precision(context), lower=False)              # Omega = U^T U
    z = np.random.default_rng([self.seed, 1, context]).standard_normal((self.num_variables,
                                                                        self.num_samples))
    return solve_triangular(upper, z, lower=False).T


def _random_pairs(p: int, count: int, rng, forbidden: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
  """`count` distinct pairs (r < c) whose linear index r * p + c is not in sorted `forbidden`."""
  if count > p * (p - 1) // 2 - len(forbidden):
    raise ValueError(f"{count} edges do not fit among {p} variables")
  chosen = np.empty(0, np.int64)
  while len(chosen) < count:
    a, b = rng.integers(0, p, (2, 2 * (count - len(chosen)) + 16))
    rows, cols = np.minimum(a, b), np.maximum(a, b)
    index = (rows * p + cols)[rows < cols]
    index = index[~np.isin(index, forbidden)]
    _, first = np.unique(index, return_index=True)
    index = index[np.sort(first)]                        # distinct, in the order drawn
    chosen = np.concatenate([chosen, index[~np.isin(index, chosen)]])
  chosen = chosen[:count]
  return chosen // p, chosen % p


def simulate_sparse_networks(p: int, num_contexts: int, num_samples: int = 200,
                             shared_edges: int | None = None, specific_edges: int | None = None,
                             seed: int = 0) -> SparseSimulation:
  """The same model as `simulate_networks` (defaults: p shared and p/2 specific edges per context,
  weights +/- U(0.3, 0.6)), drawn as edge lists so that K = 91 contexts of p = 5,000 fit in memory."""
  rng = np.random.default_rng(seed)
  shared_edges = p if shared_edges is None else shared_edges
  specific_edges = p // 2 if specific_edges is None else specific_edges

  def weights(count):
    return rng.uniform(0.3, 0.6, count) * rng.choice([-1.0, 1.0], count)

  rows, cols = _random_pairs(p, shared_edges, rng, np.empty(0, np.int64))
  shared = (rows, cols, weights(len(rows)))
  forbidden = np.sort(rows * p + cols)
  specific = []
  for _ in range(num_contexts):
    rows, cols = _random_pairs(p, specific_edges, rng, forbidden)
    specific.append((rows, cols, weights(len(rows))))
  return SparseSimulation(p, num_samples, seed, shared, specific)
