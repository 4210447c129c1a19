"""Naming what a model learned: PWMs compared with motif databases, TOMTOM-style.

Databases (`database`): the bundled JASPAR 2024 clustered motifs (`jaspar`, MEME format) and the
2,067 ENCODE motifs (`encode`); any MEME file works too (`read_meme`).

Comparison (`compare`), after TOMTOM (Gupta et al., Genome Biology 2007), re-implemented:
* the similarity of two columns is their Pearson correlation (TOMTOM's `-dist pearson`), quantised
  to steps of 0.01; a column within 0.05 of uniform scores 0 (Pearson would give its noise the
  weight of a strong column);
* an alignment places the query against a database motif at an offset with at least
  `min_overlap` overlapping columns (partial overlaps allowed), on either strand (the reverse
  complement of the database motif); its score is the sum of its column similarities;
* null: each query column's similarity to a database column is drawn from its similarities to
  every column of the database (both strands), independently per column; the distribution of a
  sum is the convolution of its columns' distributions, so the p-value of a score at an offset is
  exact under that null;
* a motif's p-value is that of its best offset, corrected for the number of offsets tried
  (1 - (1 - p)^n); E-value = p x database size; q-values by Benjamini-Hochberg over the database.

Queries come from three places: class-optimisation PWMs (`informative_window` trims them to their
most informative stretch), first-layer filters (`filter_pwms`: base frequencies of each filter's
top-activating subsequences, as DeMo and Basset do) and TF-MoDISco patterns.
"""

from __future__ import annotations

import dataclasses
import gzip
import os
import pathlib

import numpy as np

from regjax.errors import DataFormatError

_STEP = 0.01                 # quantisation of column similarities
_COMPLEMENT = [3, 2, 1, 0]   # A, C, G, T -> T, G, C, A


@dataclasses.dataclass(frozen=True)
class Motif:
  """A database motif: id, name (for JASPAR clusters the member TFs), matrix [W, 4] (A, C, G, T)."""
  id: str
  name: str
  pwm: np.ndarray


def _bundled(name: str) -> pathlib.Path:
  from regjax.datasets import histone_sources
  return histone_sources.bundled_data_dir() / "motifs" / name


def _open(path):
  return gzip.open(path, "rt") if os.fspath(path).endswith(".gz") else open(path)


def read_meme(path: str | os.PathLike) -> list[Motif]:
  """The motifs of a MEME-format file (`MOTIF id [name]`, `letter-probability matrix`, rows)."""
  motifs, current, rows, width = [], None, [], 0
  with _open(path) as f:
    for line_no, line in enumerate(f, start=1):
      words = line.split()
      if not words:
        continue
      if words[0] == "MOTIF":
        current, rows, width = (words[1], " ".join(words[2:]) or words[1]), [], 0
      elif words[0] == "letter-probability" and current:
        try:
          width = int(words[words.index("w=") + 1])
        except (ValueError, IndexError):
          raise DataFormatError(path, "a letter-probability matrix without a width (w= N)",
                                line_no) from None
      elif current and width and len(rows) < width:
        try:
          if len(words) < 4:
            raise ValueError
          rows.append([float(v) for v in words[:4]])
        except ValueError:
          raise DataFormatError(path, f"expected 4 probabilities, found {line.strip()!r}",
                                line_no) from None
        if len(rows) == width:
          pwm = np.asarray(rows)
          motifs.append(Motif(current[0], current[1], pwm / pwm.sum(1, keepdims=True)))
          current, width = None, 0
  if not motifs:
    raise DataFormatError(path, "no MOTIF with a letter-probability matrix found (MEME format)")
  return motifs


def database(name: str) -> list[Motif]:
  """A bundled motif database: "jaspar" (JASPAR 2024 clusters) or "encode" (ENCODE motifs); any
  other value is read as a MEME file."""
  if name == "jaspar":
    return read_meme(_bundled("jaspar_2024_consensus.meme.gz"))
  if name == "encode":
    from regjax.datasets import simulation
    return [Motif(k, k, v / v.sum(1, keepdims=True)) for k, v in simulation.read_motifs().items()]
  return read_meme(name)


def column_bits(pwm: np.ndarray) -> np.ndarray:
  """Bits per column [W] of a probability matrix [W, 4]."""
  p = np.clip(pwm, 1e-9, 1)
  return 2 + np.sum(p * np.log2(p), axis=1)


def informative_window(pwm: np.ndarray, width: int = 20) -> tuple[np.ndarray, int]:
  """The `width` consecutive columns with the most information (a class-optimisation PWM over a
  whole 101-bp input holds one motif somewhere), and where they start."""
  ic = column_bits(pwm)
  if len(pwm) <= width:
    return pwm, 0
  sums = np.convolve(ic, np.ones(width), mode="valid")
  start = int(np.argmax(sums))
  return pwm[start:start + width], start


def trim(pwm: np.ndarray, min_bits: float = 0.3) -> np.ndarray:
  """`pwm` without its flanking columns of less than `min_bits` (kept whole when none pass)."""
  keep = np.flatnonzero(column_bits(pwm) >= min_bits)
  return pwm[keep[0]:keep[-1] + 1] if len(keep) else pwm


def sliding_windows(sequences: np.ndarray, width: int) -> np.ndarray:
  """Every `width`-long window of one-hot sequences [N, L, 4] -> [N, L - width + 1, width, 4]."""
  return np.lib.stride_tricks.sliding_window_view(sequences, width, axis=1).transpose(0, 1, 3, 2)


def filter_pwms(activations: np.ndarray, sequences: np.ndarray, width: int,
                threshold: float = 0.5, pseudocount: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
  """PWMs of first-layer filters from their top-activating subsequences (DeMo / Basset).

  Args:
    activations: float [N, P, F] first-layer outputs ('valid' convolution: position p reads
      sequence positions p .. p + width - 1).
    sequences: one-hot [N, L, 4].
    width: the filter width.
    threshold: a subsequence counts where the activation exceeds threshold x the filter's maximum.

  Returns:
    (pwms [F, width, 4], number of subsequences per filter [F]).
  """
  n, positions, filters = activations.shape
  windows = sliding_windows(sequences, width)[:, :positions]                   # [N, P, W, 4]
  pwms, counts = np.zeros((filters, width, 4)), np.zeros(filters, int)
  for f in range(filters):
    a = activations[..., f]
    top = a.max()
    hits = (a > threshold * top) if top > 0 else np.zeros_like(a, bool)
    counts[f] = int(hits.sum())
    pwms[f] = windows[hits].sum(0) + pseudocount
  return pwms / pwms.sum(-1, keepdims=True), counts


_FLAT = 0.05   # a column this close to uniform (Euclidean) has no direction to correlate


def _columns(matrix: np.ndarray) -> np.ndarray:
  """Centred, unit-norm columns (rows of [W, 4]) so that a dot product is a Pearson r; columns
  within `_FLAT` of uniform become 0 (their correlation would be that of noise)."""
  centred = matrix - matrix.mean(1, keepdims=True)
  norm = np.linalg.norm(centred, axis=1, keepdims=True)
  return np.where(norm > _FLAT, centred / np.maximum(norm, 1e-12), 0.0)


class Comparator:
  """A motif database prepared for many queries (column null, both strands; motifs grouped by
  width so that one offset of every motif of a width is scored at once)."""

  def __init__(self, motifs: list[Motif], min_overlap: int = 5):
    self.motifs, self.min_overlap = motifs, min_overlap
    forward = [_columns(m.pwm) for m in motifs]
    reverse = [_columns(m.pwm[::-1][:, _COMPLEMENT]) for m in motifs]
    self.all_columns = np.concatenate(forward + reverse)
    self.groups = {}
    for i, m in enumerate(motifs):
      self.groups.setdefault(len(m.pwm), []).append(i)
    self.stacks = {w: (np.stack([forward[i] for i in idx]), np.stack([reverse[i] for i in idx]))
                   for w, idx in self.groups.items()}

  def compare(self, query: np.ndarray, top: int = 5) -> list[dict]:
    """The `top` database motifs closest to `query` [W, 4], best first: {rank, motif_id,
    motif_name, offset (of the database motif's first column relative to the query's first),
    strand, score (summed Pearson r), overlap, p_value, e_value, q_value}."""
    q = _columns(np.asarray(query, np.float64))
    width = len(q)
    low = int(-1 / _STEP)
    tails = _tail_tables(np.rint(q @ self.all_columns.T / _STEP).astype(np.int64) - low, width)
    best_p = np.full(len(self.motifs), 2.0)   # above any p: the first offset is kept
    best = [None] * len(self.motifs)
    n_offsets = np.zeros(len(self.motifs))
    for target, indices in self.groups.items():
      indices = np.asarray(indices)
      for strand, stack in zip("+-", self.stacks[target]):
        sims = np.rint(np.einsum("wa,gta->gwt", q, stack) / _STEP).astype(np.int64) - low
        for offset in range(-(target - self.min_overlap), width - self.min_overlap + 1):
          a, b = max(0, offset), min(width, offset + target)
          if b - a < min(self.min_overlap, width, target):
            continue
          n_offsets[indices] += 1
          scores = np.trace(sims, offset=-offset, axis1=1, axis2=2)       # [G]
          table = tails[(a, b)]
          p = np.where(scores < len(table), table[np.minimum(scores, len(table) - 1)], 0.0)
          for g in np.flatnonzero(p < best_p[indices]):
            i = indices[g]
            best_p[i] = p[g]
            best[i] = {"offset": offset, "strand": strand, "overlap": b - a,
                       "score": round(float(scores[g] + low * (b - a)) * _STEP, 3)}
    found = [i for i in range(len(self.motifs)) if best[i] is not None]
    # the best of n offsets: 1 - (1 - p)^n
    p_motif = -np.expm1(n_offsets[found] * np.log1p(-np.minimum(best_p[found], 1 - 1e-16)))
    p_motif = np.maximum(p_motif, 1e-300)
    q_values = _benjamini_hochberg(p_motif)
    order = sorted(range(len(found)), key=lambda k: (p_motif[k], -best[found[k]]["score"]))
    out = []
    for rank, k in enumerate(order[:top], start=1):
      motif = self.motifs[found[k]]
      out.append({"rank": rank, "motif_id": motif.id, "motif_name": motif.name,
                  **best[found[k]], "p_value": float(p_motif[k]),
                  "e_value": float(p_motif[k] * len(self.motifs)), "q_value": float(q_values[k])})
    return out


def _tail_tables(null: np.ndarray, width: int) -> dict[tuple[int, int], np.ndarray]:
  """{(a, b): P(sum of columns a..b-1 of a random alignment >= s) for every integer s}, from
  each query column's distribution of (shifted, >= 0) similarities to every database column."""
  size = int(null.max()) + 1
  pmfs = [np.bincount(row, minlength=size) / null.shape[1] for row in null]
  tables = {}
  for a in range(width):
    pmf = np.ones(1)
    for b in range(a + 1, width + 1):
      pmf = np.convolve(pmf, pmfs[b - 1])
      tables[(a, b)] = np.clip(np.cumsum(pmf[::-1])[::-1], 0, 1)
  return tables


def _benjamini_hochberg(p: np.ndarray) -> np.ndarray:
  if not len(p):
    return p
  order = np.argsort(p)
  ranked = p[order] * len(p) / np.arange(1, len(p) + 1)
  q = np.minimum.accumulate(ranked[::-1])[::-1]
  out = np.empty_like(q)
  out[order] = np.minimum(q, 1.0)
  return out
