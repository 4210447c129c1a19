"""A genome and a peak file -> labelled fixed-length sequences for the DeepMotif models.

Positives: one window of `length` bp per peak, centred on the summit (narrowPeak column 10) or on
the peak's centre (BED, or a narrowPeak summit of -1): [centre - length // 2, ... + length).
Negatives, one per positive:

* `shuffled`: a dinucleotide shuffle of the positive (the DeepBind / DeepMotif protocol);
* `genomic`: a window drawn uniformly from the chromosomes that hold peaks, overlapping no peak
  and no positive window, and GC-matched: each positive takes the unused candidate whose GC share
  is nearest to its own, within `gc_tolerance` (else it gets none, counted in the summary);
* `none`: positives only (the DeepMotif configs then add shuffles when they load the file).

Windows past a chromosome end, on a chromosome the genome lacks, or with more than
`max_n_share` N bases are skipped and counted. Output by extension: labelled FASTA
(`>chrom:start-end 1`; .fa/.fasta/.fna) or DeepBind TSV (`FoldID EventID seq Bound`; .tsv/.seq),
gzipped when the name ends in .gz; `OUT.summary.json` beside it.
"""

from __future__ import annotations

import bisect
import collections
import dataclasses
import json
import os

import numpy as np
import tqdm

from regjax.datasets import sequences as seq_io, textio
from regjax.errors import DataFormatError, UserError
from regjax.prepare.genome import Genome
from regjax.writing import atomic_text_file, refuse_existing

NEGATIVES = ("shuffled", "genomic", "none")


@dataclasses.dataclass(frozen=True)
class Peak:
  chrom: str
  start: int
  end: int
  centre: int
  line: int


@dataclasses.dataclass(frozen=True)
class SequencesJob:
  """What `prepare sequences` was asked to do (the command-line options)."""

  genome: str
  peaks: str
  out: str
  length: int = 101
  negatives: str = "shuffled"
  seed: int = 0
  max_n_share: float = 0.1
  gc_tolerance: float = 0.05
  candidates_per_peak: int = 20

  def check(self) -> None:
    if self.length <= 0:
      raise UserError(f"--length must be positive, not {self.length}")
    if self.negatives not in NEGATIVES:
      raise UserError(f"--negatives={self.negatives}: expected one of {', '.join(NEGATIVES)}")
    if output_format(self.out) is None:
      raise UserError(f"--out={self.out}: expected a .fa/.fasta/.fna (labelled FASTA) or "
                      ".tsv/.seq (DeepBind TSV) file name, optionally .gz")


def output_format(path: str) -> str | None:
  name = path.lower().removesuffix(".gz")
  if name.endswith((".fa", ".fasta", ".fna")):
    return "fasta"
  if name.endswith((".tsv", ".seq")):
    return "tsv"
  return None


def read_peaks(path) -> list[Peak]:
  """BED (3+ columns) or narrowPeak (10 columns; summit offset in column 10, -1 = none).

  Raises:
    DataFormatError: naming the file and line (too few columns, bad coordinates or summit).
  """
  peaks = []
  for line_no, fields in textio.tab_rows(path, "peak file", 3, "chrom, start, end"):
    try:
      start, end = int(fields[1]), int(fields[2])
      summit = int(fields[9]) if len(fields) >= 10 else -1
    except ValueError:
      raise DataFormatError(path, "start, end (and a narrowPeak summit in column 10) must be "
                            "integers", line_no) from None
    if start < 0 or end <= start:
      raise DataFormatError(path, f"expected 0 <= start < end, found {start}, {end}", line_no)
    if summit >= end - start:
      raise DataFormatError(path, f"summit offset {summit} lies outside the peak (length "
                            f"{end - start})", line_no)
    centre = start + summit if summit >= 0 else (start + end) // 2
    peaks.append(Peak(fields[0], start, end, centre, line_no))
  if not peaks:
    raise DataFormatError(path, "no peaks found")
  return peaks


def gc_share(sequence: str) -> float:
  acgt = sum(sequence.count(b) for b in "ACGT")
  return (sequence.count("G") + sequence.count("C")) / acgt if acgt else 0.0


class _Occupied:
  """Peak intervals per chromosome, for 'does [start, end) overlap any of them?'."""

  def __init__(self, intervals):
    by_chrom = collections.defaultdict(list)
    for chrom, start, end in intervals:
      by_chrom[chrom].append((start, end))
    self._starts, self._max_end = {}, {}
    for chrom, rows in by_chrom.items():
      rows.sort()
      self._starts[chrom] = [s for s, _ in rows]
      self._max_end[chrom] = list(np.maximum.accumulate([e for _, e in rows]))

  def overlaps(self, chrom: str, start: int, end: int) -> bool:
    starts = self._starts.get(chrom)
    if not starts:
      return False
    i = bisect.bisect_left(starts, end) - 1  # intervals starting before `end`
    return i >= 0 and self._max_end[chrom][i] > start


def _genomic_negatives(job, genome, positives, occupied, rng, progress: bool):
  """(negatives [(chrom, start, sequence)], per-positive |GC difference|, counts of skips)."""
  chroms = sorted({chrom for chrom, _, _ in positives})
  lengths = np.array([genome.length(c) - job.length for c in chroms], np.float64)
  if np.all(lengths <= 0):
    raise UserError("the peaks' chromosomes are shorter than --length; no negative can be drawn")
  weights = np.clip(lengths, 0, None) / np.clip(lengths, 0, None).sum()
  wanted = job.candidates_per_peak * len(positives)
  pool, skipped = [], collections.Counter()
  bar = tqdm.tqdm(total=wanted, desc="drawing genomic background", unit="window",
                  disable=not progress)
  for _ in range(20 * wanted):
    if len(pool) >= wanted:
      break
    c = rng.choice(len(chroms), p=weights)
    start = int(rng.integers(0, lengths[c] + 1))
    if occupied.overlaps(chroms[c], start, start + job.length):
      skipped["background window on a peak"] += 1
      continue
    sequence = genome.fetch(chroms[c], start, start + job.length)
    if sequence.count("N") > job.max_n_share * job.length:
      skipped["N-rich background window"] += 1
      continue
    pool.append((chroms[c], start, sequence))
    bar.update(1)
  bar.close()
  if not pool:
    raise UserError("no background window could be drawn (every draw hit a peak or N bases)")
  gc_all = np.array([gc_share(s) for _, _, s in pool])
  order = np.argsort(gc_all, kind="stable")
  pool, pool_gc = [pool[i] for i in order], gc_all[order]
  used = np.zeros(len(pool), bool)
  negatives, differences = [], []
  for p in rng.permutation(len(positives)):
    target = gc_share(positives[p][2])
    i = int(np.searchsorted(pool_gc, target))
    left, right = i - 1, i  # the nearest unused candidates on each side
    while left >= 0 and used[left]:
      left -= 1
    while right < len(pool) and used[right]:
      right += 1
    options = [j for j in (left, right) if 0 <= j < len(pool)]
    best = min(options, key=lambda j: abs(pool_gc[j] - target)) if options else None
    if best is None or abs(pool_gc[best] - target) > job.gc_tolerance:
      skipped["no GC-matched background window"] += 1
      continue
    used[best] = True
    negatives.append(pool[best])
    differences.append(abs(pool_gc[best] - target))
  return negatives, differences, skipped


def prepare_sequences(job: SequencesJob, progress: bool = True) -> dict:
  """Runs the job (module docstring); returns the summary also written beside the output."""
  job.check()
  refuse_existing(job.out)
  genome = Genome(job.genome, index_dir=os.path.dirname(os.path.abspath(job.out)))
  peaks = read_peaks(job.peaks)
  rng = np.random.default_rng(job.seed)
  positives, skipped, seen = [], collections.Counter(), set()
  for peak in tqdm.tqdm(peaks, desc="cutting peak windows", unit="peak", disable=not progress):
    chrom = genome.resolve(peak.chrom)
    start = peak.centre - job.length // 2
    if chrom is None:
      skipped["chromosome not in the genome"] += 1
    elif start < 0 or start + job.length > genome.length(chrom):
      skipped["window leaves the chromosome"] += 1
    elif (chrom, start) in seen:
      skipped["same window as an earlier peak"] += 1
    else:
      sequence = genome.fetch(chrom, start, start + job.length)
      if sequence.count("N") > job.max_n_share * job.length:
        skipped["N-rich peak window"] += 1
      else:
        seen.add((chrom, start))
        positives.append((chrom, start, sequence))
  if not positives:
    raise UserError(f"no peak of {job.peaks} gave a window: " + "; ".join(
        f"{n} {r}" for r, n in skipped.most_common()))

  records = [(f"{c}:{s}-{s + job.length}", seq, 1) for c, s, seq in positives]
  gc = {}
  if job.negatives == "shuffled":
    for name, sequence, _ in list(records):
      codes = seq_io.dinucleotide_shuffle(seq_io.encode(sequence, job.length), rng)
      records.append((f"{name}_shuf", seq_io.decode(codes), 0))
  elif job.negatives == "genomic":
    occupied = _Occupied([(genome.resolve(p.chrom), p.start, p.end) for p in peaks
                          if genome.resolve(p.chrom)] +
                         [(c, s, s + job.length) for c, s, _ in positives])
    negatives, differences, more = _genomic_negatives(job, genome, positives, occupied, rng,
                                                       progress)
    skipped.update(more)
    records += [(f"{c}:{s}-{s + job.length}_bg", seq, 0) for c, s, seq in negatives]
    gc = {"gc_tolerance": job.gc_tolerance,
          "mean_abs_gc_difference": round(float(np.mean(differences)), 4) if differences else None,
          "max_abs_gc_difference": round(float(np.max(differences)), 4) if differences else None}

  _write(job.out, records)
  summary = {"genome": job.genome, "peaks": job.peaks, "out": job.out, "length": job.length,
             "peaks_read": len(peaks), "positives": len(positives),
             "negatives": sum(1 for r in records if r[2] == 0), "negative_kind": job.negatives,
             "skipped": dict(skipped.most_common()), **gc}
  with atomic_text_file(job.out + ".summary.json") as f:
    json.dump(summary, f, indent=2)
  return summary


def _write(path: str, records) -> None:
  if output_format(path) == "fasta":
    lines = [f">{name} {label}\n{sequence}\n" for name, sequence, label in records]
  else:
    lines = ["FoldID\tEventID\tseq\tBound\n"] + [f"A\t{name}\t{sequence}\t{label}\n"
                                                 for name, sequence, label in records]
  with atomic_text_file(path) as f:
    f.writelines(lines)


def print_summary(summary: dict) -> None:
  print(f"{summary['positives']} peak windows of {summary['length']} bp and "
        f"{summary['negatives']} {summary['negative_kind']} negatives -> {summary['out']}")
  if summary.get("mean_abs_gc_difference") is not None:
    print(f"  GC share of negatives vs their positives: mean |difference| "
          f"{summary['mean_abs_gc_difference']:.4f}, max {summary['max_abs_gc_difference']:.4f} "
          f"(tolerance {summary['gc_tolerance']})")
  for reason, count in summary["skipped"].items():
    print(f"  skipped {count}: {reason}")
