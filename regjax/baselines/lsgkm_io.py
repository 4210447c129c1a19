"""lsgkm's file conventions: FASTA in (one file of positives, one of negatives), scores out.

lsgkm's `gkmtrain pos.fa neg.fa prefix` learns from two FASTA files, the class given by the file;
`gkmpredict test.fa model.txt out.txt` writes one `sequence-id<TAB>score` line per record, no
header. regjax reads the same two files (`data.name=lsgkm`, any alphabet) and, with
`--mode=predict --output=FILE.txt`, writes the same two-column scores. lsgkm's model.txt format
itself is not read or written: a regjax gkm model is `gkm_model.npz` in the workdir.
"""

from __future__ import annotations

import gzip
import os

import numpy as np

from regjax.datasets.textio import open_text
from regjax.errors import DataFormatError


def read_fasta(path: str) -> tuple[list[str], list[str]]:
  """(ids, sequences) of a FASTA file (optionally gzipped); the id is the header's first word."""
  if not os.path.isfile(path):
    raise DataFormatError(path, "file not found")
  ids, sequences, parts, header_line = [], [], None, 0
  try:
    with open_text(path) as f:
      for line_no, line in enumerate(f, start=1):
        line = line.strip()
        if not line:
          continue
        if line.startswith(">"):
          if parts is not None and not parts:
            raise DataFormatError(path, f"record {ids[-1]!r} has no sequence", header_line)
          words = line[1:].split()
          ids.append(words[0] if words else f"seq{len(ids) + 1}")
          parts, header_line = [], line_no
          sequences.append(parts)
        elif parts is None:
          raise DataFormatError(path, "expected a FASTA header line starting with '>'", line_no)
        else:
          parts.append(line)
  except (UnicodeDecodeError, gzip.BadGzipFile, EOFError) as e:
    raise DataFormatError(path, f"not a readable text file ({e})") from None
  if not ids:
    raise DataFormatError(path, "file has no sequences; expected FASTA records '>ID' + sequence")
  if not parts:
    raise DataFormatError(path, f"record {ids[-1]!r} has no sequence", header_line)
  return ids, ["".join(p) for p in sequences]


def write_scores(path: str, ids, scores: np.ndarray) -> None:
  """gkmpredict's output: `id<TAB>score` per line, no header."""
  try:
    with open(path, "x") as f:
      f.writelines(f"{name}\t{score:.6g}\n" for name, score in zip(ids, scores))
  except FileExistsError:
    raise DataFormatError(path, "already exists; choose another output file") from None
