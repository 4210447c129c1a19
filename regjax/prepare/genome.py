"""A genome FASTA read by region: indexed with pyfaidx, chromosome names matched across conventions.

The `.fai` index is read beside the FASTA, or built there; when that folder is read-only it is
built in `index_dir` (a copy-free symlink of the FASTA with its index beside it). Sequences come
back upper-case; soft-masked (lower-case) bases are ordinary bases.
"""

from __future__ import annotations

import os
import pathlib

from regjax.errors import DataFormatError
from regjax.prepare.tracks import ChromNames


class Genome:
  """Random access to a FASTA file: `fetch(chrom, start, end)` over a BED interval."""

  def __init__(self, path, index_dir: str | os.PathLike | None = None):
    import pyfaidx  # the `prepare` extra
    self.path = os.fspath(path)
    if not os.path.isfile(self.path):
      raise DataFormatError(self.path, "genome FASTA not found")
    if self.path.endswith(".gz"):
      raise DataFormatError(self.path, "a gzipped FASTA cannot be read by region; decompress it "
                            "(or compress it with bgzip, which pyfaidx reads) first")
    source = self.path
    if not os.path.isfile(self.path + ".fai") and not os.access(os.path.dirname(
        os.path.abspath(self.path)) or ".", os.W_OK):
      folder = pathlib.Path(index_dir or ".")
      folder.mkdir(parents=True, exist_ok=True)
      link = folder / pathlib.Path(self.path).name
      if not link.exists():
        link.symlink_to(os.path.abspath(self.path))
      source = str(link)
    try:
      self._fasta = pyfaidx.Fasta(source, sequence_always_upper=True, rebuild=False)
    except (pyfaidx.FastaIndexingError, ValueError, OSError) as e:
      raise DataFormatError(self.path, f"not a readable FASTA file ({e})") from None
    self.names = ChromNames({name: len(record) for name, record in self._fasta.items()})

  def resolve(self, chrom: str) -> str | None:
    return self.names.resolve(chrom)

  def length(self, chrom: str) -> int:
    return self.names.lengths[self.resolve(chrom)]

  def fetch(self, chrom: str, start: int, end: int) -> str:
    """Bases [start, end) of `chrom` (0-based, half-open), upper-case."""
    return str(self._fasta[self.resolve(chrom)][start:end])
