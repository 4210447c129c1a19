"""Opening the text files users give (plain or gzipped) and reading their BED-like rows."""

from __future__ import annotations

import gzip
import os
from collections.abc import Iterator

from regjax.errors import DataFormatError


def open_text(path, what: str = "file"):
  """The file for reading text; a missing file is a DataFormatError ("<what> not found").

  utf-8-sig: a byte-order mark (spreadsheet exports) is dropped instead of read into the first
  field.
  """
  path = os.fspath(path)
  if not os.path.isfile(path):
    raise DataFormatError(path, f"{what} not found")
  if path.endswith((".gz", ".bgz")):
    return gzip.open(path, "rt", encoding="utf-8-sig")
  return open(path, "rt", encoding="utf-8-sig")


def tab_rows(path, what: str, min_columns: int, layout: str) -> Iterator[tuple[int, list[str]]]:
  """(line number, tab-separated fields) of every data row of a BED-like file.

  Skips blank, `#`, `track` and `browser` lines.

  Raises:
    DataFormatError: a row with fewer than `min_columns` fields (naming `layout`), or a file
      that is not readable text.
  """
  try:
    with open_text(path, what) as f:
      for line_no, line in enumerate(f, start=1):
        if not line.strip() or line.startswith(("#", "track", "browser")):
          continue
        fields = line.rstrip("\r\n").split("\t")
        if len(fields) < min_columns:
          raise DataFormatError(path, f"expected at least {min_columns} tab-separated columns "
                                f"({layout}), found {len(fields)}", line_no)
        yield line_no, fields
  except (UnicodeDecodeError, gzip.BadGzipFile, EOFError) as e:
    raise DataFormatError(path, f"not a readable text file ({e})") from None


def fasta_records(path) -> list[tuple[int, list[str], str]]:
  """(header line number, header words after '>', sequence) of every record of a FASTA file.

  Raises:
    DataFormatError: text before the first header, a record without sequence lines, no records,
      or a file that is not readable text.
  """
  records: list[tuple[int, list[str], list[str]]] = []
  try:
    with open_text(path) as f:
      for line_no, line in enumerate(f, start=1):
        line = line.strip()
        if not line:
          continue
        if line.startswith(">"):
          records.append((line_no, line[1:].split(), []))
        elif not records:
          raise DataFormatError(path, "expected a FASTA header line starting with '>'", line_no)
        else:
          records[-1][2].append(line)
  except (UnicodeDecodeError, gzip.BadGzipFile, EOFError) as e:
    raise DataFormatError(path, f"not a readable text file ({e})") from None
  if not records:
    raise DataFormatError(path, "file has no sequences; expected FASTA records '>ID' + sequence")
  for line_no, words, parts in records:
    if not parts:
      name = words[0] if words else "(no name)"
      raise DataFormatError(path, f"record {name!r} has no sequence", line_no)
  return [(line_no, words, "".join(parts)) for line_no, words, parts in records]
