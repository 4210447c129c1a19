"""Variant effects with a trained DNA model: `--mode=variants`.

Two inputs:
* `--vcf=FILE --genome=FASTA`: every ALT allele of every VCF row (SNVs and indels of A/C/G/T/N).
  REF must equal the genome at POS (a mismatch is an error naming the variant: usually another
  assembly or chromosome naming). The reference window is the model's input length L centred on
  the variant: [POS-1 - L//2, POS-1 - L//2 + L), the variant at index L//2. The alternative window
  replaces REF by ALT and is trimmed (or extended from the genome) to keep the same centre and
  length. Symbolic alleles (<DEL>, *, breakends) cannot be turned into sequence: those rows get
  empty scores and a note, and are counted on stderr.
* `--ref_fasta=A --alt_fasta=B`: pairs of sequences with the same record ids (e.g. two alleles of
  a binding site); the row names the first differing position.

Scores: P(bound) of each allele and the log-odds log P / (1 - P) from the model's logits (exact
where P rounds to 1). With `both_strands`, each allele's log-odds is the mean over the sequence
and its reverse complement, and P follows from it. One TSV row per variant: id, chrom, pos, ref,
alt, ref_score, alt_score, delta_probability (alt - ref), delta_log_odds, note. All sequences go
through the model in batched, jitted calls.
"""

from __future__ import annotations

import dataclasses
import os
import sys

import numpy as np

from regjax import evaluation, predict
from regjax.datasets import sequences as seq_io, textio
from regjax.errors import DataFormatError, UserError
from regjax.writing import atomic_text_file

_BASES = set("ACGTN")
COLUMNS = ("id", "chrom", "pos", "ref", "alt", "ref_score", "alt_score", "delta_probability",
           "delta_log_odds", "note")


@dataclasses.dataclass(frozen=True)
class Variant:
  """One ALT allele: 1-based POS as in the VCF; ref/alt upper-case."""

  id: str
  chrom: str
  pos: int
  ref: str
  alt: str
  line: int


def read_vcf(path) -> list[Variant]:
  """Every ALT allele of a VCF (plain or gzipped), in file order.

  Raises:
    DataFormatError: naming the file and line: fewer than 5 columns, POS not a positive integer,
      REF not made of A/C/G/T/N, or no variant at all.
  """
  variants = []
  for line_no, fields in textio.tab_rows(path, "VCF file", 5, "CHROM, POS, ID, REF, ALT"):
    chrom, pos_text, vid, ref, alts = fields[:5]
    if not pos_text.isdigit() or int(pos_text) < 1:
      raise DataFormatError(path, f"POS must be a positive integer, found {pos_text!r}", line_no)
    ref = ref.upper()
    if not ref or set(ref) - _BASES:
      raise DataFormatError(path, f"REF must be bases A, C, G, T or N, found {fields[3]!r}",
                            line_no)
    pos, alleles = int(pos_text), alts.split(",")
    for alt in alleles:
      if vid and vid != ".":
        name = f"{vid}:{alt}" if len(alleles) > 1 else vid
      else:
        name = f"{chrom}:{pos}:{ref}>{alt}"
      variants.append(Variant(name, chrom, pos, ref, alt.upper(), line_no))
  if not variants:
    raise DataFormatError(path, "no variant rows (only header lines)")
  return variants


def is_sequence_allele(allele: str) -> bool:
  return bool(allele) and not set(allele) - _BASES


def variant_windows(variants: list[Variant], genome, length: int, vcf_path):
  """(ref sequences, alt sequences, notes) of `length` bp centred on each variant.

  Raises:
    DataFormatError: REF differs from the genome, the chromosome is missing, or the window
      leaves the chromosome.
  """
  refs, alts, notes = [], [], []
  left = length // 2
  for v in variants:
    chrom = genome.resolve(v.chrom)
    if chrom is None:
      raise DataFormatError(vcf_path, f"variant {v.id}: chromosome {v.chrom} is not in the "
                            f"genome {genome.path}", v.line)
    start = v.pos - 1 - left
    if start < 0 or start + length + max(0, len(v.ref) - len(v.alt)) > genome.length(chrom):
      raise DataFormatError(vcf_path, f"variant {v.id} at {v.chrom}:{v.pos}: the {length}-bp "
                            "window around it leaves the chromosome", v.line)
    found = genome.fetch(chrom, v.pos - 1, v.pos - 1 + len(v.ref))
    if found != v.ref:
      raise DataFormatError(vcf_path, f"variant {v.id} at {v.chrom}:{v.pos}: REF is {v.ref} but "
                            f"the genome {genome.path} has {found} (another assembly?)", v.line)
    reference = genome.fetch(chrom, start, start + length)
    refs.append(reference)
    if not is_sequence_allele(v.alt):
      alts.append(reference)
      notes.append(f"ALT {v.alt} is not a sequence allele; not scored")
      continue
    # Enough genome to the right to refill a deletion, then trim to the same window.
    right = genome.fetch(chrom, v.pos - 1 + len(v.ref),
                         min(genome.length(chrom), start + length + len(v.ref)))
    alts.append((reference[:left] + v.alt + right)[:length].ljust(length, "N"))
    notes.append("")
  return refs, alts, notes


def paired_fasta(ref_path, alt_path):
  """(variants, ref sequences, alt sequences) of two FASTA files with the same record ids."""
  ref, alt = seq_io.read_fasta(ref_path), seq_io.read_fasta(alt_path)
  if ref.ids != alt.ids:
    missing = sorted(set(ref.ids) ^ set(alt.ids))[:3]
    raise DataFormatError(alt_path, f"record ids differ from {ref_path} (or their order), e.g. "
                          f"{', '.join(missing) or 'the order'}; give both alleles of each "
                          "pair under one id, in the same order")
  variants = []
  for i, (name, a, b) in enumerate(zip(ref.ids, ref.sequences, alt.sequences)):
    a, b = a.upper(), b.upper()
    diff = [k for k in range(min(len(a), len(b))) if a[k] != b[k]]
    pos = diff[0] + 1 if diff else 0
    variants.append(Variant(name, ".", pos, a[pos - 1] if diff else "",
                            b[pos - 1] if diff else "", i + 1))
  return variants, list(ref.sequences), list(alt.sequences)


def _reverse_complement(one_hot: np.ndarray) -> np.ndarray:
  return np.ascontiguousarray(one_hot[:, ::-1, ::-1])


def score_alleles(log_odds, length: int, sequences: list[str], both_strands: bool) -> np.ndarray:
  """log-odds [N] of each sequence (centre-cropped / N-padded to the model's `length`);
  `log_odds`: one-hot [N, L, 4] -> [N]."""
  x = seq_io.one_hot(np.stack([seq_io.encode(s, length) for s in sequences]))
  odds = log_odds(x)
  if both_strands:
    odds = 0.5 * (odds + log_odds(_reverse_complement(x)))
  return odds.astype(np.float64)


def _dna_model(workdir: str | None, model: str | None):
  """(log-odds function, input length, description) of a workdir's model or a model directory."""
  if model:
    from regjax import model_dir
    loaded = model_dir.load_model(model)
    if loaded.input_keys != ("sequence",):
      raise UserError(f"--mode=variants needs a DNA sequence model; {model} takes "
                      f"{', '.join(loaded.input_keys)}")
    return loaded.log_odds, loaded.spec["inputs"]["length"], model
  trainer, params = evaluation.load_trained(workdir)
  if trainer.dataset.input_keys != ("sequence",):
    raise UserError(f"--mode=variants needs a DNA sequence model; {workdir} holds a "
                    f"{trainer.dataset.name} model")
  return (lambda x: trainer.log_odds(params, {"sequence": x}),
          trainer.dataset.splits["train"]["sequence"].shape[1], workdir)


def _sigmoid(x: np.ndarray) -> np.ndarray:
  return 0.5 * (1 + np.tanh(0.5 * x))


def score_variants(workdir: str | None, output: str | None, vcf: str | None = None,
                   genome: str | None = None, ref_fasta: str | None = None,
                   alt_fasta: str | None = None, both_strands: bool = False,
                   model: str | None = None) -> str:
  """Runs --mode=variants (module docstring); returns the TSV path."""
  if vcf and (ref_fasta or alt_fasta) or not (vcf or (ref_fasta and alt_fasta)):
    raise UserError("--mode=variants needs --vcf=FILE with --genome=FASTA, or "
                    "--ref_fasta=FILE with --alt_fasta=FILE")
  if vcf and not genome:
    raise UserError("--vcf needs --genome=FASTA (the assembly the VCF's positions refer to)")
  if model and not output:
    raise UserError("--mode=variants --model=... needs --output=FILE (there is no workdir)")
  log_odds, length, _ = _dna_model(workdir, model)
  path = predict.output_path(workdir, vcf or ref_fasta, output, "variants")
  if vcf:
    from regjax.prepare.genome import Genome
    variants = read_vcf(vcf)
    refs, alts, notes = variant_windows(variants, Genome(genome, os.path.dirname(path)),
                                        length, vcf)
  else:
    variants, refs, alts = paired_fasta(ref_fasta, alt_fasta)
    notes = ["" if v.pos else "the two sequences are identical" for v in variants]
  ref_odds = score_alleles(log_odds, length, refs, both_strands)
  alt_odds = score_alleles(log_odds, length, alts, both_strands)
  rows = []
  for v, r, a, note in zip(variants, ref_odds, alt_odds, notes):
    scored = not note.startswith("ALT")
    values = ([f"{_sigmoid(r):.6g}", f"{_sigmoid(a):.6g}", f"{_sigmoid(a) - _sigmoid(r):.6g}",
               f"{a - r:.6g}"] if scored else ["", "", "", ""])
    rows.append([v.id, v.chrom, str(v.pos), v.ref, v.alt, *values, note])
  with atomic_text_file(path) as f:
    f.write("\t".join(COLUMNS) + "\n")
    f.writelines("\t".join(row) + "\n" for row in rows)
  unscored = sum(1 for n in notes if n.startswith("ALT"))
  if unscored:
    print(f"note: {unscored} of {len(rows)} alleles are symbolic (not sequence) and were not "
          "scored (note column)", file=sys.stderr)
  print(f"Scored {len(rows)} variants" + (" on both strands" if both_strands else "")
        + f" -> {path}")
  return path
