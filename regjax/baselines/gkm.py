"""The gapped k-mer (gkm) string kernel of gkm-SVM (Ghandi et al. 2014), computed as in GaKCo.

For sequences S and T, with u and v running over all their g-mers (substrings of length g),

    K(S, T) = sum_{u in S, v in T} C(g - m(u, v), k)

where m(u, v) is the number of mismatching positions: C(g - m, k) counts the size-k position subsets
on which u and v agree, i.e. the gapped k-mers (g - k gaps) they share. The normalised kernel is
K(S, T) / sqrt(K(S, S) K(T, T)). An N in either letter never matches.

Fast exact computation (GaKCo's idea, Singh et al. 2017: count matching k-mers per gap pattern by
sorting / hashing, then combine): for each of the C(g, k) patterns Q of k kept positions, every
g-mer becomes one integer (its k kept letters in base 4; g-mers with an N there are dropped), the
per-sequence counts of those integers form a sparse matrix C_Q [N, 4^k], and
K = sum_Q C_Q_S C_Q_T^T. The counts are exact small integers, so the products run as float32
matrix multiplications in JAX (exact below 2^24 per entry, far above K(S, S) <= (L - g + 1)^2
C(g, k)), several patterns at a time. Work ~ C(g, k) N_S N_T 4^k, with no per-pair Python.

`gkm_kernel_brute` is the definition computed literally (every g-mer pair of every sequence pair),
for tests and for the benchmark.
"""

from __future__ import annotations

import itertools
from math import comb

import jax
import jax.numpy as jnp
import numpy as np

N_CODE = 4


def _check(g: int, k: int) -> None:
  if not 0 < k <= g:
    raise ValueError(f"need 0 < k <= g, got g={g}, k={k}")


def _pattern_counts(codes: np.ndarray, pattern: tuple[int, ...], num_windows: int) -> np.ndarray:
  """Per-sequence counts [N, 4^k] of the gapped k-mers of one pattern (codes [N, L])."""
  n = len(codes)
  k = len(pattern)
  value = np.zeros((n, num_windows), dtype=np.int64)
  has_n = np.zeros((n, num_windows), dtype=bool)
  for j, position in enumerate(pattern):
    letters = codes[:, position:position + num_windows].astype(np.int64)
    has_n |= letters == N_CODE
    value += np.minimum(letters, 3) << (2 * j)
  value[has_n] = 4**k  # a spare column for g-mers with an N at a kept position, dropped below
  flat = (np.arange(n)[:, None] * (4**k + 1) + value).ravel()
  return np.bincount(flat, minlength=n * (4**k + 1)).reshape(n, 4**k + 1)[:, :4**k]


@jax.jit
def _accumulate(kernel, counts_a, counts_b):
  return kernel + jnp.dot(counts_a, counts_b.T, preferred_element_type=jnp.float32)


def gkm_kernel(codes_a: np.ndarray, codes_b: np.ndarray | None = None, g: int = 10, k: int = 6,
               normalize: bool = True, patterns_per_step: int = 2,
               progress=None) -> np.ndarray:
  """The gkm kernel between two sets of equal-length sequences.

  Args:
    codes_a: uint8 [Na, L] sequence codes (A, C, G, T = 0..3, N = 4).
    codes_b: [Nb, L], or None for the kernel of codes_a with itself.
    g, k: g-mer length and number of kept (non-gap) positions.
    normalize: divide by sqrt(K(S, S) K(T, T)).
    patterns_per_step: gap patterns per matrix multiplication (memory ~ N * 4^k * this).
    progress: optional callable(done, total) for progress output.

  Returns:
    float64 [Na, Nb].
  """
  _check(g, k)
  codes_a = np.asarray(codes_a)
  same = codes_b is None
  codes_b = codes_a if same else np.asarray(codes_b)
  if codes_a.shape[1] != codes_b.shape[1]:
    raise ValueError("both sets need the same sequence length")
  windows = codes_a.shape[1] - g + 1
  if windows < 1:
    raise ValueError(f"sequences of length {codes_a.shape[1]} have no {g}-mers")
  patterns = list(itertools.combinations(range(g), k))
  kernel = jnp.zeros((len(codes_a), len(codes_b)), jnp.float32)
  self_a = np.zeros(len(codes_a))
  self_b = np.zeros(len(codes_b))
  for start in range(0, len(patterns), patterns_per_step):
    chunk = patterns[start:start + patterns_per_step]
    counts_a = np.concatenate([_pattern_counts(codes_a, q, windows) for q in chunk], axis=1)
    counts_b = counts_a if same else np.concatenate(
        [_pattern_counts(codes_b, q, windows) for q in chunk], axis=1)
    kernel = _accumulate(kernel, jnp.asarray(counts_a, jnp.float32),
                         jnp.asarray(counts_b, jnp.float32))
    self_a += (counts_a.astype(np.float64)**2).sum(axis=1)
    self_b += (counts_b.astype(np.float64)**2).sum(axis=1)
    if progress is not None:
      progress(min(start + patterns_per_step, len(patterns)), len(patterns))
  kernel = np.asarray(kernel, dtype=np.float64)
  if normalize:
    kernel /= np.sqrt(np.outer(self_a, self_b)).clip(min=1e-12)
  return kernel


def gkm_kernel_brute(codes_a: np.ndarray, codes_b: np.ndarray | None = None, g: int = 10,
                     k: int = 6, normalize: bool = True) -> np.ndarray:
  """The definition, literally: sum over every g-mer pair of C(g - mismatches, k)."""
  _check(g, k)
  codes_a = np.asarray(codes_a)
  codes_b = codes_a if codes_b is None else np.asarray(codes_b)
  weight = np.array([comb(matches, k) for matches in range(g + 1)], dtype=np.float64)

  def gmers(codes):
    return np.stack([codes[:, i:i + g] for i in range(codes.shape[1] - g + 1)], axis=1)

  def kernel(a, b):
    out = np.zeros((len(a), len(b)))
    for i in range(len(a)):
      matches = ((a[i][None, :, None, :] == b[:, None, :, :]) &
                 (a[i][None, :, None, :] != N_CODE)).sum(-1)       # [Nb, Wa, Wb]
      out[i] = weight[matches].sum(axis=(1, 2))
    return out

  gmers_a, gmers_b = gmers(codes_a), gmers(codes_b)
  result = kernel(gmers_a, gmers_b)
  if normalize:
    self_a = np.array([kernel(gmers_a[i:i + 1], gmers_a[i:i + 1])[0, 0] for i in range(len(codes_a))])
    self_b = np.array([kernel(gmers_b[i:i + 1], gmers_b[i:i + 1])[0, 0] for i in range(len(codes_b))])
    result /= np.sqrt(np.outer(self_a, self_b)).clip(min=1e-12)
  return result
