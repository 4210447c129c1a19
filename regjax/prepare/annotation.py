"""Gene annotations -> one window anchor per gene: GTF, GFF3, BED of TSSs or BED of windows.

Coordinates follow the DeepChrome gene file (hg19 `chrom, TSS-10kb, TSS+10kb, ENSGID_SYMBOL`,
built from Ensembl gene rows): a gene's window is the BED interval [anchor - half, anchor + half),
where the anchor is the TSS's 1-based coordinate (GTF `start` for + strand genes, `end` for -
strand genes). So a GTF and the DeepChrome gene file of the same genes give the same windows.

* GTF / GFF3: `gene` rows (TSS from the gene, the default) or the gene's first transcript row in
  file order (`tss_from="transcript"`); files without gene rows fall back to transcripts. The
  gene id is `gene_id` (GTF) or `gene_id` / `ID` without its `gene:` prefix (GFF3).
* BED of TSSs: 1-bp intervals, 6 columns (chrom, start, end, name, score, strand).
* BED of windows (longer intervals, 4 or more columns): the window's centre is the anchor and
  the requested window is laid around it, so the DeepChrome gene file (TSS +/- 10 kb) gives
  TSS +/- 5 kb by default.
"""

from __future__ import annotations

import dataclasses
import os
import re

from regjax.datasets import textio
from regjax.errors import DataFormatError

_ATTRIBUTE = re.compile(r'\s*([^\s=]+)[\s=]+"?([^";]*)"?\s*')


@dataclasses.dataclass(frozen=True)
class Gene:
  """A gene's anchor on the genome.

  Attributes:
    gene_id: the id written to the output files (GTF gene_id, BED name).
    name: a readable name (gene_name) or "".
    chrom: chromosome as the annotation spells it.
    anchor: the TSS as a 1-based coordinate; the window is [anchor - half, anchor + half).
    strand: "+", "-" or "." (unknown: BED without strand).
    line: the annotation line it came from (for error messages).
  """

  gene_id: str
  name: str
  chrom: str
  anchor: int
  strand: str
  line: int


def annotation_format(path) -> str:
  """"gtf", "gff" or "bed", from the file name (optionally .gz)."""
  name = os.fspath(path).lower().removesuffix(".gz")
  for suffix, kind in ((".gtf", "gtf"), (".gff3", "gff"), (".gff", "gff"), (".bed", "bed")):
    if name.endswith(suffix):
      return kind
  raise DataFormatError(path, "unknown annotation format; expected a .gtf, .gff/.gff3 or .bed "
                        "file (optionally gzipped)")


def read_genes(path, tss_from: str = "gene") -> list[Gene]:
  """Reads every gene of an annotation file, in file order.

  Args:
    path: GTF, GFF3 or BED (see the module docstring), optionally gzipped.
    tss_from: "gene" or "transcript" (GTF/GFF: which row gives the TSS).

  Raises:
    DataFormatError: naming the file and line: wrong column count, non-integer coordinates,
      a strand other than +/-/., a gene id listed twice, or no genes at all.
  """
  if tss_from not in ("gene", "transcript"):
    raise ValueError(f"tss_from must be 'gene' or 'transcript', not {tss_from!r}")
  kind = annotation_format(path)
  genes = _read_bed(path) if kind == "bed" else _read_gtf(path, kind, tss_from)
  if not genes:
    raise DataFormatError(path, "no genes found" + (
        "" if kind == "bed" else " (expected rows whose feature column is gene or transcript)"))
  seen: dict[str, int] = {}
  for gene in genes:
    if gene.gene_id in seen:
      raise DataFormatError(path, f"gene {gene.gene_id} is listed twice (first on line "
                            f"{seen[gene.gene_id]})", gene.line)
    seen[gene.gene_id] = gene.line
  return genes


def _coordinate(path, line_no: int, text: str, what: str) -> int:
  try:
    value = int(text)
  except ValueError:
    raise DataFormatError(path, f"{what}: expected an integer coordinate, found {text!r}",
                          line_no) from None
  if value < 0:
    raise DataFormatError(path, f"{what}: expected a non-negative coordinate, found {value}",
                          line_no)
  return value


def _strand(path, line_no: int, text: str) -> str:
  if text not in ("+", "-", "."):
    raise DataFormatError(path, f"strand: expected +, - or ., found {text!r}", line_no)
  return text


def _read_bed(path) -> list[Gene]:
  genes = []
  for line_no, fields in textio.tab_rows(path, "annotation file", 4,
                                         "chrom, start, end, name[, score, strand]"):
    start = _coordinate(path, line_no, fields[1], "start")
    end = _coordinate(path, line_no, fields[2], "end")
    if end <= start:
      raise DataFormatError(path, f"end {end} is not after start {start}", line_no)
    strand = _strand(path, line_no, fields[5]) if len(fields) >= 6 else "."
    # A 1-bp TSS interval [s, s+1) is the base s+1 in 1-based terms; a window's centre likewise.
    anchor = end if end - start == 1 else (start + end) // 2
    genes.append(Gene(fields[3], "", fields[0], anchor, strand, line_no))
  return genes


def _attributes(text: str, kind: str) -> dict[str, str]:
  parts = [p for p in text.strip().split(";") if p.strip()]
  if kind == "gff":
    return dict(p.strip().split("=", 1) for p in parts if "=" in p)
  out = {}
  for part in parts:
    match = _ATTRIBUTE.fullmatch(part)
    if match:
      out[match.group(1)] = match.group(2)
  return out


def _gene_id(attributes: dict[str, str], kind: str, feature: str) -> str | None:
  if "gene_id" in attributes:
    return attributes["gene_id"]
  if kind == "gff":
    key = "ID" if feature == "gene" else "Parent"
    value = attributes.get(key, "").split(",")[0]
    return value.removeprefix("gene:") or None
  return None


def _read_gtf(path, kind: str, tss_from: str) -> list[Gene]:
  by_feature: dict[str, dict[str, Gene]] = {"gene": {}, "transcript": {}}
  for line_no, fields in textio.tab_rows(path, "annotation file", 1, "GTF"):
    if len(fields) != 9:
      raise DataFormatError(path, f"expected 9 tab-separated {kind.upper()} columns, found "
                            f"{len(fields)}", line_no)
    feature = "transcript" if fields[2] in ("transcript", "mRNA") else fields[2]
    if feature not in by_feature:
      continue
    attributes = _attributes(fields[8], kind)
    gene_id = _gene_id(attributes, kind, feature)
    if not gene_id:
      raise DataFormatError(path, f"{fields[2]} row without a gene id (gene_id attribute"
                            + (" or ID/Parent" if kind == "gff" else "") + ")", line_no)
    rows = by_feature[feature]
    if feature == "transcript" and gene_id in rows:
      continue  # the gene's first transcript in file order gives its TSS
    start = _coordinate(path, line_no, fields[3], "start")
    end = _coordinate(path, line_no, fields[4], "end")
    strand = _strand(path, line_no, fields[6])
    if strand == ".":
      raise DataFormatError(path, f"{fields[2]} {gene_id} has no strand; its TSS is unknown",
                            line_no)
    if feature == "gene" and gene_id in rows:
      raise DataFormatError(path, f"gene {gene_id} is listed twice (first on line "
                            f"{rows[gene_id].line})", line_no)
    name = attributes.get("gene_name") or attributes.get("Name", "")
    rows[gene_id] = Gene(gene_id, name, fields[0], start if strand == "+" else end, strand,
                         line_no)
  genes, transcripts = by_feature["gene"], by_feature["transcript"]
  if tss_from == "gene" and genes:
    return list(genes.values())
  # From transcripts (asked for, or the file has no gene rows): the gene rows' order and names
  # where they exist; a gene without transcripts keeps its gene row.
  out = []
  for gene_id in list(genes) + [g for g in transcripts if g not in genes]:
    row = transcripts.get(gene_id) or genes[gene_id]
    name = genes[gene_id].name if gene_id in genes else row.name
    out.append(dataclasses.replace(row, name=name))
  return out
