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


def _random_edges(p: int, count: int, rng, forbidden: np.ndarray) -> np.ndarray:
  adjacency = np.zeros((p, p), bool)
  rows, cols = np.triu_indices(p, 1)
  allowed = ~forbidden[rows, cols]
  pick = rng.choice(np.flatnonzero(allowed), size=count, replace=False)
  adjacency[rows[pick], cols[pick]] = True
  return adjacency | adjacency.T


def simulate_networks(p: int = 100, num_contexts: int = 3, num_samples: int = 200,
                      shared_edges: int | None = None, specific_edges: int | None = None,
                      seed: int = 0) -> SimulatedNetworks:
  """Related sparse networks and samples (defaults: p shared and p/2 specific edges per context)."""
  rng = np.random.default_rng(seed)
  shared_edges = p if shared_edges is None else shared_edges
  specific_edges = p // 2 if specific_edges is None else specific_edges
  shared = _random_edges(p, shared_edges, rng, np.eye(p, dtype=bool))

  def weights():
    w = rng.uniform(0.3, 0.6, (p, p)) * rng.choice([-1.0, 1.0], (p, p))
    return np.triu(w, 1) + np.triu(w, 1).T

  shared_weights = weights() * shared
  precisions, samples, specific = [], [], []
  for _ in range(num_contexts):
    own = _random_edges(p, specific_edges, rng, shared | np.eye(p, dtype=bool))
    omega = shared_weights + weights() * own
    np.fill_diagonal(omega, np.abs(omega).sum(axis=1) + 0.5)
    precisions.append(omega)
    specific.append(own)
    samples.append(rng.multivariate_normal(np.zeros(p), np.linalg.inv(omega), size=num_samples))
  return SimulatedNetworks(np.stack(precisions), samples, shared, np.stack(specific))
