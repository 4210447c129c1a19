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
