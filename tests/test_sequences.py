"""DNA reading, encoding and the dinucleotide shuffle."""

from __future__ import annotations

import collections
import gzip

import numpy as np
import pytest

from regjax.datasets import sequences
from regjax.errors import DataFormatError
from tests.conftest import TEST_SEED


def test_encoding_cases_n_and_centring():
  np.testing.assert_array_equal(sequences.encode("acgtN", 5), [0, 1, 2, 3, 4])
  np.testing.assert_array_equal(sequences.encode("AAACCCGGG", 3), [1, 1, 1])  # centre crop
  np.testing.assert_array_equal(sequences.encode("AC", 5), [4, 0, 1, 4, 4])   # centre pad with N
  np.testing.assert_array_equal(sequences.encode("AXG", 3), [0, 4, 2])        # other letters -> N
  hot = sequences.one_hot(sequences.encode("ANT", 3))
  np.testing.assert_array_equal(hot, [[1, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 1]])


def _dinucleotides(codes):
  return collections.Counter(zip(codes[:-1].tolist(), codes[1:].tolist()))


@pytest.mark.parametrize("seed", range(25))
def test_dinucleotide_shuffle_keeps_counts_exactly(seed):
  rng = np.random.default_rng(seed)
  length = int(rng.integers(3, 150))
  codes = rng.choice(5, size=length, p=[0.3, 0.2, 0.2, 0.25, 0.05]).astype(np.uint8)
  shuffled = sequences.dinucleotide_shuffle(codes, np.random.default_rng(seed + 100))
  assert _dinucleotides(shuffled) == _dinucleotides(codes)
  assert shuffled[0] == codes[0] and shuffled[-1] == codes[-1]


def test_dinucleotide_shuffle_is_seeded_and_random():
  codes = sequences.encode("ACGTTGCAACGTAGCTAGCTACGATCGATCGGGATCATTTACGGATTACA" * 2, 100)
  first = sequences.dinucleotide_shuffle(codes, np.random.default_rng(7))
  np.testing.assert_array_equal(first, sequences.dinucleotide_shuffle(codes, np.random.default_rng(7)))
  others = {sequences.decode(sequences.dinucleotide_shuffle(codes, np.random.default_rng(s)))
            for s in range(20)}
  assert len(others) == 20 and sequences.decode(codes) not in others


def test_batched_shuffles_keep_counts_and_draw_like_the_single_shuffle():
  rng = np.random.default_rng(TEST_SEED)
  codes = rng.choice(5, size=(6, 80), p=[0.3, 0.2, 0.2, 0.25, 0.05]).astype(np.uint8)
  shuffles = sequences.dinucleotide_shuffles(codes, 7, np.random.default_rng(1))
  assert shuffles.shape == (6, 7, 80) and shuffles.dtype == np.uint8
  for original, drawn in zip(codes, shuffles):
    for shuffled in drawn:
      assert _dinucleotides(shuffled) == _dinucleotides(original)
      assert shuffled[0] == original[0] and shuffled[-1] == original[-1]
  # the same distribution as the one-at-a-time shuffle: all 30 shuffles of a short sequence
  # come up about equally often (chi-square, 29 degrees of freedom: p ~ 3e-5 at 70)
  small = np.array([[0, 1, 0, 2, 1, 0, 1, 2, 2, 0]], np.uint8)
  draws = sequences.dinucleotide_shuffles(small, 6000, np.random.default_rng(TEST_SEED))[0]
  _, counts = np.unique(draws, axis=0, return_counts=True)
  assert len(counts) == 30
  assert ((counts - 200.0) ** 2 / 200.0).sum() < 70


def _tsv(tmp_path, rows, header="FoldID\tEventID\tseq\tBound", name="data.seq.gz"):
  path = tmp_path / name
  with gzip.open(path, "wt") as f:
    f.write("\n".join([header, *rows]) + "\n")
  return path


def test_deepbind_reader(tmp_path):
  data = sequences.read_sequences(_tsv(tmp_path, ["A\tp1\tACGTAC\t1", "A\tn1\tacgtnn\t0"]))
  assert data.ids == ("p1", "n1") and data.labels.tolist() == [1, 0]


@pytest.mark.parametrize("rows,header,message,line", [
    ([], "FoldID\tEventID\tseq\tBound", "file has no sequences", None),
    (["A\tp1\tACGT"], "FoldID\tEventID\tseq", "header lacks column(s) Bound", 1),
    (["A\tp1\tNNNN\t1"], "FoldID\tEventID\tseq\tBound", "sequence has no A, C, G or T", 2),
    (["A\tp1\tACGT\t2"], "FoldID\tEventID\tseq\tBound", "expected a label 0 or 1, found '2'", 2),
    (["A\tp1\tACGT"], "FoldID\tEventID\tseq\tBound", "expected 4 tab-separated columns", 2),
])
def test_deepbind_errors(tmp_path, rows, header, message, line):
  with pytest.raises(DataFormatError) as info:
    sequences.read_sequences(_tsv(tmp_path, rows, header))
  assert message in str(info.value) and "data.seq.gz" in str(info.value)
  assert info.value.line == line


def test_fasta_reader(tmp_path):
  path = tmp_path / "x.fa"
  path.write_text(">s1 1\nACGT\nACGT\n>s2 0\nTTTT\n")
  data = sequences.read_sequences(path)
  assert data.ids == ("s1", "s2") and data.sequences[0] == "ACGTACGT"
  assert data.labels.tolist() == [1, 0]
  path.write_text(">1\nACGT\n>0\nTTTT\n")  # DeepMotif's own format: the label alone
  assert sequences.read_sequences(path).labels.tolist() == [1, 0]
  path.write_text(">peak1\nACGT\n>peak2\nTTTT\n")  # peaks only
  assert sequences.read_sequences(path).labels.tolist() == [1, 1]


def test_fasta_errors(tmp_path):
  path = tmp_path / "x.fa"
  path.write_text(">s1 1\nACGT\n>s2\nTTTT\n")
  with pytest.raises(DataFormatError, match=r"x.fa, line 3: this record has no 0/1 label"):
    sequences.read_sequences(path)
  path.write_text("ACGT\n")
  with pytest.raises(DataFormatError, match="line 1: expected a FASTA header"):
    sequences.read_fasta(path)
  path.write_text("")
  with pytest.raises(DataFormatError, match="file has no sequences"):
    sequences.read_fasta(path)
