"""`regjax.prepare sequences`: a genome and peaks -> labelled sequences; reverse-complement training."""

from __future__ import annotations

import collections
import shutil

import jax
import numpy as np
import pytest

from regjax import steps, train
from regjax.datasets import sequences as seq_io
from regjax.errors import ConfigError, DataFormatError, UserError
from regjax.prepare import peaks as peak_io
from tests.conftest import REPO, TEST_SEED, load_config

FASTA = REPO / "tests" / "data" / "genome" / "hg38_chr22_32000000_32300000.fa"


def _genome_text() -> str:
  lines = FASTA.read_text().splitlines()
  return "".join(lines[1:]).upper()


@pytest.fixture
def genome(tmp_path):
  """A copy of the chr22 piece (its index is written beside it) and planted narrowPeaks."""
  shutil.copy(FASTA, tmp_path / "genome.fa")
  rng = np.random.default_rng(TEST_SEED)
  rows = []
  for i in range(150):
    start, width = int(rng.integers(0, 299_000)), int(rng.integers(150, 900))
    rows.append(f"chr22\t{start}\t{min(start + width, 300_000)}\tpeak{i}\t0\t.\t5\t-1\t-1\t"
                f"{int(rng.integers(0, min(width, 300_000 - start)))}\n")
  rows.append("22\t10\t300\tnear_start\t0\t.\t5\t-1\t-1\t0\n")  # window leaves the chromosome
  rows.append("chr1\t100\t300\tother\t0\t.\t5\t-1\t-1\t50\n")    # not in this genome
  (tmp_path / "peaks.narrowPeak").write_text("".join(rows))
  return tmp_path


def _records(path):
  data = seq_io.read_sequences(path)
  return list(zip(data.ids, data.sequences, data.labels.tolist()))


def test_windows_equal_the_fasta_slices_centred_on_the_summits(genome):
  summary = peak_io.prepare_sequences(peak_io.SequencesJob(
      str(genome / "genome.fa"), str(genome / "peaks.narrowPeak"), str(genome / "out.fa"),
      negatives="none"), progress=False)
  text = _genome_text()
  peaks = peak_io.read_peaks(genome / "peaks.narrowPeak")
  records = _records(genome / "out.fa")
  assert summary["skipped"]["window leaves the chromosome"] == 1
  assert summary["skipped"]["chromosome not in the genome"] == 1
  assert summary["positives"] == len(records) >= 140
  by_name = {name: sequence for name, sequence, _ in records}
  for peak in peaks[:150]:
    start = peak.centre - 50
    if 0 <= start and start + 101 <= len(text) and f"chr22:{start}-{start + 101}" in by_name:
      assert by_name[f"chr22:{start}-{start + 101}"] == text[start:start + 101]


def test_genomic_negatives_avoid_peaks_and_match_gc(genome):
  job = peak_io.SequencesJob(str(genome / "genome.fa"), str(genome / "peaks.narrowPeak"),
                             str(genome / "out.tsv"), negatives="genomic", seed=TEST_SEED)
  summary = peak_io.prepare_sequences(job, progress=False)
  records = _records(genome / "out.tsv")
  positives = {n: s for n, s, label in records if label == 1}
  negatives = [(n, s) for n, s, label in records if label == 0]
  assert len(negatives) == summary["negatives"] >= 0.9 * len(positives)
  peaks = peak_io.read_peaks(genome / "peaks.narrowPeak")
  text = _genome_text()
  for name, sequence in negatives:
    start, end = map(int, name.removesuffix("_bg").split(":")[1].split("-"))
    assert text[start:end] == sequence
    assert not any(p.chrom in ("chr22", "22") and p.start < end and start < p.end for p in peaks)
    assert not any(start < int(n.split(":")[1].split("-")[1]) and
                   int(n.split(":")[1].split("-")[0]) < end for n in positives)
  gc_pos = sorted(peak_io.gc_share(s) for s in positives.values())
  gc_neg = sorted(peak_io.gc_share(s) for _, s in negatives)
  assert summary["max_abs_gc_difference"] <= job.gc_tolerance
  assert abs(np.mean(gc_pos) - np.mean(gc_neg)) <= 0.01


def test_shuffled_negatives_keep_each_positives_dinucleotides(genome):
  peak_io.prepare_sequences(peak_io.SequencesJob(
      str(genome / "genome.fa"), str(genome / "peaks.narrowPeak"), str(genome / "out.fa.gz")),
      progress=False)
  records = {n: s for n, s, _ in _records(genome / "out.fa.gz")}
  pairs = lambda s: collections.Counter(s[i:i + 2] for i in range(len(s) - 1))
  shuffled = [n for n in records if n.endswith("_shuf")]
  assert len(shuffled) == len(records) // 2
  for name in shuffled:
    assert pairs(records[name]) == pairs(records[name.removesuffix("_shuf")])


@pytest.mark.slow
def test_a_deepmotif_config_trains_on_the_prepared_file_with_reverse_complements(genome, tmp_path):
  peak_io.prepare_sequences(peak_io.SequencesJob(
      str(genome / "genome.fa"), str(genome / "peaks.narrowPeak"), str(genome / "train.fa")),
      progress=False)
  config = load_config("deepmotif_cnn", "runlocal")
  config.data.train_path = config.data.test_path = str(genome / "train.fa")
  config.train.num_epochs, config.train.reverse_complement = 1, True
  results = train.train_and_evaluate(config, str(tmp_path / "run"))
  assert results["test"]["num_examples"] > 250 and np.isfinite(results["history"][0]["train_loss"])
  histone = load_config("deepchrome", "runlocal")
  histone.train.reverse_complement = True
  with pytest.raises(ConfigError, match="reverse_complement is for DNA sequence models"):
    train.train_and_evaluate(histone, str(tmp_path / "histone"))


def test_reverse_complement_flips_half_the_batch_exactly():
  codes = np.random.default_rng(0).integers(0, 5, (400, 30)).astype(np.uint8)
  x = seq_io.one_hot(codes)
  out = np.asarray(steps.reverse_complement_some(x, jax.random.key(1)))
  complement = np.array([3, 2, 1, 0, 4], np.uint8)  # A<->T, C<->G, N stays N
  flipped = [np.array_equal(out[i], seq_io.one_hot(complement[codes[i][::-1]][None])[0])
             for i in range(400)]
  kept = [np.array_equal(out[i], x[i]) for i in range(400)]
  assert all(f or k for f, k in zip(flipped, kept))
  assert 150 < sum(flipped) < 250


@pytest.mark.parametrize("line,message", [
    ("chr22\t10\n", "expected at least 3 tab-separated columns"),
    ("chr22\tten\t20\n", "must be integers"),
    ("chr22\t50\t20\n", "expected 0 <= start < end"),
    ("chr22\t10\t20\tp\t0\t.\t1\t1\t1\t15\n", "summit offset 15 lies outside the peak"),
])
def test_malformed_peak_lines_name_the_file_and_line(tmp_path, line, message):
  path = tmp_path / "peaks.bed"
  path.write_text("chr22\t1000\t1200\n" + line)
  with pytest.raises(DataFormatError, match=message) as error:
    peak_io.read_peaks(path)
  assert f"{path}, line 2" in str(error.value)


def test_existing_output_and_bad_options_are_refused(genome):
  (genome / "taken.fa").write_text(">x 1\nACGT\n")
  job = lambda **kw: peak_io.SequencesJob(str(genome / "genome.fa"),
                                          str(genome / "peaks.narrowPeak"), **kw)
  with pytest.raises(UserError, match="already exists"):
    peak_io.prepare_sequences(job(out=str(genome / "taken.fa")), progress=False)
  with pytest.raises(UserError, match="expected a .fa/.fasta/.fna"):
    peak_io.prepare_sequences(job(out=str(genome / "out.txt")), progress=False)
  with pytest.raises(DataFormatError, match="genome FASTA not found"):
    peak_io.prepare_sequences(peak_io.SequencesJob(str(genome / "none.fa"),
                                                   str(genome / "peaks.narrowPeak"),
                                                   str(genome / "o.fa")), progress=False)
