"""JEEK (Wang, Gao, Qi, ICML 2018) and DIFFEE (Wang, Singh, Qi, AISTATS 2018): elementary estimators.

Backward map of a context: B*(S) = [T_v(S)]^-1, the inverse of the correlation matrix with its
off-diagonal entries soft-thresholded by v (a ridge is added when that matrix is not positive
definite, so the inverse always exists; see `backward_map`).

JEEK, for contexts i = 1..K with backward maps B_i and knowledge weights W_i (task-specific) and W_S
(shared), solves

    min  sum_i ||W_i o X_i||_1 + ||W_S o S||_1   s.t.  |X_i + S - B_i| <= lambda_i  (entry-wise)

with lambda_i = lambda min(w_i, w_s) per entry (as the authors' R package `jeek` does), and
returns Omega_i = X_i + S: an edge shared by every context costs one |s| instead of K |x_i|. The
problem separates into one small problem per matrix entry: for a fixed shared value s the best x_i
is the point of [b_i - s - lambda_i, b_i - s + lambda_i] closest to 0, which costs
w_i max(0, |b_i - s| - lambda_i), so the objective

    f(s) = w_s |s| + sum_i w_i max(0, |b_i - s| - lambda_i)

is convex and piecewise linear in s, and its minimum lies at one of the 2K + 1 breakpoints
{0, b_i - lambda_i, b_i + lambda_i}. Evaluating f at all of them for all p(p + 1)/2 entries at once is a
few vectorised array operations (JAX, jit), exact, with no iterative solver. Ties go to the
smallest |s| (the sparsest shared part). Diagonal entries carry no penalty and keep B_i's values.

DIFFEE: the difference network of two contexts, Delta = soft_threshold(B_1 - B_2, lambda), the
closed-form solution of min ||Delta||_1 s.t. |Delta - (B_1 - B_2)| <= lambda.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np


def standardize(samples: np.ndarray) -> np.ndarray:
  """Columns centred and scaled to unit variance (constant columns left at 0), float64 [n, p]."""
  x = np.asarray(samples, dtype=np.float64)
  x = x - x.mean(axis=0)
  std = x.std(axis=0)
  std[std == 0] = 1.0
  return x / std


def correlation(samples: np.ndarray) -> np.ndarray:
  """Sample correlation matrix [p, p] of samples [n, p] (columns are variables)."""
  x = standardize(samples)
  return x.T @ x / len(x)


def soft_threshold(x, threshold):
  return np.sign(x) * np.maximum(np.abs(x) - threshold, 0.0)


def smallest_eigenvalue(matrix: np.ndarray) -> float:
  """The smallest eigenvalue of a symmetric matrix [p, p].

  Dense `eigvalsh` up to p = 1,000; above, Lanczos (ARPACK, 1e-10 relative tolerance), which at
  p = 5,000 takes 0.7 s against 7.4 s for the full spectrum; dense again if Lanczos does not converge.
  """
  if len(matrix) <= 1000:
    return float(np.linalg.eigvalsh(matrix)[0])
  from scipy.sparse.linalg import ArpackNoConvergence, eigsh
  try:
    return float(eigsh(matrix, k=1, which="SA", tol=1e-10, return_eigenvectors=False)[0])
  except ArpackNoConvergence:
    return float(np.linalg.eigvalsh(matrix)[0])


def backward_map(cov: np.ndarray, v: float = 0.05, min_eigenvalue: float = 1e-3) -> np.ndarray:
  """[T_v(cov)]^-1: off-diagonals soft-thresholded by v, then inverted, [p, p] float64.

  When the thresholded matrix has an eigenvalue below `min_eigenvalue` (n < p, or a large v), the
  diagonal is raised by the shortfall first, so the inverse exists and stays well conditioned.
  The inverse comes from a Cholesky factorisation (LAPACK potrf + potri, 4x faster than a general
  inverse at p = 5,000); memory: three p x p float64 arrays.
  """
  from scipy.linalg import lapack
  thresholded = soft_threshold(cov, v)
  np.fill_diagonal(thresholded, np.diag(cov))
  smallest = smallest_eigenvalue(thresholded)
  if smallest < min_eigenvalue:
    thresholded[np.diag_indices(len(cov))] += min_eigenvalue - smallest
  factor, info = lapack.dpotrf(thresholded, lower=True, overwrite_a=True)
  if info == 0:
    inverse, info = lapack.dpotri(factor, lower=True, overwrite_c=True)
  if info != 0:
    raise np.linalg.LinAlgError(f"the thresholded correlation is not positive definite (LAPACK {info})")
  lower = np.tril(inverse)
  return lower + np.tril(lower, -1).T


def solve_entries(b, w_task, w_shared, lam: float) -> tuple[np.ndarray, np.ndarray]:
  """The exact per-entry JEEK solution for E independent entries, in float64.

  Args:
    b: float [K, E] backward-map values of each context.
    w_task: float [K, E] task-specific weights; w_shared: float [E] shared weights.
    lam: the box half-width lambda.

  Returns:
    float64 numpy (x [K, E] task-specific parts, s [E] shared part), with
    |x_i + s - b_i| <= lambda_i, where lambda_i = lam * min(w_task_i, w_shared) (lam itself where
    both weights are 1).

  Float64 (JAX's 64-bit mode, for this call only) because the objective is often flat between
  breakpoints: in float32, which of two equally good candidates wins depends on how XLA orders the
  sum over contexts, which changes with the array's shape, so blocks and the whole array could
  disagree by a whole lambda on such entries.
  """
  with jax.enable_x64(True):
    x, s = _solve_entries(jnp.asarray(b, jnp.float64), jnp.asarray(w_task, jnp.float64),
                          jnp.asarray(w_shared, jnp.float64), jnp.float64(lam))
    return np.array(x), np.array(s)


@jax.jit
def _solve_entries(b: jax.Array, w_task: jax.Array, w_shared: jax.Array,
                   lam: jax.Array) -> tuple[jax.Array, jax.Array]:
  half_width = lam * jnp.where(jnp.minimum(w_task, w_shared[None]) > 0,
                               jnp.minimum(w_task, w_shared[None]), 1.0)          # [K, E]
  candidates = jnp.concatenate([jnp.zeros_like(b[:1]), b - half_width, b + half_width])

  def objective(s):                                                               # s: [E]
    excess = jnp.maximum(jnp.abs(b - s[None]) - half_width, 0.0)
    return w_shared * jnp.abs(s) + jnp.sum(w_task * excess, axis=0)

  # One candidate at a time (not vmap): memory ~ (2K + 1) E rather than (2K + 1) K E.
  values = jax.lax.map(objective, candidates)                                     # [2K+1, E]
  best = jnp.min(values, axis=0)
  tolerance = 1e-9 * (1.0 + jnp.abs(best))
  # Among (numerically) optimal candidates take the smallest |s|.
  penalty = jnp.where(values <= best + tolerance, jnp.abs(candidates), jnp.inf)
  s = jnp.take_along_axis(candidates, jnp.argmin(penalty, axis=0)[None], axis=0)[0]
  x = jnp.clip(0.0, b - s[None] - half_width, b - s[None] + half_width)
  return x, s


@dataclasses.dataclass(frozen=True)
class JeekResult:
  """precisions: [K, p, p] Omega_i; task_specific: [K, p, p] X_i; shared: [p, p] S."""

  precisions: np.ndarray
  task_specific: np.ndarray
  shared: np.ndarray


def jeek(covariances, lam: float, v: float = 0.05, task_weights=None,
         shared_weights=None) -> JeekResult:
  """JEEK on K covariance (or correlation) matrices [K, p, p].

  Args:
    covariances: [K, p, p].
    lam: lambda, the box half-width (larger -> sparser).
    v: soft threshold of the backward map.
    task_weights: optional [K, p, p] knowledge weights W_i (small = an edge believed present);
      shared_weights: optional [p, p] W_S. Defaults: all ones.
  """
  covariances = np.asarray(covariances, dtype=np.float64)
  k, p, _ = covariances.shape
  backward = np.stack([backward_map(c, v) for c in covariances])
  rows, cols = np.triu_indices(p)
  off_diagonal = (rows != cols).astype(np.float64)
  w_task = np.ones((k, p, p)) if task_weights is None else np.asarray(task_weights, np.float64)
  w_shared = np.ones((p, p)) if shared_weights is None else np.asarray(shared_weights, np.float64)
  x, s = solve_entries(backward[:, rows, cols], w_task[:, rows, cols] * off_diagonal,
                       w_shared[rows, cols] * off_diagonal, lam)
  diagonal = rows == cols
  x[:, diagonal] = backward[:, rows[diagonal], cols[diagonal]]  # unpenalised: B_i itself
  s[diagonal] = 0.0
  task = np.zeros((k, p, p))
  task[:, rows, cols] = x
  task[:, cols, rows] = x
  shared = np.zeros((p, p))
  shared[rows, cols] = s
  shared[cols, rows] = s
  return JeekResult(task + shared[None], task, shared)


def diffee(covariance_1: np.ndarray, covariance_2: np.ndarray, lam: float,
           v: float = 0.05) -> np.ndarray:
  """DIFFEE: the sparse difference Omega_1 - Omega_2 of two contexts' networks, [p, p]."""
  return soft_threshold(backward_map(covariance_1, v) - backward_map(covariance_2, v), lam)


def edges(precision: np.ndarray, tolerance: float = 1e-10) -> np.ndarray:
  """Boolean [p, p] adjacency of the non-zero off-diagonal entries."""
  adjacency = np.abs(precision) > tolerance
  np.fill_diagonal(adjacency, False)
  return adjacency
