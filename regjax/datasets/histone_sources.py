"""Where histone-bin examples come from: the bundled REMC sample or a local copy of the 56-cell archive.

Both sources give the DeepChrome setting: 100 bins of 100 bp around the TSS (TSS +/- 5 kb), marks in
DeepChrome order (H3K27me3, H3K36me3, H3K4me1, H3K4me3, H3K9me3), and a 0/1 label (expression above
the cell's median).

Bundled sample (data/remc_sample, from QData/DeepDiffChrome): `Cell1` is REMC E123 (K562) and `Cell2`
is E003 (H1). Its files cover TSS +/- 10 kb in 200 bins in REMC mark order, so we keep bins 51..150
and reorder the marks. The label is 1 when the gene's RNA-seq read count is strictly above the median
over all 19,795 genes of that cell's expression file (the DeepChrome rule); the log expression
log(count + 1) is kept as the regression target.

Archive: `DIR/E###/classification/{train,valid,test}.csv` in the DeepChrome layout, labels given,
no expression values (log_expression is NaN).
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import pathlib
import re

import numpy as np

from regjax.datasets import histone_csv
from regjax.errors import ConfigError, DataFormatError

SPLITS = ("train", "valid", "test")
BUNDLED_CELLS = {"E123": "Cell1", "E003": "Cell2"}  # REMC epigenome -> file prefix
BUNDLED_CELL_NAMES = {"E123": "K562 (leukemia)", "E003": "H1 (embryonic stem cell)"}
NUM_BINS = 100
_BUNDLED_BIN_WINDOW = slice(50, 150)  # bins 51..150 of 200 = TSS +/- 5 kb
_REMC_TO_DEEPCHROME = [histone_csv.REMC_MARKS.index(m) for m in histone_csv.DEEPCHROME_MARKS]
_CELL_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclasses.dataclass(frozen=True)
class HistoneExamples:
  """One split of one cell in the DeepChrome setting.

  Attributes:
    gene_ids: G gene identifiers.
    marks: float32 [G, T, M] read counts (100 bins x the 5 DeepChrome marks in that order for
      the bundled sample and the published archive; any T and marks for a prepared archive).
    labels: int32 [G], 1 = expressed (on).
    log_expression: float32 [G], log(read count + 1); NaN where unknown.
  """

  gene_ids: tuple[str, ...]
  marks: np.ndarray
  labels: np.ndarray
  log_expression: np.ndarray
  mark_names: tuple[str, ...] = histone_csv.DEEPCHROME_MARKS


def bundled_data_dir() -> pathlib.Path:
  """The folder of real data shipped inside the package."""
  return pathlib.Path(__file__).parent / "data"


def check_cell_name(cell: str) -> None:
  """A cell is a folder of the archive: a REMC id (E003) or any name made by `regjax.prepare`."""
  if not _CELL_PATTERN.match(cell):
    raise ConfigError(f"cell {cell!r} is not a usable folder name (letters, digits, _ . -; e.g. "
                      "E003 or K562)")


def expression_labels(expression: dict[str, float], gene_ids, path) -> tuple[np.ndarray, np.ndarray]:
  """Labels (count > median over all genes of the file) and log(count + 1) for `gene_ids`.

  Raises:
    DataFormatError: a gene has no expression value (names the first few).
  """
  missing = [g for g in gene_ids if g not in expression]
  if missing:
    raise DataFormatError(
        path, f"{len(missing)} gene(s) of the bin files have no expression value, e.g. "
        f"{', '.join(missing[:5])}")
  median = float(np.median(np.fromiter(expression.values(), dtype=np.float64)))
  counts = np.array([expression[g] for g in gene_ids], dtype=np.float64)
  return (counts > median).astype(np.int32), np.log1p(counts).astype(np.float32)


def check_bundled_cell(cell: str) -> None:
  """Raises a ConfigError that lists the bundled cells and explains the archive option."""
  if cell not in BUNDLED_CELLS:
    raise ConfigError(
        f"unknown bundled cell {cell!r}; the bundled REMC sample has "
        f"{', '.join(f'{c} ({n})' for c, n in BUNDLED_CELL_NAMES.items())}. For any other cell of "
        "the 56-cell DeepChrome archive set --config.data.archive_dir=DIR "
        "(DIR/E###/classification/{train,valid,test}.csv).")


def load_bundled_split(cell: str, split: str) -> HistoneExamples:
  """Reads one split of a bundled cell (E003 or E123) in the DeepChrome setting."""
  check_bundled_cell(cell)
  folder = bundled_data_dir() / "remc_sample"
  prefix = BUNDLED_CELLS[cell]
  table = histone_csv.read_remc_csv(folder / f"{prefix}.{split}.csv.gz", num_bins=200)
  expr_path = folder / f"{prefix}.expr.csv.gz"
  labels, log_expr = expression_labels(histone_csv.read_expression_csv(expr_path),
                                       table.gene_ids, expr_path)
  marks = table.marks[:, _BUNDLED_BIN_WINDOW, :][:, :, _REMC_TO_DEEPCHROME]
  return HistoneExamples(table.gene_ids, np.ascontiguousarray(marks), labels, log_expr)


def archive_split_path(archive_dir: str | os.PathLike, cell: str, split: str) -> pathlib.Path:
  """`<cell>/classification/<split>.csv`, or `<split>.csv.gz` when only the gzipped file exists."""
  plain = pathlib.Path(archive_dir) / cell / "classification" / f"{split}.csv"
  gzipped = plain.with_name(plain.name + ".gz")
  return gzipped if not plain.is_file() and gzipped.is_file() else plain


def check_archive(archive_dir: str | os.PathLike, cell: str) -> None:
  """Raises a clear error unless `archive_dir` holds the three split files of `cell`."""
  check_cell_name(cell)
  if not os.path.isdir(archive_dir):
    raise ConfigError(f"archive folder {archive_dir} does not exist")
  for split in SPLITS:
    path = archive_split_path(archive_dir, cell, split)
    if not path.is_file():
      raise DataFormatError(
          path, f"missing split file (expected {cell}/classification/train.csv, valid.csv and "
          f"test.csv, each optionally gzipped as .csv.gz, under {archive_dir})")


def archive_layout(archive_dir: str | os.PathLike, cell: str) -> histone_csv.CsvLayout:
  """The marks and bins of a cell's archive files, from its training file's header and first gene.

  Raises:
    DataFormatError: the training file has no Label column (unlabelled files are for
      --mode=predict, not training).
  """
  path = archive_split_path(archive_dir, cell, "train")
  layout = histone_csv.sniff_deepchrome_csv(path)
  if not layout.labelled:
    raise DataFormatError(path, "has no Label column; training needs labelled genes (prepare "
                          "with --expression or --labels)")
  return layout


def load_archive_split(archive_dir: str | os.PathLike, cell: str, split: str,
                       layout: histone_csv.CsvLayout | None = None) -> HistoneExamples:
  """Reads one split of an archive cell (DeepChrome layout, labels given); every split must have
  the layout of the training file."""
  layout = layout or archive_layout(archive_dir, cell)
  table = histone_csv.read_deepchrome_csv(archive_split_path(archive_dir, cell, split),
                                          layout.num_bins, mark_names=layout.mark_names)
  log_expr = np.full(len(table.gene_ids), np.nan, dtype=np.float32)
  return HistoneExamples(table.gene_ids, table.marks, table.labels, log_expr, layout.mark_names)


def archive_fingerprint(archive_dir: str | os.PathLike, cell: str) -> str:
  """A short hash of the archive files' path, size and modification time (the cache key)."""
  h = hashlib.sha256()
  for split in SPLITS:
    path = archive_split_path(archive_dir, cell, split).resolve()
    stat = path.stat()
    h.update(f"{path}|{stat.st_size}|{stat.st_mtime_ns}".encode())
  return h.hexdigest()[:10]
