"""DNA sequences: strict readers (DeepBind TSV, FASTA), encoding, and the dinucleotide shuffle.

Encoding: A, C, G, T (upper or lower case) -> codes 0..3; N and any other letter -> 4, which one-hot
encodes as an all-zero row (DeepMotif's OneHot layer did the same). Every sequence is brought to a
fixed length around its centre: longer ones are cropped symmetrically (peaks are centred on the
summit), shorter ones padded with N on both sides (the extra base, if odd, on the right).

Readers:
* DeepBind TSV (optionally gzipped), header `FoldID EventID seq Bound` (tab-separated; column order
  free, `FoldID` optional), Bound 0 or 1.
* FASTA: `>ID [label]`; the label is the last token of the header when it is 0 or 1 (DeepMotif's
  files have the label alone, `>1`). A file with no labels at all has `labelled` False (training
  reads it as peaks, all 1; prediction writes no label column).
A file with no records, a missing column, a label other than 0/1, a sequence without a single
A/C/G/T, or one that is not DNA (more than `MAX_FOREIGN_SHARE` of its letters outside A, C, G, T,
N and the IUPAC ambiguity codes: protein, text) raises a DataFormatError naming the file and line.
"""

from __future__ import annotations

import dataclasses
import gzip
import os

import numpy as np

from regjax.datasets.textio import fasta_records, open_text
from regjax.errors import DataFormatError

ALPHABET = "ACGT"
N_CODE = 4
# Letters a DNA sequence may hold besides A, C, G, T: N, the IUPAC ambiguity codes and the gap.
_DNA_LETTERS = set("ACGTNRYKMSWBDHV-acgtnrykmswbdhv")
MAX_FOREIGN_SHARE = 0.1
_CODES = np.full(256, N_CODE, dtype=np.uint8)
for _i, _base in enumerate(ALPHABET):
  _CODES[ord(_base)] = _i
  _CODES[ord(_base.lower())] = _i


@dataclasses.dataclass(frozen=True)
class SequenceSet:
  """Sequences of one file.

  Attributes:
    ids: N identifiers.
    sequences: N strings as read (any length).
    labels: int32 [N], 1 = bound (all 1 for a file without labels).
    labelled: whether the file gave the labels.
  """

  ids: tuple[str, ...]
  sequences: tuple[str, ...]
  labels: np.ndarray
  labelled: bool = True


def encode(sequence: str, length: int) -> np.ndarray:
  """Codes uint8 [length] of one sequence, centre-cropped or N-padded to `length`."""
  codes = _CODES[np.frombuffer(sequence.encode("ascii", "replace"), dtype=np.uint8)]
  if len(codes) >= length:
    start = (len(codes) - length) // 2
    return codes[start:start + length]
  left = (length - len(codes)) // 2
  out = np.full(length, N_CODE, dtype=np.uint8)
  out[left:left + len(codes)] = codes
  return out


def one_hot(codes: np.ndarray) -> np.ndarray:
  """float32 [..., L, 4] from codes [..., L]; code 4 (N) -> all-zero row."""
  return np.eye(5, 4, dtype=np.float32)[codes]


def decode(codes: np.ndarray) -> str:
  return "".join("ACGTN"[c] for c in codes)


def _check_sequence(path, line_no: int, sequence: str) -> None:
  foreign = sum(1 for letter in sequence if letter not in _DNA_LETTERS)
  if sequence and foreign > MAX_FOREIGN_SHARE * len(sequence):
    raise DataFormatError(path, f"not a DNA sequence: {foreign / len(sequence):.0%} of its letters "
                          f"are not A, C, G, T, N or IUPAC codes (protein or text?): "
                          f"{sequence[:40]!r}", line_no)
  if not sequence or (_CODES[np.frombuffer(sequence.encode("ascii", "replace"),
                                           dtype=np.uint8)] == N_CODE).all():
    raise DataFormatError(path, f"sequence has no A, C, G or T: {sequence[:40]!r}", line_no)


def _label(path, line_no: int, text: str) -> int:
  if text not in ("0", "1"):
    raise DataFormatError(path, f"expected a label 0 or 1, found {text!r}", line_no)
  return int(text)


def read_deepbind_tsv(path) -> SequenceSet:
  """Reads a DeepBind-format file (`FoldID EventID seq Bound`)."""
  ids, seqs, labels = [], [], []
  try:
    with open_text(path) as f:
      header = None
      for line_no, line in enumerate(f, start=1):
        if not line.strip():
          continue
        fields = line.rstrip("\n\r").split("\t")
        if header is None:
          header = fields
          missing = [c for c in ("EventID", "seq", "Bound") if c not in header]
          if missing:
            raise DataFormatError(path, f"header lacks column(s) {', '.join(missing)}; expected "
                                  "tab-separated FoldID, EventID, seq, Bound", line_no)
          columns = {name: header.index(name) for name in ("EventID", "seq", "Bound")}
          continue
        if len(fields) != len(header):
          raise DataFormatError(path, f"expected {len(header)} tab-separated columns "
                                f"({', '.join(header)}), found {len(fields)}", line_no)
        sequence = fields[columns["seq"]].strip()
        _check_sequence(path, line_no, sequence)
        ids.append(fields[columns["EventID"]].strip())
        seqs.append(sequence)
        labels.append(_label(path, line_no, fields[columns["Bound"]].strip()))
  except (UnicodeDecodeError, gzip.BadGzipFile, EOFError) as e:
    raise DataFormatError(path, f"not a readable text file ({e})") from None
  if not seqs:
    raise DataFormatError(path, "file has no sequences; expected a header FoldID, EventID, seq, "
                          "Bound and one row per sequence")
  return SequenceSet(tuple(ids), tuple(seqs), np.asarray(labels, np.int32))


def read_fasta(path) -> SequenceSet:
  """Reads FASTA whose headers end in an optional 0/1 label (no labels at all: all peaks)."""
  records = fasta_records(path)
  labelled = [bool(tokens) and tokens[-1] in ("0", "1") for _, tokens, _ in records]
  if any(labelled) and not all(labelled):
    line_no, tokens, _ = records[labelled.index(False)]
    if len(tokens) > 1 and tokens[-1].lstrip("+-").replace(".", "", 1).isdigit():
      raise DataFormatError(path, f"expected a label 0 or 1 at the end of the header, found "
                            f"{tokens[-1]!r}", line_no)
    raise DataFormatError(path, "this record has no 0/1 label at the end of its header, but "
                          "others do", line_no)
  ids, seqs, labels = [], [], []
  for index, (line_no, tokens, sequence) in enumerate(records):
    _check_sequence(path, line_no, sequence)
    name_tokens = tokens[:-1] if all(labelled) else tokens
    ids.append(name_tokens[0] if name_tokens else f"seq{index + 1}")
    seqs.append(sequence)
    labels.append(int(tokens[-1]) if all(labelled) else 1)
  return SequenceSet(tuple(ids), tuple(seqs), np.asarray(labels, np.int32), all(labelled))


def read_sequences(path) -> SequenceSet:
  """DeepBind TSV or FASTA, by extension (.fa, .fasta, .fna, optionally .gz) or first character."""
  name = os.fspath(path).lower().removesuffix(".gz")
  if name.endswith((".fa", ".fasta", ".fna")):
    return read_fasta(path)
  with open_text(path) as f:
    first = f.read(1)
  return read_fasta(path) if first == ">" else read_deepbind_tsv(path)


def dinucleotide_shuffle(codes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
  """A uniformly random sequence with exactly the dinucleotide counts of `codes` (Altschul-Erickson).

  The sequence is an Eulerian path through the multigraph of its letters; a random path with the
  same first letter is drawn by (1) choosing, for every letter but the last one, a random last
  exit edge such that these edges form a tree leading to the last letter (rejection sampling), and
  (2) using each letter's other exits in random order before its last one.

  Args:
    codes: int [L] sequence codes (N is just a fifth letter here).
    rng: the source of randomness (seeded by the caller).

  Returns:
    int [L] with the same first and last letter and the same count of every dinucleotide.
  """
  codes = np.asarray(codes)
  if len(codes) < 3:
    return codes.copy()
  letters = np.unique(codes)
  exits = {int(v): list(codes[1:][codes[:-1] == v]) for v in letters}
  last = int(codes[-1])
  while True:
    last_exit = {v: int(rng.choice(edges)) for v, edges in exits.items() if v != last and edges}
    if _is_tree(last_exit, last):
      break
  order = {}
  for v, edges in exits.items():
    edges = list(edges)
    if v in last_exit:
      edges.remove(last_exit[v])
      order[v] = [edges[i] for i in rng.permutation(len(edges))] + [last_exit[v]]
    else:
      order[v] = [edges[i] for i in rng.permutation(len(edges))]
  out = np.empty_like(codes)
  out[0] = current = int(codes[0])
  used = {v: 0 for v in order}
  for i in range(1, len(codes)):
    following = int(order[current][used[current]])
    used[current] += 1
    out[i] = current = following
  return out


def dinucleotide_shuffles(codes: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
  """`count` shuffles [N, count, L] of every sequence of codes [N, L], each drawn like
  `dinucleotide_shuffle` (uniform over the sequences with the same dinucleotide counts and first
  letter) but all at once: the last-exit trees, the exit orders and the walks of all N x count
  shuffles are numpy array operations (about 50x faster than one `dinucleotide_shuffle` each;
  another random stream, so not the same shuffles for the same seed)."""
  dtype = np.asarray(codes).dtype
  codes = np.asarray(codes, np.int64)
  n, length = codes.shape
  if length < 3 or n == 0:
    return np.repeat(codes[:, None], count, axis=1)
  src, dst = codes[:, :-1], codes[:, 1:]
  # exits[n, v, j]: the j-th successor of letter v in sequence n (in order; padding -1)
  order = np.argsort(src, axis=1, kind="stable")
  src_sorted, dst_sorted = np.take_along_axis(src, order, 1), np.take_along_axis(dst, order, 1)
  degree = np.stack([np.bincount(row, minlength=5) for row in src], 0)           # [N, 5]
  start = np.concatenate([np.zeros((n, 1), np.int64), np.cumsum(degree, 1)[:, :-1]], 1)
  rank = np.arange(length - 1)[None] - np.take_along_axis(start, src_sorted, 1)
  width = int(degree.max())
  exits = np.full((n, 5, width), -1, np.int64)
  exits[np.arange(n)[:, None], src_sorted, rank] = dst_sorted
  # one row per shuffle
  exits, degree = np.repeat(exits, count, 0), np.repeat(degree, count, 0)       # [M, 5, W], [M, 5]
  root, first = np.repeat(codes[:, -1], count), np.repeat(codes[:, 0], count)
  rows = len(root)
  letters = np.arange(5)[None]
  choosing = (degree > 0) & (letters != root[:, None])                           # [M, 5]
  last = np.zeros((rows, 5), np.int64)
  pending = np.arange(rows)
  while len(pending):
    pick = (rng.random((len(pending), 5)) * np.maximum(degree[pending], 1)).astype(np.int64)
    last[pending] = pick
    target = np.take_along_axis(exits[pending], pick[..., None], 2)[..., 0]       # [P, 5]
    node = np.where(choosing[pending], letters, root[pending, None])
    for _ in range(5):  # follow last exits; a tree reaches the root from every letter
      step = np.take_along_axis(target, np.clip(node, 0, 4), 1)
      node = np.where(node == root[pending, None], node, step)
    pending = pending[~np.all(node == root[pending, None], axis=1)]
  keys = rng.random((rows, 5, width))
  keys[np.arange(width)[None, None] >= degree[..., None]] = 3.0                   # padding last
  keys[np.arange(rows)[:, None], letters, last] = np.where(choosing, 2.0, keys[
      np.arange(rows)[:, None], letters, last])                                  # the last exit
  walk = np.take_along_axis(exits, np.argsort(keys, axis=2), 2)                   # [M, 5, W]
  out = np.empty((rows, length), np.int64)
  out[:, 0] = current = first
  used = np.zeros((rows, 5), np.int64)
  every = np.arange(rows)
  for i in range(1, length):
    position = used[every, current]
    used[every, current] = position + 1
    out[:, i] = current = walk[every, current, position]
  return out.reshape(n, count, length).astype(dtype)


def _is_tree(last_exit: dict[int, int], root: int) -> bool:
  """True when following last exits from every letter reaches `root` without a cycle."""
  for start in last_exit:
    seen, v = set(), start
    while v != root:
      if v in seen or v not in last_exit:
        return False
      seen.add(v)
      v = last_exit[v]
  return True
