"""Small gene tables the preparation reads: expression values, 0/1 labels, split assignments.

All are two columns `gene<sep>value` (tab or comma, optionally gzipped, an optional header row).
Gene ids are matched exactly, else without an Ensembl version suffix (`ENSG00000107249.12`) or a
`_SYMBOL` suffix (`ENSG00000107249_GLIS3`), so a GTF's ids meet a REMC expression file's.
"""

from __future__ import annotations

import gzip
import math
import os

from regjax.errors import DataFormatError

SPLIT_NAMES = ("train", "valid", "test")


def gene_keys(gene_id: str) -> list[str]:
  """The ids a gene may go by in another file, most specific first."""
  keys = [gene_id]
  for key in (gene_id.split("_")[0], gene_id.split(".")[0], gene_id.split("_")[0].split(".")[0]):
    if key and key not in keys:
      keys.append(key)
  return keys


def lookup(table: dict[str, object], gene_id: str):
  """table's value for gene_id under any of its gene_keys, or None."""
  for key in gene_keys(gene_id):
    if key in table:
      return table[key]
  return None


def _rows(path, what: str):
  path = os.fspath(path)
  if not os.path.isfile(path):
    raise DataFormatError(path, "file not found")
  opener = gzip.open if path.endswith(".gz") else open
  try:
    with opener(path, "rt", encoding="utf-8-sig") as f:
      for line_no, line in enumerate(f, start=1):
        if not line.strip() or line.startswith("#"):
          continue
        sep = "\t" if "\t" in line else ","
        fields = [x.strip() for x in line.rstrip("\n").split(sep)]
        if len(fields) != 2:
          raise DataFormatError(path, f"expected 2 columns (gene, {what}) separated by a tab or "
                                f"a comma, found {len(fields)}", line_no)
        yield line_no, fields
  except (UnicodeDecodeError, gzip.BadGzipFile, EOFError) as e:
    raise DataFormatError(path, f"not a readable text file ({e})") from None


def _read(path, what: str, parse) -> dict[str, object]:
  table: dict[str, object] = {}
  for line_no, (gene, text) in _rows(path, what):
    try:
      value = parse(text)
    except ValueError as e:
      if line_no == 1 and not table:
        continue  # a header row
      raise DataFormatError(path, f"column {what}: {e}", line_no) from None
    if gene in table:
      raise DataFormatError(path, f"gene {gene} is listed twice", line_no)
    table[gene] = value
  if not table:
    raise DataFormatError(path, f"no rows of gene and {what}")
  return table


def _expression(text: str) -> float:
  try:
    value = float(text)
  except ValueError:
    raise ValueError(f"expected a number, found {text!r}") from None
  if not math.isfinite(value):
    raise ValueError(f"expected a finite number, found {text!r}")
  return value


def _label(text: str) -> int:
  if text not in ("0", "1"):
    raise ValueError(f"expected 0 (off) or 1 (on), found {text!r}")
  return int(text)


def _split(text: str) -> str:
  if text not in SPLIT_NAMES:
    raise ValueError(f"expected one of {', '.join(SPLIT_NAMES)}, found {text!r}")
  return text


def read_expression(path) -> dict[str, float]:
  """{gene: expression value} (any unit; the label rule compares with the file's median)."""
  return _read(path, "expression", _expression)


def read_labels(path) -> dict[str, int]:
  """{gene: 0 | 1}."""
  return _read(path, "label", _label)


def read_splits(path) -> dict[str, str]:
  """{gene: "train" | "valid" | "test"}."""
  return _read(path, "split", _split)
