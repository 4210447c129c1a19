"""lsgkm's model file (`gkmtrain`'s `PREFIX.model.txt`): read it, score sequences with it, write one.

The file is libsvm's text model with lsgkm's kernel header (Lee 2016, github.com/Dongwon-Lee/lsgkm):

    svm_type c_svc
    kernel_type gkm_esttrunc        (or gkm_cnt, gkm_estfull; gkmrbf, wgkm, wgkmrbf)
    L 10                            (l-mer length; regjax's g)
    k 6                             (informative columns; regjax's k)
    d 3                             (most mismatches counted between two l-mers)
    norc 0                          (0: a sequence and its reverse complement count as one)
    nr_class 2 / total_sv N / rho R / label 1 -1 / nr_sv N+ N-
    SV
    <coefficient> <SEQUENCE>        (one line per support vector)

The score of a sequence x is sum_i coefficient_i K(x, SV_i) - rho with the normalised kernel
K(x, y) = k(x, y) / sqrt(k(x, x) k(y, y)) and

    k(x, y) = sum_{m=0..d} w_m N_m(x, y),

N_m(x, y) the number of pairs (an l-mer of x, an l-mer of y) with m mismatches, y's l-mers taken
from both strands unless `norc` is 1. The weights w_m depend on the kernel type:
* gkm_cnt (`gkmtrain -t 0`): w_m = C(L - m, k), the gapped k-mers two l-mers share; with
  d = L - k this is the full gkm kernel of `regjax.baselines.gkm`.
* gkm_estfull / gkm_esttrunc (`-t 1`, `-t 2`, lsgkm's default): the weights of the kernel between
  estimated l-mer counts (Ghandi et al. 2014, PLoS Comput Biol; the truncated filter zeroes the
  filter past its first vanishing term), computed by `lmer_estimate_weights` from the paper's
  construction. These weights have not been compared with lsgkm's own program here (it cannot be
  built in this environment); gkm_cnt models are checked against the definition (tests).
Letters other than A, C, G, T count as A, as in lsgkm (which warns about each).

How regjax computes N_m: a gap-pattern kernel with k' kept columns (`gkm.gkm_kernel`, unnormalised)
is P_k' = sum_m C(L - m, k') N_m, which is zero for m > L - k'; the kernels for k' = L, L - 1, ...,
L - d form a triangular system that gives N_0..N_d exactly (integer counts). k(x, x) comes from the
sliding comparison of x with itself and with its reverse complement (`paired_profile`).

Writing: `from_gkm_model` turns a regjax exact gkm-SVM on DNA (the full gkm kernel, one strand)
into the equivalent lsgkm model: kernel_type gkm_cnt, d = g - k, norc 1.
"""

from __future__ import annotations

import dataclasses
import functools
from math import comb

import numpy as np

from regjax.baselines import alphabets, gkm
from regjax.errors import DataFormatError, UserError

ESTIMATED = ("gkm_estfull", "gkm_esttrunc")
KERNEL_TYPES = ("gkm_cnt", *ESTIMATED)
NOT_SUPPORTED = ("gkmrbf", "wgkm", "wgkmrbf")
_COMPLEMENT = np.array([3, 2, 1, 0], np.uint8)   # A C G T -> T G C A


@dataclasses.dataclass
class LsgkmModel:
  """A binary gkm-SVM in lsgkm's terms (module docstring); coefficients [n] of sequences [n]."""

  kernel_type: str
  L: int
  k: int
  d: int
  norc: int
  rho: float
  coefficients: np.ndarray
  support_vectors: list[str]

  def weights(self) -> np.ndarray:
    """w_m float64 [d + 1], m = 0..d mismatches."""
    return mismatch_weights(self.kernel_type, self.L, self.k, self.d)

  def score(self, sequences: list[str], progress=None) -> np.ndarray:
    """Decision values float64 [N] of `sequences` (gkmpredict's scores), in blocks of sequences
    sized so that a block's kernels stay near `BLOCK_BYTES`; `progress(done, total)` after each."""
    too_short = [i for i, s in enumerate(sequences) if len(s) < self.L]
    if too_short:
      raise UserError(f"sequence {too_short[0] + 1} has {len(sequences[too_short[0]])} letters, "
                      f"fewer than the model's l-mer length L = {self.L}")
    vectors, vector_lengths = encode(self.support_vectors)
    vector_norms = np.sqrt(self_kernel(vectors, vector_lengths, self))
    columns = len(vectors) * (1 if self.norc else 2) * (2 * self.d + 3)   # float64 per row
    block = max(1, BLOCK_BYTES // (8 * columns))
    scores = []
    for start in range(0, len(sequences), block):
      codes, lengths = encode(sequences[start:start + block])
      kernel = raw_kernel(codes, lengths, vectors, vector_lengths, self)
      norms = np.sqrt(self_kernel(codes, lengths, self))
      scores.append((kernel / np.outer(norms, vector_norms).clip(min=1e-300)) @ self.coefficients
                    - self.rho)
      if progress is not None:
        progress(min(start + block, len(sequences)), len(sequences))
    return np.concatenate(scores) if scores else np.zeros(0)


BLOCK_BYTES = 1 << 28   # scoring: about this much memory for one block's kernels


def mismatch_weights(kernel_type: str, L: int, k: int, d: int) -> np.ndarray:
  """The weights w_0..w_d of `kernel_type` (module docstring)."""
  if kernel_type == "gkm_cnt":
    return np.array([comb(L - m, k) for m in range(d + 1)], np.float64)
  if kernel_type in ESTIMATED:
    return np.array(_estimate_weights(L, k, kernel_type == "gkm_esttrunc")[:d + 1])
  raise UserError(f"kernel_type {kernel_type!r} is not supported; regjax scores "
                  f"{', '.join(KERNEL_TYPES)} models")


@functools.lru_cache(maxsize=16)
def _estimate_weights(L: int, k: int, truncated: bool) -> tuple[float, ...]:
  """`lmer_estimate_weights`, computed once per (L, k, truncated): it is O(L^4) Python work that
  scoring would otherwise repeat for every block of sequences."""
  return tuple(lmer_estimate_weights(L, k, truncated))


def lmer_estimate_weights(L: int, k: int, truncated: bool, alphabet_size: int = 4) -> np.ndarray:
  """w_m [L + 1] of the kernel between estimated l-mer counts (Ghandi et al. 2014).

  Each l-mer's count is estimated from the gapped k-mers it contains, a filter h[m] over the
  number of mismatches m between an l-mer and a gapped k-mer's l-mer completions; the kernel of
  two estimates is the filter correlated with itself over the l-mer space, which for two l-mers
  with a given number of matching letters is a sum over how many letters each completion changes.
  `truncated` sets the filter to zero from its first vanishing (< 1e-50) term on.
  """
  b = alphabet_size
  # 1. The filter's coefficients per number of mismatches inside the k informative columns,
  # by a recursion over the l-mer length (gkm-SVM's construction).
  previous = np.ones((k + 1, k + 1))
  current = np.ones((k + 1, k + 1))
  for length in range(1, L + 1):
    for columns in range(1, k + 1):
      current[columns, 0] = previous[columns, 0] + (b - 1) * previous[columns - 1, 0]
      for m in range(1, columns + 1):
        current[columns, m] = current[columns - 1, m - 1] * (columns - length) / columns
    previous, current = current, previous
  coefficient = previous[k] / (comb(L, k) * float(b)**L)
  # 2. The filter h[m] for an l-mer m mismatches away.
  h = np.array([sum(coefficient[i] * comb(L - m, k - i) * comb(m, i)
                    for i in range(min(m, k) + 1)) for m in range(L + 1)])
  if truncated:
    vanished = np.flatnonzero(h < 1e-50)
    if vanished.size:
      h[vanished[0]:] = 0.0
  # 3. Correlate: two l-mers with `same` matching letters; each completion is m1 and m2 letters
  # away, t of the changed letters inside the matching part, r letters changed in both.
  weights = np.zeros(L + 1)
  for same in range(L + 1):
    total = 0.0
    for m1 in range(L + 1):
      for m2 in range(L + 1):
        for t in range(min(same, m1) + 1):
          r = m1 + m2 - 2 * t - L + same
          if m1 - t <= L - same and 0 <= r <= m1 - t:
            total += (comb(same, t) * comb(L - same, m1 - t) * comb(m1 - t, r)
                      * (b - 1)**t * (b - 2)**r * h[m1] * h[m2])
    weights[L - same] = total
  return weights


def encode(sequences: list[str]) -> tuple[np.ndarray, np.ndarray]:
  """(codes [N, max length] in 0..3 with padding 4, lengths [N]): lsgkm's reading, every letter
  other than A, C, G, T as A."""
  codes, lengths = alphabets.DNA.encode(sequences)
  inside = np.arange(codes.shape[1])[None, :] < lengths[:, None]
  codes = np.where(inside & (codes >= 4), 0, codes).astype(np.uint8)
  return codes, lengths


def reverse_complement(codes: np.ndarray, lengths: np.ndarray) -> np.ndarray:
  """Each row's reverse complement, left-aligned and padded as `encode` pads."""
  out = np.full_like(codes, 4)
  for i, (row, n) in enumerate(zip(codes, lengths)):
    out[i, :n] = _COMPLEMENT[row[:n][::-1]]
  return out


def mismatch_profile(codes_a, lengths_a, codes_b, lengths_b, L: int, d: int,
                     progress=None) -> np.ndarray:
  """N_m(a_i, b_j) float64 [d + 1, Na, Nb], m = 0..d: pairs of l-mers with m mismatches."""
  kernels = {}
  for kept in range(L, L - d - 1, -1):   # P_kept = sum_m C(L - m, kept) N_m
    kernels[kept] = gkm.gkm_kernel(codes_a, codes_b, L, kept, normalize=False,
                                   lengths_a=lengths_a, lengths_b=lengths_b)
    if progress is not None:
      progress(L - kept + 1, d + 1)
  profile = np.zeros((d + 1, len(codes_a), len(codes_b)))
  for m in range(d + 1):   # C(L - m, L - m) = 1: N_m = P_{L-m} - sum_{j<m} C(L - j, L - m) N_j
    profile[m] = kernels[L - m] - sum(comb(L - j, L - m) * profile[j] for j in range(m))
  return np.rint(profile)


def paired_profile(codes_a, lengths_a, codes_b, lengths_b, L: int, d: int) -> np.ndarray:
  """N_m(a_i, b_i) float64 [N, d + 1] of row pairs (a sequence and itself or its reverse
  complement), by sliding one over the other: work ~ N W L, not a kernel matrix."""
  n = len(codes_a)
  windows_a, windows_b = codes_a.shape[1] - L + 1, codes_b.shape[1] - L + 1
  last_a, last_b = np.asarray(lengths_a) - L, np.asarray(lengths_b) - L
  profile = np.zeros((n, d + 1))
  for offset in range(-(windows_a - 1), windows_b):   # window j of b against window j - offset
    first, stop = max(0, -offset), min(windows_a, windows_b - offset)
    if stop <= first:
      continue
    equal = (codes_a[:, first:stop - 1 + L] == codes_b[:, first + offset:stop - 1 + offset + L])
    running = np.zeros((n, equal.shape[1] + 1), np.int32)
    np.cumsum(equal, axis=1, out=running[:, 1:])
    mismatches = L - (running[:, L:L + stop - first] - running[:, :stop - first])
    window = np.arange(first, stop)[None, :]
    valid = (window <= last_a[:, None]) & (window + offset <= last_b[:, None])
    for m in range(d + 1):
      profile[:, m] += ((mismatches == m) & valid).sum(axis=1)
  return profile


def self_kernel(codes, lengths, model: LsgkmModel) -> np.ndarray:
  """k(x, x) float64 [N], both strands unless norc."""
  profile = paired_profile(codes, lengths, codes, lengths, model.L, model.d)
  if not model.norc:
    profile = profile + paired_profile(codes, lengths, reverse_complement(codes, lengths),
                                       lengths, model.L, model.d)
  return profile @ model.weights()


def raw_kernel(codes_a, lengths_a, codes_b, lengths_b, model: LsgkmModel,
               progress=None) -> np.ndarray:
  """k(a_i, b_j) float64 [Na, Nb], unnormalised, b's l-mers from both strands unless norc."""
  profile = mismatch_profile(codes_a, lengths_a, codes_b, lengths_b, model.L, model.d, progress)
  if not model.norc:
    profile = profile + mismatch_profile(codes_a, lengths_a, reverse_complement(codes_b, lengths_b),
                                         lengths_b, model.L, model.d)
  return np.tensordot(model.weights(), profile, axes=1)


def normalized_kernel(sequences_a: list[str], sequences_b: list[str], model: LsgkmModel,
                      progress=None) -> np.ndarray:
  """K(a_i, b_j) float64 [Na, Nb], lsgkm's normalised kernel of `model`'s type."""
  codes_a, lengths_a = encode(sequences_a)
  codes_b, lengths_b = encode(sequences_b)
  raw = raw_kernel(codes_a, lengths_a, codes_b, lengths_b, model, progress)
  norms = np.sqrt(np.outer(self_kernel(codes_a, lengths_a, model),
                           self_kernel(codes_b, lengths_b, model)))
  return raw / norms.clip(min=1e-300)


# ---------------------------------------------------------------------------------------------
# The file


def read(path: str) -> LsgkmModel:
  """Parses an lsgkm model.txt; a DataFormatError names the line and what was expected."""
  try:
    with open(path, "rt", encoding="ascii", errors="replace") as handle:
      lines = handle.read().splitlines()
  except OSError as e:
    raise UserError(f"cannot read the lsgkm model {path}: {e.strerror}") from None
  header, number = {}, 0
  for number, line in enumerate(lines, start=1):
    words = line.split()
    if not words:
      continue
    if words[0] == "SV":
      break
    header[words[0]] = (words[1:], number)
  else:
    raise DataFormatError(path, "no 'SV' line: not an lsgkm/libsvm model file")

  def value(name, kind=int, default=None):
    if name not in header:
      if default is not None:
        return default
      raise DataFormatError(path, f"the header has no '{name}' line")
    words, line = header[name]
    try:
      return kind(words[0])
    except (IndexError, ValueError):
      expected = {int: "an integer", float: "a number"}.get(kind, "a value")
      raise DataFormatError(path, f"'{name}' needs {expected}, got {' '.join(words)!r}",
                            line) from None

  svm_type = value("svm_type", str)
  if svm_type != "c_svc":
    raise DataFormatError(path, f"svm_type {svm_type!r}: regjax reads binary classifiers "
                          "(c_svc) only", header["svm_type"][1])
  kernel_type = value("kernel_type", str)
  if kernel_type not in KERNEL_TYPES:
    what = "is not supported" if kernel_type in NOT_SUPPORTED else "is not an lsgkm kernel"
    raise DataFormatError(path, f"kernel_type {kernel_type!r} {what}; regjax scores "
                          f"{', '.join(KERNEL_TYPES)} models", header["kernel_type"][1])
  if value("nr_class") != 2:
    raise DataFormatError(path, "nr_class must be 2 (a binary gkm-SVM)", header["nr_class"][1])
  L, k, d = value("L"), value("k"), value("d")
  if not 0 < k <= L or not 0 <= d <= L - k:
    raise DataFormatError(path, f"need 0 < k <= L and 0 <= d <= L - k, got L={L} k={k} d={d}")
  labels = header.get("label", (["1", "-1"], 0))[0]
  sign = 1.0 if labels[:1] == ["1"] else -1.0   # libsvm scores for the first label
  total = value("total_sv")
  coefficients, vectors = [], []
  for number, line in enumerate(lines[number:], start=number + 1):
    words = line.split()
    if not words:
      continue
    if len(words) != 2:
      raise DataFormatError(path, "expected '<coefficient> <sequence>'", number)
    try:
      coefficients.append(float(words[0]))
    except ValueError:
      raise DataFormatError(path, f"the coefficient {words[0]!r} is not a number",
                            number) from None
    vectors.append(words[1])
  if len(vectors) != total:
    raise DataFormatError(path, f"total_sv says {total} support vectors, the file has "
                          f"{len(vectors)}")
  return LsgkmModel(kernel_type, L, k, d, value("norc", int, 0), sign * value("rho", float),
                    sign * np.asarray(coefficients), vectors)


def write(path: str, model: LsgkmModel) -> str:
  """Writes `model` as lsgkm's model.txt (a new file): positive coefficients first, as libsvm
  orders them by class."""
  order = np.argsort(-np.asarray(model.coefficients), kind="stable")
  positive = int(np.sum(model.coefficients > 0))
  lines = ["svm_type c_svc", f"kernel_type {model.kernel_type}", f"L {model.L}", f"k {model.k}",
           f"d {model.d}", f"norc {model.norc}", "nr_class 2",
           f"total_sv {len(model.support_vectors)}", f"rho {model.rho:.16g}", "label 1 -1",
           f"nr_sv {positive} {len(order) - positive}", "SV"]
  lines += [f"{model.coefficients[i]:.16g} {model.support_vectors[i]}" for i in order]
  try:
    with open(path, "x") as handle:
      handle.write("\n".join(lines) + "\n")
  except FileExistsError:
    raise UserError(f"{path} already exists; choose another output file") from None
  except OSError as e:
    raise UserError(f"cannot write {path}: {e.strerror}") from None
  return path


def from_gkm_model(model) -> LsgkmModel:
  """The lsgkm model equivalent to a regjax exact gkm-SVM on DNA (`gkm_model.GkmModel`)."""
  if model.kind != "exact":
    raise UserError("only an exact gkm-SVM has support vectors for lsgkm's model.txt; this one "
                    f"is {model.kind} (train with data.gkm_approximation unset)")
  if model.alphabet.letters != alphabets.DNA.letters:
    raise UserError(f"lsgkm models are DNA; this gkm-SVM's alphabet is {model.alphabet.name}")
  sequences = [model.alphabet.decode(row, int(n))
               for row, n in zip(model.vectors, model.vector_lengths)]
  unknown = sum("?" in s for s in sequences)
  if unknown:
    raise UserError(f"{unknown} support vectors have letters other than A, C, G, T (N or "
                    "padding), which lsgkm reads as A: its scores would differ from regjax's")
  return LsgkmModel("gkm_cnt", model.g, model.k, model.g - model.k, 1, -float(model.intercept),
                    np.asarray(model.coefficients, np.float64), sequences)
