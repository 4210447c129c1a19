"""Strict readers for the histone-mark bin CSV files of DeepChrome, AttentiveChrome and DeepDiff.

Two layouts exist in the published data, both with one row per bin and the bins of a gene on
consecutive rows:

* DeepChrome / AttentiveChrome (`E###/classification/{train,valid,test}.csv`, 8 columns):
  `GeneID,BinID,H3K27me3,H3K36me3,H3K4me1,H3K4me3,H3K9me3,Label`.
* REMC / DeepDiff (`CellN.{train,valid,test}.csv`, 6 columns):
  `ENSGID_SYMBOL_BIN,H3K4me1,H3K4me3,H3K9me3,H3K27me3,H3K36me3`.

Unlike the original loaders (which ignored BinID, assumed exactly 100 rows per gene and took the
label of a gene's last row), every row is checked: a malformed file raises one `DataFormatError`
that names the file, the line and what was expected, instead of training on shifted bins.
An optional header row is accepted; when present its mark names must match the expected order.
"""

from __future__ import annotations

import dataclasses
import gzip
import io
import math
import os
import warnings
from collections.abc import Iterator, Sequence

import numpy as np

from regjax.errors import DataFormatError

DEEPCHROME_MARKS = ("H3K27me3", "H3K36me3", "H3K4me1", "H3K4me3", "H3K9me3")
REMC_MARKS = ("H3K4me1", "H3K4me3", "H3K9me3", "H3K27me3", "H3K36me3")


@dataclasses.dataclass(frozen=True)
class HistoneTable:
  """The genes of one CSV file.

  Attributes:
    gene_ids: G gene identifiers in file order.
    marks: float32 [G, num_bins, M] read counts, marks in `mark_names` order, bin 1 first.
    mark_names: the M histone marks, in column order.
    labels: int32 [G] 0/1 labels (DeepChrome layout), or None when the file has none.
  """

  gene_ids: tuple[str, ...]
  marks: np.ndarray
  mark_names: tuple[str, ...]
  labels: np.ndarray | None = None


def _open_text(path: str | os.PathLike):
  path = os.fspath(path)
  # utf-8-sig: a byte-order mark (spreadsheet exports) is dropped instead of read into gene 1's id.
  if path.endswith(".gz"):
    return gzip.open(path, "rt", newline="", encoding="utf-8-sig")
  return open(path, "rt", newline="", encoding="utf-8-sig")


def _data_rows(path: str | os.PathLike, num_columns: int | None,
               column_names: Sequence[str]) -> Iterator[tuple[int, list[str]]]:
  """Yields (line number, fields) of every non-blank row, checking the column count (if given).

  Raises:
    DataFormatError: the file is missing or empty, or a row has the wrong number of columns.
  """
  if not os.path.isfile(path):
    raise DataFormatError(path, "file not found")
  layout = ",".join(column_names)
  seen_any = False
  try:
    with _open_text(path) as f:
      for line_no, line in enumerate(f, start=1):
        line = line.strip()
        if not line:
          continue
        fields = [x.strip() for x in line.split(",")]
        if num_columns is not None and len(fields) != num_columns:
          raise DataFormatError(
              path, f"expected {num_columns} comma-separated columns ({layout}), "
              f"found {len(fields)}: {line[:80]!r}", line_no)
        seen_any = True
        yield line_no, fields
  except (UnicodeDecodeError, gzip.BadGzipFile, EOFError) as e:
    raise DataFormatError(path, f"not a readable text/CSV file ({e})") from None
  if not seen_any:
    raise DataFormatError(path, f"file is empty; expected rows of {layout}")


def _is_number(text: str) -> bool:
  try:
    float(text)
  except ValueError:
    return False
  return True


def _check_header(path, fields: Sequence[str], mark_columns: slice,
                  mark_names: Sequence[str]) -> bool:
  """True when `fields` (line 1) is a header; checks its mark names against the expected order."""
  names = fields[mark_columns]
  if any(_is_number(x) for x in names):
    return False
  if [x.lower() for x in names] != [m.lower() for m in mark_names]:
    raise DataFormatError(
        path, f"header lists marks {','.join(names)}; expected {','.join(mark_names)} "
        "in this order", 1)
  return True


def _parse_counts(path, line_no: int, texts: Sequence[str],
                  names: Sequence[str]) -> list[float]:
  values = []
  for text, name in zip(texts, names):
    try:
      value = float(text)
    except ValueError:
      raise DataFormatError(
          path, f"column {name}: expected a non-negative read count, found {text!r}",
          line_no) from None
    if not math.isfinite(value) or value < 0:
      raise DataFormatError(
          path, f"column {name}: expected a finite, non-negative read count, found {text!r}",
          line_no)
    values.append(value)
  return values


def _parse_bin(path, line_no: int, text: str) -> int:
  try:
    return int(text)
  except ValueError:
    raise DataFormatError(path, f"expected an integer bin number, found {text!r}",
                          line_no) from None


class _GeneCollector:
  """Groups consecutive rows into genes and checks bin order, bin count and label consistency."""

  def __init__(self, path, num_bins: int):
    self.path = path
    self.num_bins = num_bins
    self.gene_ids: list[str] = []
    self.rows: list[list[float]] = []
    self.labels: list[int] = []
    self._finished: set[str] = set()
    self._current: str | None = None
    self._current_first_line = 0
    self._current_bins = 0

  def add(self, line_no: int, gene_id: str, bin_no: int, counts: list[float],
          label: int | None = None) -> None:
    if gene_id != self._current:
      self._finish_gene()
      if gene_id in self._finished:
        raise DataFormatError(
            self.path, f"gene {gene_id} appears again after other genes; the {self.num_bins} "
            "bins of a gene must be on consecutive rows", line_no)
      self._current, self._current_first_line, self._current_bins = gene_id, line_no, 0
      self.gene_ids.append(gene_id)
      if label is not None:
        self.labels.append(label)
    elif label is not None and label != self.labels[-1]:
      raise DataFormatError(
          self.path, f"label of gene {gene_id} changes from {self.labels[-1]} to {label}; "
          "a gene must have the same label on every bin", line_no)
    expected_bin = self._current_bins + 1
    if bin_no != expected_bin or expected_bin > self.num_bins:
      if expected_bin > self.num_bins:
        what = f"but the gene already has its {self.num_bins} bins"
      else:
        what = f"expected bin {expected_bin}"
      raise DataFormatError(
          self.path, f"gene {gene_id}: found bin {bin_no}, {what} (bins must be numbered "
          f"1..{self.num_bins} in order)", line_no)
    self._current_bins += 1
    self.rows.append(counts)

  def _finish_gene(self) -> None:
    if self._current is None:
      return
    if self._current_bins != self.num_bins:
      raise DataFormatError(
          self.path, f"gene {self._current} has {self._current_bins} bins, expected "
          f"{self.num_bins}", self._current_first_line)
    self._finished.add(self._current)

  def table(self, mark_names: Sequence[str], with_labels: bool) -> HistoneTable:
    self._finish_gene()
    marks = np.asarray(self.rows, dtype=np.float32).reshape(
        len(self.gene_ids), self.num_bins, len(mark_names))
    labels = np.asarray(self.labels, dtype=np.int32) if with_labels else None
    return HistoneTable(tuple(self.gene_ids), marks, tuple(mark_names), labels)


@dataclasses.dataclass(frozen=True)
class CsvLayout:
  """What a DeepChrome-layout file holds: its marks (column order), bins per gene, a Label column."""

  mark_names: tuple[str, ...]
  num_bins: int
  labelled: bool


def _header_and_first_gene(path, layout, is_header, gene_of) -> tuple[list | None, int, int]:
  """(the header fields or None, the first gene's row count, its column count) of a bin file;
  `is_header(fields)` tells a header row, `gene_of(fields)` a row's gene."""
  header, first_gene, num_bins, columns = None, None, 0, 0
  for line_no, fields in _data_rows(path, None, layout):
    if line_no == 1 and is_header(fields):
      header = fields
      continue
    gene = gene_of(fields)
    first_gene = gene if first_gene is None else first_gene
    if gene != first_gene:
      break
    columns = columns or len(fields)
    num_bins += 1
  return header, max(num_bins, 1), columns


def sniff_deepchrome_csv(path: str | os.PathLike) -> CsvLayout:
  """Reads the header row (if any) and the first gene's rows of a DeepChrome-layout file.

  A header `GeneID,BinID,<marks...>[,Label]` names any set of marks (files written by
  `regjax.prepare histone`); without one, the file must hold the five DeepChrome marks
  (7 columns, or 8 with Label).

  Raises:
    DataFormatError: empty file, or a header-less file of another column count.
  """
  header, num_bins, columns = _header_and_first_gene(
      path, ("GeneID", "BinID", "<marks...>", "[Label]"),
      lambda fields: len(fields) > 2 and not _is_number(fields[1]), lambda fields: fields[0])
  if header is not None:
    labelled = header[-1].lower() == "label"
    marks = tuple(header[2:-1] if labelled else header[2:])
    if not marks:
      raise DataFormatError(path, "header names no mark columns; expected "
                            "GeneID,BinID,<marks...>[,Label]", 1)
    return CsvLayout(marks, num_bins, labelled)
  if columns not in (7, 8):
    raise DataFormatError(path, f"found {columns} comma-separated columns and no header row; a "
                          "file without a header must hold GeneID,BinID,"
                          f"{','.join(DEEPCHROME_MARKS)}[,Label]; name other marks in a header "
                          "row GeneID,BinID,<marks...>[,Label]", 1)
  return CsvLayout(DEEPCHROME_MARKS, num_bins, columns == 8)


def read_deepchrome_csv(path: str | os.PathLike, num_bins: int = 100, labelled: bool = True,
                        mark_names: Sequence[str] = DEEPCHROME_MARKS) -> HistoneTable:
  """Reads a DeepChrome-layout file: `GeneID,BinID,<marks>,Label`, `num_bins` rows per gene.

  Args:
    path: the CSV file (optionally gzipped).
    num_bins: bins per gene (100 in the published data: TSS +/- 5 kb in 100 bp bins).
    labelled: False for the same layout without the Label column (genes to score).
    mark_names: the mark columns, in order (a header row, when present, must list them).

  Returns:
    A HistoneTable with marks [G, num_bins, M] in `mark_names` order and 0/1 labels [G]
    (None when not `labelled`).

  Raises:
    DataFormatError: naming the file and line of the first problem found.
  """
  mark_names = tuple(mark_names)
  fast = _read_deepchrome_fast(path, num_bins, labelled, mark_names)
  if fast is not None:
    return fast
  marks = slice(2, 2 + len(mark_names))
  columns = ("GeneID", "BinID", *mark_names) + (("Label",) if labelled else ())
  genes = _GeneCollector(path, num_bins)
  for line_no, fields in _data_rows(path, len(columns), columns):
    if line_no == 1 and _check_header(path, fields, marks, mark_names):
      continue
    bin_no = _parse_bin(path, line_no, fields[1])
    counts = _parse_counts(path, line_no, fields[marks], mark_names)
    label = None
    if labelled:
      text = fields[marks.stop]
      if text not in ("0", "1"):
        raise DataFormatError(path, f"column Label: expected 0 (off) or 1 (on), found "
                              f"{text!r}", line_no)
      label = int(text)
    genes.add(line_no, fields[0], bin_no, counts, label)
  return genes.table(mark_names, with_labels=labelled)


def _read_deepchrome_fast(path, num_bins: int, labelled: bool,
                          mark_names: tuple[str, ...]) -> HistoneTable | None:
  """The table of a well-formed DeepChrome-layout file, parsed by numpy's C reader (about 10x the
  strict reader's speed on the 56-cell archive's files), or None when anything is off (a short
  or long row, a bad number, bins out of order, a label that changes...): then the strict
  line-by-line reader reads the file again and names the first problem with its line.

  Two passes of the C reader (the numeric columns; the id, bin and label texts) and array checks,
  with no Python work per line: a whitespace-only line or a short row makes the reader fail, a
  long one shows in the comma count.
  """
  width = 2 + len(mark_names) + int(labelled)
  try:
    with _open_text(path) as f:
      text = f.read()
  except (OSError, UnicodeDecodeError, gzip.BadGzipFile, EOFError):
    return None
  end = text.find("\n")
  fields = [x.strip() for x in (text if end < 0 else text[:end]).split(",")]
  if len(fields) != width:
    return None
  skip = int(_check_header(path, fields, slice(2, 2 + len(mark_names)), mark_names))
  text_columns = [0, 1, width - 1] if labelled else [0, 1]
  try:
    with warnings.catch_warnings():
      warnings.simplefilter("ignore")   # numpy's note that blank lines are not counted as rows
      values = np.loadtxt(io.StringIO(text), delimiter=",", comments=None, ndmin=2, skiprows=skip,
                          usecols=list(range(1, width)), dtype=np.float64)
      texts = np.strings.strip(np.loadtxt(io.StringIO(text), delimiter=",", comments=None,
                                          ndmin=2, skiprows=skip, usecols=text_columns, dtype=str))
  except ValueError:
    return None
  rows = len(values)
  if not rows or rows % num_bins or text.count(",") != (rows + skip) * (width - 1):
    return None
  genes = rows // num_bins
  ids = texts[:, 0].reshape(genes, num_bins)
  counts = values[:, 1:1 + len(mark_names)]
  ok = (np.array_equal(values[:, 0], np.tile(np.arange(1, num_bins + 1), genes))
        and bool(np.all(np.strings.isdigit(texts[:, 1])))
        and np.all(ids == ids[:, :1]) and len(set(ids[:, 0].tolist())) == genes
        and np.all(np.isfinite(counts)) and np.all(counts >= 0)
        and np.all(counts < np.finfo(np.float32).max))
  if labelled:
    per_gene = values[:, -1].reshape(genes, num_bins)
    ok = (ok and np.all(per_gene == per_gene[:, :1]) and np.all((per_gene == 0) | (per_gene == 1))
          and bool(np.all((texts[:, 2] == "0") | (texts[:, 2] == "1"))))
  if not ok:
    return None
  marks = counts.astype(np.float32).reshape(genes, num_bins, len(mark_names))
  return HistoneTable(tuple(ids[:, 0].tolist()), marks, mark_names,
                      per_gene[:, 0].astype(np.int32) if labelled else None)


def sniff_remc_csv(path: str | os.PathLike) -> CsvLayout:
  """The marks (header row `ENSGID_SYMBOL_BIN,<marks...>`, else the five REMC marks) and the
  bins of the first gene of a REMC/DeepDiff-layout file."""
  header, num_bins, _ = _header_and_first_gene(
      path, ("ENSGID_SYMBOL_BIN", "<marks...>"),
      lambda fields: len(fields) > 1 and not any(_is_number(x) for x in fields[1:]),
      lambda fields: fields[0].rpartition("_")[0])
  return CsvLayout(tuple(header[1:]) if header else REMC_MARKS, num_bins, False)


def read_remc_csv(path: str | os.PathLike, num_bins: int = 200,
                  mark_names: Sequence[str] = REMC_MARKS) -> HistoneTable:
  """Reads a REMC/DeepDiff-layout file: `ENSGID_SYMBOL_BIN,<marks>`, `num_bins` rows per gene.

  Args:
    path: the CSV file (optionally gzipped).
    num_bins: bins per gene (200 in the DeepDiff data: TSS +/- 10 kb in 100 bp bins).
    mark_names: the mark columns in order (REMC order by default; a header row, when present,
      must list them).

  Returns:
    A HistoneTable with gene ids = the text before the first `_` (the Ensembl id), marks
    [G, num_bins, M] in `mark_names` order, and no labels.

  Raises:
    DataFormatError: naming the file and line of the first problem found.
  """
  mark_names = tuple(mark_names)
  marks = slice(1, 1 + len(mark_names))
  columns = ("ENSGID_SYMBOL_BIN", *mark_names)
  genes = _GeneCollector(path, num_bins)
  for line_no, fields in _data_rows(path, len(columns), columns):
    if line_no == 1 and _check_header(path, fields, marks, mark_names):
      continue
    name, sep, bin_text = fields[0].rpartition("_")
    if not sep or not name:
      raise DataFormatError(path, f"expected a first column GENEID_SYMBOL_BIN, found "
                            f"{fields[0]!r}", line_no)
    bin_no = _parse_bin(path, line_no, bin_text)
    counts = _parse_counts(path, line_no, fields[marks], mark_names)
    genes.add(line_no, name.split("_")[0], bin_no, counts)
  return genes.table(mark_names, with_labels=False)


def read_expression_csv(path: str | os.PathLike) -> dict[str, float]:
  """Reads a `GENEID,count` expression file (REMC RNA-seq read counts) into {gene id: count}.

  Raises:
    DataFormatError: empty file, wrong column count, a negative or non-numeric count, or a gene
      listed twice.
  """
  expression: dict[str, float] = {}
  for line_no, fields in _data_rows(path, 2, ("GENEID", "count")):
    if line_no == 1 and not _is_number(fields[1]):
      continue  # header
    (value,) = _parse_counts(path, line_no, fields[1:], ("count",))
    if fields[0] in expression:
      raise DataFormatError(path, f"gene {fields[0]} is listed twice", line_no)
    expression[fields[0]] = value
  return expression
