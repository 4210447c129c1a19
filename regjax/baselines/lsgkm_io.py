"""lsgkm's file conventions: FASTA in (one file of positives, one of negatives), scores out.

lsgkm's `gkmtrain pos.fa neg.fa prefix` learns from two FASTA files, the class given by the file;
`gkmpredict test.fa model.txt out.txt` writes one `sequence-id<TAB>score` line per record, no
header. regjax reads the same two files (`data.name=lsgkm`, any alphabet) and, with
`--mode=predict --output=FILE.txt`, writes the same two-column scores. lsgkm's model.txt is read
and written by `regjax.baselines.lsgkm_model`; regjax's own gkm model is `gkm_model.npz`.
"""

from __future__ import annotations

import numpy as np

from regjax.datasets.textio import fasta_records
from regjax.errors import DataFormatError


def read_fasta(path: str) -> tuple[list[str], list[str]]:
  """(ids, sequences) of a FASTA file (optionally gzipped); the id is the header's first word."""
  records = fasta_records(path)
  return ([words[0] if words else f"seq{i + 1}" for i, (_, words, _) in enumerate(records)],
          [sequence for _, _, sequence in records])


def write_scores(path: str, ids, scores: np.ndarray) -> None:
  """gkmpredict's output: `id<TAB>score` per line, no header."""
  try:
    with open(path, "x") as f:
      f.writelines(f"{name}\t{score:.6g}\n" for name, score in zip(ids, scores))
  except FileExistsError:
    raise DataFormatError(path, "already exists; choose another output file") from None
