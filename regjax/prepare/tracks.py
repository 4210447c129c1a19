"""Signal tracks -> counts per bin: bigWig (summed signal) and BAM (reads, as `bedtools multicov`).

Both readers answer `bin_counts(chrom, start, end, num_bins)` -> float64 [num_bins] over the BED
interval [start, end), and `coverage_problem(chrom, start, end)` -> None, or why that window cannot
be read (chromosome missing, window past its end, or outside the region the track has data for).
Chromosome names are matched across conventions (`chr9` / `9`, `chrM` / `MT`).

bigWig: the per-base signal summed over each bin, in float64 from the file's exact intervals (not
its zoom levels). `reads_from_coverage=L` divides the sums by a read length L, turning per-base
read coverage (what most ENCODE/Roadmap "signal" tracks of reads extended to the fragment length
are) into read counts, the unit the DeepChrome data and models use.

BAM: a read counts in every bin its aligned span [reference_start, reference_end) overlaps, once
per bin, like `bedtools multicov` without -split. Left out: unmapped, QC-failed, secondary and
supplementary alignments (so a read counts once), reads under `min_mapq`, and duplicates unless
`keep_duplicates`. The BAM index is read next to the file, or built into `index_dir` when missing
(the BAM must be coordinate-sorted).
"""

from __future__ import annotations

import os
import pathlib

import numpy as np

from regjax.errors import DataFormatError, UserError


def chrom_key(name: str) -> str:
  key = name.removeprefix("chr").removeprefix("Chr").upper()
  return "M" if key == "MT" else key


class ChromNames:
  """Maps any spelling of a chromosome name to the one a file uses."""

  def __init__(self, lengths: dict[str, int]):
    self.lengths = lengths
    self._by_key = {chrom_key(name): name for name in lengths}

  def resolve(self, chrom: str) -> str | None:
    return chrom if chrom in self.lengths else self._by_key.get(chrom_key(chrom))

  def window_problem(self, chrom: str, start: int, end: int) -> str | None:
    """Why [start, end) of `chrom` is not in the file (None: it is)."""
    name = self.resolve(chrom)
    if name is None:
      return "chromosome not in the track"
    if start < 0 or end > self.lengths[name]:
      return "window leaves the chromosome"
    return None


def _bin_width(start: int, end: int, num_bins: int) -> int:
  if (end - start) % num_bins:
    raise ValueError(f"window [{start}, {end}) does not split into {num_bins} equal bins")
  return (end - start) // num_bins


class BigWigTrack:
  """Per-bin sums of a bigWig's signal (see the module docstring)."""

  def __init__(self, path, reads_from_coverage: float | None = None):
    import pyBigWig  # the `prepare` extra
    self.path = os.fspath(path)
    if not os.path.isfile(self.path):
      raise DataFormatError(self.path, "track file not found")
    try:
      self._file = pyBigWig.open(self.path)
    except RuntimeError:
      self._file = None
    if self._file is None or not self._file.isBigWig():
      raise DataFormatError(self.path, "not a readable bigWig file")
    if reads_from_coverage is not None and reads_from_coverage <= 0:
      raise UserError(f"--reads_from_coverage must be a positive read length, not "
                      f"{reads_from_coverage}")
    self.scale = 1.0 / reads_from_coverage if reads_from_coverage else 1.0
    self.names = ChromNames(dict(self._file.chroms()))
    self._extent: dict[str, tuple[int, int] | None] = {}

  def _data_extent(self, chrom: str) -> tuple[int, int] | None:
    """[first interval start, last interval end) of the signal on `chrom` (None: no data)."""
    if chrom not in self._extent:
      length = self.names.lengths[chrom]
      # Which ~100-kb blocks hold data (one exact pass in C), then the exact edges in the first
      # and last such block (pyBigWig splits [0, length) into nBins blocks of length / nBins).
      num = max(1, length // 100_000)
      covered = self._file.stats(chrom, 0, length, type="coverage", nBins=num, exact=True)
      hits = [i for i, c in enumerate(covered) if c]
      width = length / num
      block = lambda i: (max(0, int((i - 1) * width)), min(length, int((i + 2) * width) + 1))
      first = self._file.intervals(chrom, *block(hits[0])) if hits else None
      last = self._file.intervals(chrom, *block(hits[-1])) if hits else None
      self._extent[chrom] = (first[0][0], last[-1][1]) if first and last else None
    return self._extent[chrom]

  def coverage_problem(self, chrom: str, start: int, end: int) -> str | None:
    problem = self.names.window_problem(chrom, start, end)
    if problem:
      return problem
    extent = self._data_extent(self.names.resolve(chrom))
    if extent is None or start < extent[0] or end > extent[1]:
      return "window outside the track's data"
    return None

  def bin_counts(self, chrom: str, start: int, end: int, num_bins: int) -> np.ndarray:
    name = self.names.resolve(chrom)
    _bin_width(start, end, num_bins)
    # Per-base values from the exact intervals (NaN where the file has none: no signal).
    values = np.asarray(self._file.values(name, start, end, numpy=True), np.float64)
    sums = np.nansum(values.reshape(num_bins, -1), axis=1)
    return sums * self.scale


class BamTrack:
  """Reads per bin of a coordinate-sorted BAM file (see the module docstring)."""

  def __init__(self, path, min_mapq: int = 0, keep_duplicates: bool = False,
               index_dir: str | os.PathLike | None = None):
    import pysam  # the `prepare` extra
    self.path = os.fspath(path)
    if not os.path.isfile(self.path):
      raise DataFormatError(self.path, "track file not found")
    self.min_mapq, self.keep_duplicates = min_mapq, keep_duplicates
    index = self._find_or_build_index(pysam, index_dir)
    try:
      self._file = pysam.AlignmentFile(self.path, "rb", index_filename=index)
    except (ValueError, OSError) as e:
      raise DataFormatError(self.path, f"not a readable BAM file ({e})") from None
    self.names = ChromNames(dict(zip(self._file.references, self._file.lengths)))

  def _find_or_build_index(self, pysam, index_dir) -> str:
    for candidate in (self.path + ".bai", str(pathlib.Path(self.path).with_suffix(".bai")),
                      self.path + ".csi"):
      if os.path.isfile(candidate):
        return candidate
    folder = pathlib.Path(index_dir) if index_dir else pathlib.Path(self.path).parent
    folder.mkdir(parents=True, exist_ok=True)
    index = str(folder / (pathlib.Path(self.path).name + ".bai"))
    print(f"indexing {self.path} -> {index}", flush=True)
    try:
      pysam.index(self.path, index)
    except pysam.utils.SamtoolsError as e:
      raise DataFormatError(self.path, "cannot index this BAM file; is it coordinate-sorted "
                            f"(samtools sort)? ({str(e).strip()[:200]})") from None
    return index

  def coverage_problem(self, chrom: str, start: int, end: int) -> str | None:
    return self.names.window_problem(chrom, start, end)

  def keeps(self, read) -> bool:
    """Whether a read counts (the filters of the module docstring)."""
    if read.is_unmapped or read.is_qcfail or read.is_secondary or read.is_supplementary:
      return False
    if read.is_duplicate and not self.keep_duplicates:
      return False
    return read.mapping_quality >= self.min_mapq

  def bin_counts(self, chrom: str, start: int, end: int, num_bins: int) -> np.ndarray:
    name = self.names.resolve(chrom)
    width = _bin_width(start, end, num_bins)
    counts = np.zeros(num_bins, np.float64)
    for read in self._file.fetch(name, start, end):
      if not self.keeps(read) or read.reference_end is None:
        continue
      lo, hi = max(read.reference_start, start), min(read.reference_end, end)
      if hi <= lo:
        continue
      counts[(lo - start) // width:(hi - 1 - start) // width + 1] += 1
    return counts


def open_track(path, reads_from_coverage: float | None = None, min_mapq: int = 0,
               keep_duplicates: bool = False, index_dir=None):
  """A BigWigTrack or BamTrack, by file extension (.bw/.bigwig or .bam)."""
  name = os.fspath(path).lower()
  if name.endswith((".bw", ".bigwig")):
    return BigWigTrack(path, reads_from_coverage)
  if name.endswith(".bam"):
    return BamTrack(path, min_mapq, keep_duplicates, index_dir)
  raise DataFormatError(path, "unknown track format; expected a bigWig (.bw, .bigwig) or BAM "
                        "(.bam) file")
