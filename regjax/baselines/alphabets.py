"""Alphabets for the gapped k-mer kernel: DNA, protein, or the letters of any text.

A sequence becomes integer codes 0..size-1, one per letter of the alphabet; every other character
(N in DNA, X or B in protein, anything outside a text alphabet) gets the code `size`, which never
matches. A batch of variable-length sequences is padded to the longest, and their true lengths are
kept so that the kernel counts no window past a sequence's end.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np


@dataclasses.dataclass(frozen=True)
class Alphabet:
  """name, letters (code i = letters[i]) and whether lower-case letters count as upper-case."""

  name: str
  letters: str
  case_sensitive: bool = False

  @property
  def size(self) -> int:
    return len(self.letters)

  def _table(self) -> np.ndarray:
    table = np.full(0x110000 if max(map(ord, self.letters)) > 255 else 256, self.size, np.int64)
    for code, letter in enumerate(self.letters):
      table[ord(letter)] = code
      if not self.case_sensitive:
        table[ord(letter.lower())] = code
    return table

  def encode(self, sequences: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(codes [N, max length] uint8 (uint16 past 255 letters), lengths int64 [N]); padding and
    letters outside the alphabet are `size`."""
    table = self._table()
    lengths = np.array([len(s) for s in sequences], np.int64)
    dtype = np.uint8 if self.size < 255 else np.uint16
    codes = np.full((len(sequences), int(lengths.max(initial=0))), self.size, dtype)
    for i, text in enumerate(sequences):
      points = np.frombuffer(text.encode("utf-32-le"), np.uint32).astype(np.int64)
      codes[i, :len(points)] = table[np.minimum(points, len(table) - 1)]
    return codes, lengths

  def decode(self, codes: np.ndarray, length: int | None = None) -> str:
    """The letters of one code row (codes outside the alphabet as '?')."""
    row = codes[:length] if length is not None else codes
    return "".join(self.letters[c] if c < self.size else "?" for c in row)


DNA = Alphabet("dna", "ACGT")
PROTEIN = Alphabet("protein", "ACDEFGHIKLMNPQRSTVWY")
_NAMED = {"dna": DNA, "protein": PROTEIN}


def text_alphabet(sequences: Sequence[str]) -> Alphabet:
  """Every distinct character of `sequences`, sorted, case-sensitive."""
  return Alphabet("text", "".join(sorted(set("".join(sequences)))), case_sensitive=True)


def get(name: str, sequences: Sequence[str] = ()) -> Alphabet:
  """'dna', 'protein', 'text' (the characters of `sequences`) or 'letters:<LETTERS>'."""
  if name in _NAMED:
    return _NAMED[name]
  if name == "text":
    return text_alphabet(sequences)
  if name.startswith("letters:") and len(name) > len("letters:"):
    letters = name[len("letters:"):]
    if len(set(letters)) != len(letters):
      raise ValueError(f"alphabet {name!r} repeats a letter")
    return Alphabet("letters", letters, case_sensitive=True)
  raise ValueError(f"unknown alphabet {name!r}; expected dna, protein, text or letters:<LETTERS>")
