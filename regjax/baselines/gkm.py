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
K = sum_Q C_Q_S C_Q_T^T. The counts are exact small integers, so the products run in float32 in
JAX (exact below 2^24 per entry, far above K(S, S) <= (L - g + 1)^2 C(g, k)). Two ways to form
a pattern's product, the same numbers:
* "matmul": dense C_Q_S [N_S, 4^k] times C_Q_T^T, several patterns at a time; work
  ~ C(g, k) N_S N_T 4^k, in matrix multiplications.
* "gather": each row of C_Q_S has at most W = L - g + 1 non-zeros (one per window), so
  C_Q_S C_Q_T^T [s, :] = sum over s's windows w of the row key_Q(s, w) of C_Q_T^T [4^k, N_T]:
  work ~ C(g, k) N_S W N_T additions of contiguous rows, 4^k / W times fewer operations (45x for
  DNA with k = 6 and 101-bp sequences). The default whenever 4^k > 4 W; it is what makes the
  Nystroem features of tens of thousands of sequences cheap (`gkm_nystroem`).
On the gather path the self-similarities K(S, S) that normalise the kernel come from the
mismatch form directly (`self_kernel`), so no dense [N, 4^k] matrix of A is ever built.

`gkm_kernel_brute` is the definition computed literally (every g-mer pair of every sequence pair),
for tests and for the benchmark.
"""

from __future__ import annotations

import functools
import itertools
from math import comb

import jax
import jax.numpy as jnp
import numpy as np

N_CODE = 4
# Above this many columns (alphabet_size^k) a pattern's counts are a sparse matrix over the
# gapped k-mers that occur, instead of a dense [N, alphabet_size^k] one.
DENSE_COLUMNS = 1 << 16


def _check(g: int, k: int) -> None:
  if not 0 < k <= g:
    raise ValueError(f"need 0 < k <= g, got g={g}, k={k}")


def _valid_windows(codes: np.ndarray, lengths: np.ndarray | None, g: int) -> np.ndarray | None:
  """bool [N, W]: windows that lie inside each sequence (None: all of them)."""
  if lengths is None:
    return None
  return np.arange(codes.shape[1] - g + 1)[None, :] <= (np.asarray(lengths)[:, None] - g)


def _pattern_keys(codes, pattern, num_windows: int, alphabet_size: int, valid, xp=np):
  """int [N, W]: each window's kept letters as one base-`alphabet_size` integer; -1 where a kept
  letter is unknown (a code >= alphabet_size, e.g. N) or the window runs past the sequence's end
  (valid bool [N, W], or None). With xp=numpy, `pattern` is a tuple of positions and the keys are
  int64; with xp=jax.numpy (inside jit) it is a traced int32 [k], so that one compilation serves
  every pattern, and the keys are int32."""
  dtype = np.int64 if xp is np else jnp.int32
  key = xp.zeros((codes.shape[0], num_windows), dtype)
  unknown = xp.zeros(key.shape, bool) if valid is None else ~valid
  for j in range(len(pattern)):
    letters = (codes[:, pattern[j]:pattern[j] + num_windows] if xp is np else
               jax.lax.dynamic_slice_in_dim(codes, pattern[j], num_windows, axis=1)).astype(dtype)
    unknown |= letters >= alphabet_size
    key = key * alphabet_size + xp.minimum(letters, alphabet_size - 1)
  return xp.where(unknown, -1, key)


def _dense_counts(keys: np.ndarray, columns: int) -> np.ndarray:
  """Per-sequence counts [N, columns] of the keys (-1 dropped)."""
  n = len(keys)
  shifted = np.where(keys < 0, columns, keys)                  # a spare column, dropped below
  flat = (np.arange(n)[:, None] * (columns + 1) + shifted).ravel()
  return np.bincount(flat, minlength=n * (columns + 1)).reshape(n, columns + 1)[:, :columns]


def _sparse_counts(keys: np.ndarray, vocabulary: np.ndarray):
  """Per-sequence counts, scipy CSR [N, len(vocabulary)], of the keys found in `vocabulary` (sorted)."""
  from scipy import sparse
  n, w = keys.shape
  rows = np.repeat(np.arange(n), w)
  flat = keys.ravel()
  column = np.searchsorted(vocabulary, flat)
  keep = (flat >= 0) & (column < len(vocabulary))
  keep[keep] = vocabulary[column[keep]] == flat[keep]
  counts = sparse.csr_matrix((np.ones(int(keep.sum()), np.float64), (rows[keep], column[keep])),
                             shape=(n, len(vocabulary)))
  counts.sum_duplicates()
  return counts


@jax.jit
def _accumulate(kernel, counts_a, counts_b):
  return kernel + jnp.dot(counts_a, counts_b.T, preferred_element_type=jnp.float32)


def self_kernel(codes: np.ndarray, g: int, k: int, alphabet_size: int = 4,
                lengths: np.ndarray | None = None) -> np.ndarray:
  """K(S, S) float64 [N] of each sequence, unnormalised, without gap patterns: the sum over its
  g-mer pairs (u_i, u_{i+d}) of C(matches, k), all pairs at offset d at once (the matches of every
  window pair at that offset are a sliding sum of letter equalities); work ~ N W L, not
  C(g, k) N W log W."""
  codes = np.asarray(codes)
  n, length = codes.shape
  windows = length - g + 1
  weight = np.array([comb(m, k) for m in range(g + 1)], np.float64)
  last = np.full(n, windows - 1) if lengths is None else np.asarray(lengths) - g
  known = codes < alphabet_size
  total = np.zeros(n)
  for offset in range(windows):
    equal = (codes[:, :length - offset] == codes[:, offset:]) & known[:, :length - offset]
    running = np.zeros((n, length - offset + 1), np.int32)
    np.cumsum(equal, axis=1, out=running[:, 1:])
    matches = running[:, g:g + windows - offset] - running[:, :windows - offset]
    inside = np.arange(windows - offset)[None, :] + offset <= last[:, None]
    pairs = (weight[matches] * inside).sum(axis=1)
    total += pairs if offset == 0 else 2 * pairs
  return total


@functools.partial(jax.jit, static_argnames=("alphabet_size", "same"), donate_argnums=0)
def _gather_patterns(kernel, codes_a, codes_b, valid_a, valid_b, positions, *,
                     alphabet_size: int, same: bool):
  """Adds the patterns `positions` [P, k] to kernel [Na, Nb].

  Per pattern: B's counts transposed ([columns + 1, Nb], the last row for key -1 kept zero) are a
  table; A's keys index it one window at a time, so no [Na, W, Nb] array is formed."""
  columns = alphabet_size**positions.shape[1]
  windows_a, windows_b = valid_a.shape[1], valid_b.shape[1]

  def pattern(kernel, kept):
    keys_a = _pattern_keys(codes_a, kept, windows_a, alphabet_size, valid_a, jnp)
    keys_b = keys_a if same else _pattern_keys(codes_b, kept, windows_b, alphabet_size, valid_b,
                                               jnp)
    rows = jnp.where(keys_b < 0, columns, keys_b)
    table = jnp.zeros((columns + 1, keys_b.shape[0]), jnp.float32).at[
        rows, jnp.arange(keys_b.shape[0])[:, None]].add(1.0).at[columns].set(0.0)
    kernel = jax.lax.scan(lambda acc, window: (acc + table[window], None), kernel,
                          jnp.where(keys_a < 0, columns, keys_a).T)[0]
    return kernel, None

  return jax.lax.scan(pattern, kernel, positions)[0]


METHODS = ("auto", "matmul", "gather")


def _pick_method(method: str, columns: int, windows: int) -> str:
  if method not in METHODS:
    raise ValueError(f"unknown gkm kernel method {method!r}; expected one of {METHODS}")
  if columns > DENSE_COLUMNS:
    return "sparse"
  if method == "auto":
    return "gather" if columns > 4 * windows else "matmul"
  return method


def gkm_kernel(codes_a: np.ndarray, codes_b: np.ndarray | None = None, g: int = 10, k: int = 6,
               normalize: bool = True, patterns_per_step: int = 2, progress=None,
               alphabet_size: int = 4, lengths_a: np.ndarray | None = None,
               lengths_b: np.ndarray | None = None, method: str = "auto") -> np.ndarray:
  """The gkm kernel between two sets of sequences over any alphabet.

  Args:
    codes_a: integer [Na, L] letter codes 0..alphabet_size-1; any larger code (N for DNA, X for
      protein, padding) never matches.
    codes_b: [Nb, L'], or None for the kernel of codes_a with itself.
    g, k: g-mer length and number of kept (non-gap) positions.
    normalize: divide by sqrt(K(S, S) K(T, T)).
    patterns_per_step: gap patterns per matrix multiplication (memory ~ N * 4^k * this).
    progress: optional callable(done, total) for progress output.
    alphabet_size: letters of the alphabet (4 for DNA, 20 for protein, any for text). While
      alphabet_size^k <= 65,536 the counts are dense float32 matrices multiplied in JAX; above,
      sparse matrices over the gapped k-mers that occur (scipy), equally exact.
    lengths_a, lengths_b: optional [N] true lengths of padded variable-length sequences; windows
      past a sequence's end are not counted.
    method: "matmul", "gather" or "auto" (gather when alphabet_size^k > 4 windows; see the
      module docstring). Ignored on the sparse path.

  Returns:
    float64 [Na, Nb].
  """
  _check(g, k)
  codes_a = np.asarray(codes_a)
  same = codes_b is None
  codes_b, lengths_b = (codes_a, lengths_a) if same else (np.asarray(codes_b), lengths_b)
  for codes in (codes_a, codes_b):
    if codes.shape[1] < g:
      raise ValueError(f"sequences of length {codes.shape[1]} have no {g}-mers")
  windows_a, windows_b = codes_a.shape[1] - g + 1, codes_b.shape[1] - g + 1
  valid_a, valid_b = _valid_windows(codes_a, lengths_a, g), _valid_windows(codes_b, lengths_b, g)
  patterns = list(itertools.combinations(range(g), k))
  columns = alphabet_size**k
  method = _pick_method(method, columns, max(windows_a, windows_b))
  if method == "gather":
    kernel = _gathered_kernel(codes_a, None if same else codes_b, patterns, alphabet_size,
                              (windows_a, windows_b), valid_a, valid_b, progress)
    if not normalize:
      return kernel
    if same:
      diagonal = np.diag(kernel)
      return _normalized(kernel, diagonal, diagonal)
    return _normalized(kernel, self_kernel(codes_a, g, k, alphabet_size, lengths_a),
                       self_kernel(codes_b, g, k, alphabet_size, lengths_b))
  dense = method == "matmul"
  kernel = jnp.zeros((len(codes_a), len(codes_b)), jnp.float32) if dense else \
      np.zeros((len(codes_a), len(codes_b)))
  self_a = np.zeros(len(codes_a))
  self_b = np.zeros(len(codes_b))
  for start in range(0, len(patterns), patterns_per_step):
    chunk = patterns[start:start + patterns_per_step]
    keys_a = [_pattern_keys(codes_a, q, windows_a, alphabet_size, valid_a) for q in chunk]
    keys_b = keys_a if same else [_pattern_keys(codes_b, q, windows_b, alphabet_size, valid_b)
                                  for q in chunk]
    if dense:
      counts_a = np.concatenate([_dense_counts(key, columns) for key in keys_a], axis=1)
      counts_b = counts_a if same else np.concatenate([_dense_counts(key, columns)
                                                       for key in keys_b], axis=1)
      kernel = _accumulate(kernel, jnp.asarray(counts_a, jnp.float32),
                           jnp.asarray(counts_b, jnp.float32))
      self_a += (counts_a.astype(np.float64)**2).sum(axis=1)
      self_b += (counts_b.astype(np.float64)**2).sum(axis=1)
    else:
      for key_a, key_b in zip(keys_a, keys_b):
        vocabulary = np.unique(key_a[key_a >= 0])
        counts_a = _sparse_counts(key_a, vocabulary)
        counts_b = counts_a if same else _sparse_counts(key_b, vocabulary)
        kernel += (counts_a @ counts_b.T).toarray()
        self_a += np.asarray(counts_a.multiply(counts_a).sum(axis=1)).ravel()
        if not same:   # K(T, T) needs every gapped k-mer of T, not only those shared with A
          own = _sparse_counts(key_b, np.unique(key_b[key_b >= 0]))
          self_b += np.asarray(own.multiply(own).sum(axis=1)).ravel()
    if progress is not None:
      progress(min(start + patterns_per_step, len(patterns)), len(patterns))
  kernel = np.asarray(kernel, dtype=np.float64)
  if same:
    self_b = self_a
  return _normalized(kernel, self_a, self_b) if normalize else kernel


def _normalized(kernel: np.ndarray, self_a: np.ndarray, self_b: np.ndarray) -> np.ndarray:
  return kernel / np.sqrt(np.outer(self_a, self_b)).clip(min=1e-12)


def _gathered_kernel(codes_a, codes_b, patterns, alphabet_size, windows, valid_a, valid_b,
                     progress, patterns_per_call: int = 10):
  """Kernel float64 [Na, Nb] (unnormalised) by the gather method, on the device,
  `patterns_per_call` patterns per compiled call; codes_b None for A with itself."""
  same = codes_b is None
  codes_b, valid_b = (codes_a, valid_a) if same else (codes_b, valid_b)
  as_device = lambda codes, valid, num_windows: (
      jnp.asarray(codes, jnp.int32),
      jnp.ones((len(codes), num_windows), bool) if valid is None else jnp.asarray(valid))
  codes_a, valid_a = as_device(codes_a, valid_a, windows[0])
  codes_b, valid_b = as_device(codes_b, valid_b, windows[1])
  kernel = jnp.zeros((len(codes_a), len(codes_b)), jnp.float32)
  positions = np.asarray(patterns, np.int32)
  for start in range(0, len(positions), patterns_per_call):
    kernel = _gather_patterns(kernel, codes_a, codes_b, valid_a, valid_b,
                              positions[start:start + patterns_per_call],
                              alphabet_size=alphabet_size, same=same)
    if progress is not None:
      jax.block_until_ready(kernel)
      progress(min(start + patterns_per_call, len(positions)), len(positions))
  return np.asarray(kernel, np.float64)


def gkm_kernel_brute(codes_a: np.ndarray, codes_b: np.ndarray | None = None, g: int = 10,
                     k: int = 6, normalize: bool = True, alphabet_size: int = 4,
                     lengths_a: np.ndarray | None = None,
                     lengths_b: np.ndarray | None = None) -> np.ndarray:
  """The definition, literally: sum over every g-mer pair of C(g - mismatches, k), where a letter
  code >= alphabet_size never matches and only windows inside each sequence's length count."""
  _check(g, k)
  codes_a = np.asarray(codes_a)
  if codes_b is None:
    codes_b, lengths_b = codes_a, lengths_a
  codes_b = np.asarray(codes_b)
  weight = np.array([comb(matches, k) for matches in range(g + 1)], dtype=np.float64)

  def gmers(codes, lengths):
    lengths = np.full(len(codes), codes.shape[1]) if lengths is None else lengths
    return [np.stack([row[i:i + g] for i in range(length - g + 1)]) if length >= g
            else np.zeros((0, g), row.dtype) for row, length in zip(codes, lengths)]

  def pair(u, v):
    matches = ((u[:, None, :] == v[None, :, :]) & (u[:, None, :] < alphabet_size)).sum(-1)
    return weight[matches].sum()

  gmers_a, gmers_b = gmers(codes_a, lengths_a), gmers(codes_b, lengths_b)
  result = np.array([[pair(u, v) for v in gmers_b] for u in gmers_a])
  if normalize:
    self_a = np.array([pair(u, u) for u in gmers_a])
    self_b = np.array([pair(v, v) for v in gmers_b])
    result /= np.sqrt(np.outer(self_a, self_b)).clip(min=1e-12)
  return result
