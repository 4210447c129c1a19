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

is convex and piecewise linear in s, with breakpoints {0, b_i - lambda_i, b_i + lambda_i}; its
minimisers are a weighted median of them (`solve_entries`: one sort per entry; with unit weights two
order statistics, `solve_uniform_entries`), exact, vectorised over all p(p - 1)/2 entries, with no
iterative solver. Ties go to the smallest |s| (the sparsest shared part). Diagonal entries carry no
penalty and keep B_i's values. `regjax.graphs.blockwise` runs the same solver in blocks of entries
within a memory budget.

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
  return gram(standardize(samples))


def gram(standardized: np.ndarray) -> np.ndarray:
  """x^T x / n [p, p] of standardised samples x [n, p]: their correlation matrix."""
  out = standardized.T @ standardized
  out /= len(standardized)                             # in place: one p x p array, not two
  return out


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
  inverse at p = 5,000). Memory: one p x p float64 array besides `cov`; the thresholding, the
  factorisation, the inverse and its symmetrisation all work in place on it (at p = 20,000 an
  array is 3.2 GB).
  """
  from scipy.linalg import lapack
  p = len(cov)
  thresholded = np.abs(cov)
  thresholded -= v
  np.maximum(thresholded, 0.0, out=thresholded)
  np.copysign(thresholded, cov, out=thresholded)          # soft_threshold(cov, v), in place
  np.fill_diagonal(thresholded, np.diag(cov))
  smallest = smallest_eigenvalue(thresholded)
  if smallest < min_eigenvalue:
    thresholded[np.diag_indices(p)] += min_eigenvalue - smallest
  # LAPACK works on Fortran-ordered arrays: the transpose of the symmetric matrix is the same
  # matrix in that order, so nothing is copied and both calls overwrite it.
  factor, info = lapack.dpotrf(thresholded.T, lower=True, overwrite_a=True)
  if info == 0:
    inverse, info = lapack.dpotri(factor, lower=True, overwrite_c=True)
  if info != 0:
    raise np.linalg.LinAlgError(f"the thresholded correlation is not positive definite (LAPACK {info})")
  for column in range(p - 1):                           # lower triangle -> upper, row by row
    inverse[column, column + 1:] = inverse[column + 1:, column]
  return inverse.T                                      # symmetric; C-ordered view


def solve_entries(b, w_task, w_shared, lam: float) -> tuple[np.ndarray, np.ndarray]:
  """The exact per-entry JEEK solution for E independent entries with knowledge weights.

  Args:
    b: float [K, E] backward-map values of each context.
    w_task: float [K, E] task-specific weights; w_shared: float [E] shared weights.
    lam: the box half-width lambda.

  Returns:
    float64 numpy (x [K, E] task-specific parts, s [E] shared part), with
    |x_i + s - b_i| <= lambda_i, where lambda_i = lam * min(w_task_i, w_shared) (lam itself where
    both weights are 1).

  f(s) is convex and piecewise linear; just right of a breakpoint t its slope is
  sum_{breakpoints <= t} c - sum c / 2, where a task breakpoint b_i -/+ lambda_i carries c = w_i
  and the breakpoint 0 carries c = 2 w_s. So the minimisers are a weighted median of the 2K + 1
  breakpoints: one sort per entry (O(K log K), not the O(K^2) of evaluating f at every
  breakpoint), and where the slope is 0 the whole interval up to the next breakpoint, of which the
  point nearest 0 is taken. In float64 (JAX's 64-bit mode, for this call only), so that the
  flat-slope test is not decided by float32 rounding.
  """
  with jax.enable_x64(True):
    x, s = _solve_weighted(jnp.asarray(b, jnp.float64).T, jnp.asarray(w_task, jnp.float64).T,
                           jnp.asarray(w_shared, jnp.float64), jnp.float64(lam))
    return np.array(x).T, np.array(s)


@jax.jit
def _solve_weighted(b: jax.Array, w_task: jax.Array, w_shared: jax.Array,
                    lam: jax.Array) -> tuple[jax.Array, jax.Array]:
  """solve_entries on entry-major arrays: b, w_task [E, K]; w_shared [E]."""
  w_min = jnp.minimum(w_task, w_shared[:, None])
  half_width = lam * jnp.where(w_min > 0, w_min, 1.0)                             # [E, K]
  points = jnp.concatenate([jnp.zeros_like(b[:, :1]), b - half_width, b + half_width], axis=1)
  weights = jnp.concatenate([2 * w_shared[:, None], w_task, w_task], axis=1)      # [E, 2K+1]
  points, weights = jax.lax.sort((points, weights), dimension=1, num_keys=1)
  cumulative = jnp.cumsum(weights, axis=1)
  half_total = 0.5 * cumulative[:, -1]
  tolerance = 1e-9 * (1.0 + half_total)
  first = jnp.argmax(cumulative >= (half_total - tolerance)[:, None], axis=1)     # slope >= 0
  flat = jnp.abs(jnp.take_along_axis(cumulative, first[:, None], 1)[:, 0] - half_total) <= tolerance
  low = jnp.take_along_axis(points, first[:, None], 1)[:, 0]
  following = jnp.minimum(first + 1, points.shape[1] - 1)
  high = jnp.where(flat, jnp.take_along_axis(points, following[:, None], 1)[:, 0], low)
  s = jnp.clip(0.0, low, high)
  x = jnp.clip(0.0, b - s[:, None] - half_width, b - s[:, None] + half_width)
  return x, s


def solve_uniform_entries(b, lam: float, use_jax: bool | None = None) -> tuple[np.ndarray, np.ndarray]:
  """`solve_entries` with every weight 1, b [K, E] -> float64 (x [K, E], s [E]); exact, no tolerance.

  With unit weights, counting the breakpoint 0 twice makes 2K + 2 breakpoints of weight 1, whose
  minimising interval is always [t_(K+1), t_(K+2)] (order statistics): s is the point of it
  nearest 0. Order statistics need no full sort: numpy's introselect on the CPU (1.1 s for
  200,000 entries at K = 91, against 5.4 s for XLA's sort), a jitted sort on an accelerator
  (`use_jax`, default: whenever JAX's default backend is not the CPU).
  """
  b = np.asarray(b, np.float64)
  k = len(b)
  if use_jax is None:
    use_jax = jax.default_backend() != "cpu"
  if use_jax:
    with jax.enable_x64(True):
      low, high = (np.asarray(a) for a in _order_statistics(jnp.asarray(b), jnp.float64(lam)))
  else:
    points = np.concatenate([np.zeros((2, b.shape[1])), b - lam, b + lam])
    points.partition([k, k + 1], axis=0)                 # in place: memory 2K + 2 values / entry
    low, high = points[k].copy(), points[k + 1].copy()
    del points
  s = np.clip(0.0, low, high)
  # x = the point of [d - lam, d + lam] nearest 0 (d = b - s), i.e. d soft-thresholded by lam.
  x = b - s[None]
  sign = np.signbit(x)
  np.abs(x, out=x)
  x -= lam
  np.maximum(x, 0.0, out=x)
  x[sign] *= -1.0
  return x, s


@jax.jit
def _order_statistics(b: jax.Array, lam: jax.Array) -> tuple[jax.Array, jax.Array]:
  k = b.shape[0]
  points = jnp.concatenate([jnp.zeros((2, b.shape[1]), b.dtype), b - lam, b + lam])
  points = jnp.sort(points, axis=0)
  return points[k], points[k + 1]


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
  rows, cols = np.triu_indices(p, 1)
  if task_weights is None and shared_weights is None:
    x, s = solve_uniform_entries(backward[:, rows, cols], lam)
  else:
    w_task = np.ones((k, p, p)) if task_weights is None else np.asarray(task_weights, np.float64)
    w_shared = np.ones((p, p)) if shared_weights is None else np.asarray(shared_weights, np.float64)
    x, s = solve_entries(backward[:, rows, cols], w_task[:, rows, cols], w_shared[rows, cols], lam)
  task = np.zeros((k, p, p))
  task[:, rows, cols] = x
  task[:, cols, rows] = x
  diagonal = np.arange(p)
  task[:, diagonal, diagonal] = backward[:, diagonal, diagonal]  # unpenalised: B_i itself
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
