"""`--mode=variants`: VCF + genome (or paired FASTA) -> allele scores of a trained DNA model."""

from __future__ import annotations

import shutil
import subprocess
import sys

import numpy as np
import pytest

from regjax import train
from regjax.datasets import sequences as seq_io
from regjax.errors import DataFormatError
from regjax.prepare.genome import Genome
from regjax import variants
from tests.conftest import REPO, TEST_SEED, load_config

FASTA = REPO / "tests" / "data" / "genome" / "hg38_chr22_32000000_32300000.fa"
TEXT = "".join(FASTA.read_text().splitlines()[1:]).upper()
HEADER = "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"


def _snv(pos: int, name: str) -> tuple[str, str]:
  ref = TEXT[pos - 1]
  alt = next(b for b in "ACGT" if b != ref)
  return f"chr22\t{pos}\t{name}\t{ref}\t{alt}\t.\tPASS\t.\n", alt


@pytest.fixture
def genome(tmp_path):
  shutil.copy(FASTA, tmp_path / "genome.fa")
  return Genome(tmp_path / "genome.fa")


def test_snv_and_indel_windows_keep_the_variant_at_the_centre(genome, tmp_path):
  snv, alt = _snv(150_001, "rs1")
  deletion = f"22\t200001\tdel\t{TEXT[200_000:200_004]}\t{TEXT[200_000]}\t.\t.\t.\n"
  insertion = f"chr22\t250001\tins\t{TEXT[250_000]}\t{TEXT[250_000]}GGG,<DEL>\t.\t.\t.\n"
  vcf = tmp_path / "v.vcf"
  vcf.write_text(HEADER + snv + deletion + insertion)
  found = variants.read_vcf(vcf)
  assert [v.id for v in found] == ["rs1", "del", "ins:" + TEXT[250_000] + "GGG", "ins:<DEL>"]
  refs, alts, notes = variants.variant_windows(found, genome, 101, vcf)
  assert refs[0] == TEXT[150_000 - 50:150_000 + 51]
  assert alts[0] == refs[0][:50] + alt + refs[0][51:]
  # Deletion of 3 bases after the anchor: the window refills from the genome on the right.
  assert alts[1] == TEXT[200_000 - 50:200_001] + TEXT[200_004:200_004 + 50]
  assert alts[2] == (TEXT[250_000 - 50:250_001] + "GGG" + TEXT[250_001:])[:101]
  assert all(len(s) == 101 for s in refs + alts)
  assert notes[:3] == ["", "", ""] and "not a sequence allele" in notes[3]


@pytest.mark.parametrize("line,message", [
    ("chr22\t150001\trsX\tT\tA\t.\t.\t.\n", "variant rsX at chr22:150001: REF is T but the genome"),
    ("chr5\t100\trsY\tA\tG\t.\t.\t.\n", "variant rsY: chromosome chr5 is not in the genome"),
    ("chr22\t20\trsZ\t{ref}\tG\t.\t.\t.\n", "the 101-bp window around it leaves the chromosome"),
])
def test_ref_mismatch_and_unknown_places_name_the_variant(genome, tmp_path, line, message):
  if TEXT[150_000] == "T":
    line = line.replace("\tT\tA\t", "\tC\tA\t").replace("REF is T", "REF is C")
    message = message.replace("REF is T", "REF is C")
  vcf = tmp_path / "v.vcf"
  vcf.write_text(HEADER + line.format(ref=TEXT[19]))
  with pytest.raises(DataFormatError, match=message) as error:
    variants.variant_windows(variants.read_vcf(vcf), genome, 101, vcf)
  assert f"{vcf}, line 3" in str(error.value)


@pytest.mark.parametrize("line,message", [
    ("chr22\t100\trs1\tA\n", "expected at least 5 tab-separated columns \\(CHROM, POS"),
    ("chr22\tpos\trs1\tA\tG\n", "POS must be a positive integer, found 'pos'"),
    ("chr22\t100\trs1\tA-\tG\n", "REF must be bases A, C, G, T or N"),
])
def test_malformed_vcf_lines_are_one_clear_error(tmp_path, line, message):
  vcf = tmp_path / "v.vcf"
  vcf.write_text(HEADER + line)
  with pytest.raises(DataFormatError, match=message) as error:
    variants.read_vcf(vcf)
  assert f"{vcf}, line 3" in str(error.value)


@pytest.fixture(scope="module")
def dna_workdir(tmp_path_factory):
  """A DeepMotif CNN trained briefly on the planted-CTCF simulation (101 bp)."""
  workdir = tmp_path_factory.mktemp("variants") / "cnn"
  config = load_config("deepmotif_cnn", "runlocal")
  train.train_and_evaluate(config, str(workdir))
  return workdir


@pytest.mark.slow
def test_vcf_scores_from_the_command_line_equal_predictions_of_the_windows(dna_workdir, tmp_path):
  shutil.copy(FASTA, tmp_path / "genome.fa")
  rows = [_snv(100_001 + 997 * i, f"v{i}") for i in range(40)]
  (tmp_path / "v.vcf").write_text(HEADER + "".join(r for r, _ in rows))
  command = [sys.executable, "-m", "regjax.main", "--config=configs/deepmotif_cnn.py:runlocal",
             f"--workdir={dna_workdir}", "--mode=variants", f"--vcf={tmp_path / 'v.vcf'}",
             f"--genome={tmp_path / 'genome.fa'}", f"--output={tmp_path / 'scores.tsv'}",
             f"--config.seed={TEST_SEED}"]
  done = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
  assert done.returncode == 0, done.stderr
  lines = (tmp_path / "scores.tsv").read_text().splitlines()
  assert lines[0].split("\t") == list(variants.COLUMNS) and len(lines) == 41
  table = [line.split("\t") for line in lines[1:]]
  refs = "".join(f">{r[0]}\n{TEXT[int(r[2]) - 51:int(r[2]) + 50]}\n" for r in table)
  (tmp_path / "refs.fa").write_text(refs)
  from regjax import predict  # the same windows through --mode=predict's path (in this process)
  predict.predict_file(str(dna_workdir), str(tmp_path / "refs.fa"), str(tmp_path / "refs.tsv"))
  predicted = [float(line.split("\t")[1]) for line in
               (tmp_path / "refs.tsv").read_text().splitlines()[1:]]
  np.testing.assert_allclose([float(r[5]) for r in table], predicted, rtol=1e-4, atol=1e-6)
  for r in table:
    assert float(r[7]) == pytest.approx(float(r[6]) - float(r[5]), abs=2e-6)
  refused = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
  assert refused.returncode == 2 and "already exists" in refused.stderr


@pytest.mark.slow
def test_paired_fasta_and_both_strands(dna_workdir, tmp_path):
  rng = np.random.default_rng(TEST_SEED)
  codes = rng.integers(0, 4, (30, 101)).astype(np.uint8)
  alt_codes = codes.copy()
  alt_codes[:, 50] = (codes[:, 50] + 1) % 4
  for name, c in (("ref", codes), ("alt", alt_codes)):
    (tmp_path / f"{name}.fa").write_text("".join(f">s{i}\n{seq_io.decode(row)}\n"
                                                 for i, row in enumerate(c)))
  one = variants.score_variants(str(dna_workdir), str(tmp_path / "one.tsv"),
                                ref_fasta=str(tmp_path / "ref.fa"),
                                alt_fasta=str(tmp_path / "alt.fa"))
  both = variants.score_variants(str(dna_workdir), str(tmp_path / "both.tsv"),
                                 ref_fasta=str(tmp_path / "ref.fa"),
                                 alt_fasta=str(tmp_path / "alt.fa"), both_strands=True)
  rows = [line.split("\t") for line in open(one).read().splitlines()[1:]]
  assert all(r[2] == "51" for r in rows)  # the differing position, 1-based
  # Both strands: the mean of the forward and the reverse-complement log-odds.
  trainer_rows = [line.split("\t") for line in open(both).read().splitlines()[1:]]
  from regjax import evaluation
  trainer, params = evaluation.load_trained(str(dna_workdir))
  x = seq_io.one_hot(codes)
  expected = 0.5 * (trainer.log_odds(params, {"sequence": x}) +
                    trainer.log_odds(params, {"sequence": np.ascontiguousarray(x[:, ::-1, ::-1])}))
  logit = lambda p: np.log(p / (1 - p))
  np.testing.assert_allclose(logit(np.array([float(r[5]) for r in trainer_rows])), expected,
                             rtol=1e-3, atol=1e-3)
  # The same through an exported model directory, with no workdir.
  from regjax import export
  export.export_workdir(str(dna_workdir), str(tmp_path / "model"))
  exported = variants.score_variants(None, str(tmp_path / "exported.tsv"),
                                     ref_fasta=str(tmp_path / "ref.fa"),
                                     alt_fasta=str(tmp_path / "alt.fa"), both_strands=True,
                                     model=str(tmp_path / "model"))
  np.testing.assert_allclose(
      [float(line.split("\t")[8]) for line in open(exported).read().splitlines()[1:]],
      [float(r[8]) for r in trainer_rows], rtol=1e-4, atol=1e-5)
  (tmp_path / "other.fa").write_text(">x\nACGT\n")
  with pytest.raises(DataFormatError, match="record ids differ"):
    variants.score_variants(str(dna_workdir), str(tmp_path / "bad.tsv"),
                            ref_fasta=str(tmp_path / "ref.fa"), alt_fasta=str(tmp_path / "other.fa"))
