"""Histone tracks + a gene annotation -> a cell in the DeepChrome archive layout.

Writes `OUT/CELL/classification/{train,valid,test}.csv` (or `all.csv` without splits;
`OUT/CELL/unlabelled/*.csv` without labels), each with a header row
`GeneID,BinID,<marks...>,Label` naming the marks in the order given, one row per bin, bins
numbered 1..num_bins from the most upstream in genomic (+ strand) order, as the original pipelines
did; `strand_aware` flips minus-strand genes so that bin 1 is always 5' of the TSS. Beside them:
`genes.tsv` (gene, name, chrom, tss, strand, split, expression, label), `skipped.tsv` (gene and
why it was left out) and `summary.json`.

Labels follow DeepChrome: with expression values, "on" = above the median of *all* values in the
expression file (not only of the genes kept); or 0/1 labels as given; or none (files to score).
"""

from __future__ import annotations

import collections
import dataclasses
import json
import os
import pathlib

import numpy as np
import tqdm

from regjax.errors import UserError
from regjax.prepare import annotation, tables, tracks as track_io
from regjax.writing import atomic_text_file, refuse_existing

SPLIT_CHOICES = ("random", "chromosomes", "none")


@dataclasses.dataclass(frozen=True)
class HistoneJob:
  """What `prepare histone` was asked to do (the command-line options, checked).

  Attributes:
    tracks: (mark name, path) pairs in output column order.
    genes: the annotation file.
    out, cell: the output folder and the cell's name (a folder name).
    expression, labels: at most one of the two label sources (None: unlabelled output).
    split: "random", "chromosomes", "none" or the path of a gene -> split TSV.
    window, bin_size: the half-width around the TSS and the bin width, in bp.
  """

  tracks: tuple[tuple[str, str], ...]
  genes: str
  out: str
  cell: str
  expression: str | None = None
  labels: str | None = None
  split: str = "random"
  split_seed: int = 0
  valid_chroms: tuple[str, ...] = ()
  test_chroms: tuple[str, ...] = ()
  window: int = 5000
  bin_size: int = 100
  strand_aware: bool = False
  tss_from: str = "gene"
  reads_from_coverage: float | None = None
  min_mapq: int = 0
  keep_duplicates: bool = False

  @property
  def num_bins(self) -> int:
    return 2 * self.window // self.bin_size

  def check(self) -> None:
    if not self.tracks:
      raise UserError("--tracks: give at least one NAME=FILE")
    names = [name for name, _ in self.tracks]
    if len(set(names)) != len(names):
      raise UserError(f"--tracks: mark names must differ, got {', '.join(names)}")
    for name in names:
      if not name or "," in name or any(c.isspace() for c in name):
        raise UserError(f"--tracks: {name!r} is not a usable mark name (no commas or spaces)")
    if self.expression and self.labels:
      raise UserError("give --expression or --labels, not both")
    if self.window <= 0 or self.bin_size <= 0 or (2 * self.window) % self.bin_size:
      raise UserError(f"--window={self.window} (half-width) must be positive and 2 x window "
                      f"must be a multiple of --bin_size={self.bin_size}")
    if self.split == "chromosomes" and not (self.valid_chroms and self.test_chroms):
      raise UserError("--split=chromosomes needs --valid_chroms and --test_chroms")
    if self.split not in SPLIT_CHOICES and not os.path.isfile(self.split):
      raise UserError(f"--split={self.split}: expected random, chromosomes, none or an existing "
                      "TSV file of gene and train/valid/test")
    cell = pathlib.PurePath(self.cell)
    if not self.cell or cell.name != self.cell or self.cell in (".", ".."):
      raise UserError(f"--cell={self.cell!r} must be a plain folder name, e.g. K562 or E123")


def _label_source(job: HistoneJob):
  """(lookup table or None, label of a value, the file, what a missing gene lacks)."""
  if job.expression:
    values = tables.read_expression(job.expression)
    median = float(np.median(np.fromiter(values.values(), np.float64)))
    return values, (lambda v: int(v > median)), "no expression value", median
  if job.labels:
    return tables.read_labels(job.labels), (lambda v: int(v)), "no label", None
  return None, None, None, None


def assign_splits(job: HistoneJob, genes: list[annotation.Gene],
                   split_table: dict[str, str] | None) -> list[str]:
  if split_table is not None:
    return [tables.lookup(split_table, g.gene_id) for g in genes]
  if job.split == "none":
    return ["all"] * len(genes)
  if job.split == "chromosomes":
    valid = {track_io.chrom_key(c) for c in job.valid_chroms}
    test = {track_io.chrom_key(c) for c in job.test_chroms}
    if valid & test:
      raise UserError("--valid_chroms and --test_chroms share a chromosome")
    return ["test" if track_io.chrom_key(g.chrom) in test else
            "valid" if track_io.chrom_key(g.chrom) in valid else "train" for g in genes]
  # random thirds as in DeepChrome (6601 / 6601 / 6600: train and valid take the remainder)
  order = np.random.default_rng(job.split_seed).permutation(len(genes))
  base, extra = divmod(len(genes), 3)
  sizes = [base + (extra > 0), base + (extra > 1), base]
  names = np.empty(len(genes), dtype=object)
  names[order[:sizes[0]]] = "train"
  names[order[sizes[0]:sizes[0] + sizes[1]]] = "valid"
  names[order[sizes[0] + sizes[1]:]] = "test"
  return list(names)


def format_count(value: float) -> str:
  return str(int(value)) if float(value).is_integer() else f"{value:.9g}"


def _write_split(path: pathlib.Path, mark_names, gene_ids, marks: np.ndarray,
                 labels: list[int] | None) -> None:
  """marks: float64 [G, num_bins, M]."""
  header = ["GeneID", "BinID", *mark_names] + (["Label"] if labels is not None else [])
  with atomic_text_file(path) as f:
    f.write(",".join(header) + "\n")
    for g, gene_id in enumerate(gene_ids):
      tail = f",{labels[g]}\n" if labels is not None else "\n"
      for b in range(marks.shape[1]):
        f.write(f"{gene_id},{b + 1}," + ",".join(format_count(v) for v in marks[g, b]) + tail)


def open_tracks(job: HistoneJob, index_dir: pathlib.Path) -> list[tuple[str, object]]:
  return [(name, track_io.open_track(path, job.reads_from_coverage, job.min_mapq,
                                     job.keep_duplicates, index_dir))
          for name, path in job.tracks]


def select_genes(job: HistoneJob, genes, track_sets, label_sources, split_table):
  """(kept genes, [(skipped gene, reason)]): a gene is kept when every track of every set covers
  its window, every label source has a value for it and the split file (if any) lists it."""
  kept, skipped = [], []
  for gene in genes:
    start, end = gene.anchor - job.window, gene.anchor + job.window
    reason = next((f"{problem} ({name})" for opened in track_sets for name, track in opened
                   if (problem := track.coverage_problem(gene.chrom, start, end))), None)
    for table, missing in label_sources:
      if reason is None and table is not None and tables.lookup(table, gene.gene_id) is None:
        reason = missing
    if reason is None and split_table is not None and tables.lookup(split_table,
                                                                    gene.gene_id) is None:
      reason = "not in the split file"
    (skipped.append((gene, reason)) if reason else kept.append(gene))
  if not kept:
    counts = collections.Counter(r for _, r in skipped)
    raise UserError(f"no gene of {job.genes} could be prepared: " + "; ".join(
        f"{n} {r}" for r, n in counts.most_common()))
  return kept, skipped


def bin_genes(job: HistoneJob, genes, opened, progress: bool, label: str) -> np.ndarray:
  """float64 [G, num_bins, M] counts of `genes` over the opened tracks."""
  marks = np.zeros((len(genes), job.num_bins, len(opened)), np.float64)
  bar = tqdm.tqdm(genes, desc=f"{label}: binning {len(opened)} tracks", unit="gene",
                  disable=not progress)
  for g, gene in enumerate(bar):
    start, end = gene.anchor - job.window, gene.anchor + job.window
    for m, (_, track) in enumerate(opened):
      marks[g, :, m] = track.bin_counts(gene.chrom, start, end, job.num_bins)
    if job.strand_aware and gene.strand == "-":
      marks[g] = marks[g, ::-1]
  return marks


def write_gene_files(genes_path: pathlib.Path, skipped_path: pathlib.Path, kept, splits,
                     columns: dict[str, list | None], skipped) -> None:
  """The genes kept (gene, name, chrom, tss, strand, split, then `columns`) and those skipped."""
  with atomic_text_file(genes_path) as f:
    f.write("\t".join(["gene", "name", "chrom", "tss", "strand", "split", *columns]) + "\n")
    for i, gene in enumerate(kept):
      extra = ["" if values is None else str(values[i]) for values in columns.values()]
      f.write("\t".join([gene.gene_id, gene.name, gene.chrom, str(gene.anchor), gene.strand,
                         splits[i], *extra]) + "\n")
  with atomic_text_file(skipped_path) as f:
    f.write("gene\tchrom\ttss\treason\n")
    for gene, reason in skipped:
      f.write(f"{gene.gene_id}\t{gene.chrom}\t{gene.anchor}\t{reason}\n")


def common_summary(job: HistoneJob, genes, kept, skipped) -> dict:
  return {
      "genes": job.genes, "window": f"TSS +/- {job.window} bp", "bin_size": job.bin_size,
      "num_bins": job.num_bins,
      "bin_order": "5' to 3' (strand-aware)" if job.strand_aware else "genomic (+ strand)",
      "split": job.split, "genes_read": len(genes), "genes_kept": len(kept),
      "skipped": dict(collections.Counter(r for _, r in skipped).most_common()),
      "reads_from_coverage": job.reads_from_coverage,
      "bam_filters": {"min_mapq": job.min_mapq, "keep_duplicates": job.keep_duplicates},
  }


def split_names(splits: list[str]) -> list[str]:
  return [s for s in (*tables.SPLIT_NAMES, "all") if s in splits]


def prepare_histone(job: HistoneJob, progress: bool = True) -> dict:
  """Runs the job (module docstring); returns the summary also written to summary.json."""
  job.check()
  cell_dir = pathlib.Path(job.out) / job.cell
  refuse_existing(cell_dir)
  genes = annotation.read_genes(job.genes, job.tss_from)
  label_table, to_label, missing_label, median = _label_source(job)
  split_table = None if job.split in SPLIT_CHOICES else tables.read_splits(job.split)
  opened = open_tracks(job, cell_dir / "bam_index")
  kept, skipped = select_genes(job, genes, [opened], [(label_table, missing_label)],
                                split_table)
  marks = bin_genes(job, kept, opened, progress, job.cell)
  splits = assign_splits(job, kept, split_table)
  values = [tables.lookup(label_table, g.gene_id) for g in kept] if label_table else None
  labels = [to_label(v) for v in values] if values is not None else None
  mark_names = [name for name, _ in job.tracks]
  folder = cell_dir / ("classification" if labels is not None else "unlabelled")
  per_split = {}
  for split in split_names(splits):
    rows = [i for i, s in enumerate(splits) if s == split]
    _write_split(folder / f"{split}.csv", mark_names, [kept[i].gene_id for i in rows],
                 marks[rows], [labels[i] for i in rows] if labels is not None else None)
    per_split[split] = {"genes": len(rows)}
    if labels is not None:
      per_split[split]["share_on"] = round(float(np.mean([labels[i] for i in rows])), 4)
  write_gene_files(cell_dir / "genes.tsv", cell_dir / "skipped.tsv", kept, splits,
                   {"expression": values if job.expression else None, "label": labels}, skipped)
  summary = {
      "cell": job.cell, "marks": mark_names, "tracks": dict(job.tracks),
      **common_summary(job, genes, kept, skipped),
      "labels": ("expression above the median of all values in " + job.expression
                 if job.expression else job.labels or "none"),
      "expression_median": median, "splits": per_split,
  }
  with atomic_text_file(cell_dir / "summary.json") as f:
    json.dump(summary, f, indent=2)
  return summary


def print_summary(summary: dict, cell_dir: str) -> None:
  print(f"{summary['cell']}: {summary['genes_kept']} of {summary['genes_read']} genes, "
        f"{summary['num_bins']} bins x {len(summary['marks'])} marks "
        f"({', '.join(summary['marks'])}) -> {cell_dir}")
  for split, row in summary["splits"].items():
    on = f", {100 * row['share_on']:.1f} % on" if "share_on" in row else ""
    print(f"  {split}: {row['genes']} genes{on}")
  for reason, count in summary["skipped"].items():
    print(f"  skipped {count}: {reason}")
