"""Two cells' histone tracks over the same genes -> the DeepDiff pair layout.

`<cell>.{train,valid,test}.csv` in the REMC layout (`ENSGID_SYMBOL_BIN,<marks>`, a header row
naming the marks; DeepDiff's window is TSS +/- 10 kb in 200 bins) and `<cell>.expr.csv` for both
cells, with the gene tables and summary of `regjax.prepare.histone`.
"""

from __future__ import annotations

import collections
import json
import pathlib

import numpy as np

from regjax.errors import UserError
from regjax.prepare import annotation, histone, tables
from regjax.writing import atomic_text_file, refuse_existing


def _write_remc_split(path: pathlib.Path, mark_names, gene_ids, marks: np.ndarray) -> None:
  """The DeepDiff (REMC) layout: `GENE_BIN,<marks>` rows under a header naming the marks."""
  with atomic_text_file(path) as f:
    f.write(",".join(["ENSGID_SYMBOL_BIN", *mark_names]) + "\n")
    for g, gene_id in enumerate(gene_ids):
      for b in range(marks.shape[1]):
        f.write(f"{gene_id}_{b + 1}," + ",".join(histone.format_count(v) for v in marks[g, b]) + "\n")


def prepare_deepdiff(job_a: histone.HistoneJob, job_b: histone.HistoneJob, progress: bool = True) -> dict:
  """Two cells' tracks over the same genes -> the DeepDiff layout in `job_a.out`.

  Writes `<cell>.{train,valid,test}.csv` (header `ENSGID_SYMBOL_BIN,<marks>`) and
  `<cell>.expr.csv` (gene, expression) for both cells, and `<A>_vs_<B>.{genes,skipped}.tsv` and
  `.summary.json`; train with --config.data.data_root=OUT --config.data.cell_a=A
  --config.data.cell_b=B. The jobs share genes, window, splits and filters; each has its own
  tracks (the same marks, in the same order), expression values and cell. A gene needs both
  cells' tracks and expression values.
  """
  for job in (job_a, job_b):
    job.check()
    if not job.expression:
      raise UserError(f"cell {job.cell}: DeepDiff needs expression values (--expression_a/_b)")
  if [n for n, _ in job_a.tracks] != [n for n, _ in job_b.tracks]:
    raise UserError("the two cells' --tracks must name the same marks in the same order, got "
                    f"{','.join(n for n, _ in job_a.tracks)} and "
                    f"{','.join(n for n, _ in job_b.tracks)}")
  if job_a.cell == job_b.cell:
    raise UserError(f"--cell_a and --cell_b are both {job_a.cell}")
  out = pathlib.Path(job_a.out)
  stem = f"{job_a.cell}_vs_{job_b.cell}"
  outputs = [out / f"{c}.{s}.csv" for c in (job_a.cell, job_b.cell) for s in tables.SPLIT_NAMES]
  outputs += [out / f"{c}.expr.csv" for c in (job_a.cell, job_b.cell)]
  outputs += [out / f"{stem}.{x}" for x in ("genes.tsv", "skipped.tsv", "summary.json")]
  for path in outputs:
    refuse_existing(path)
  genes = annotation.read_genes(job_a.genes, job_a.tss_from)
  short_ids = collections.Counter(g.gene_id.split("_")[0] for g in genes)
  twice = [g for g, n in short_ids.items() if n > 1]
  if twice:  # the DeepDiff layout names a gene by the text before its first "_"
    raise UserError(f"{job_a.genes}: gene ids {', '.join(twice[:3])} become the same DeepDiff "
                    "id (the text before the first '_')")
  values = [tables.read_expression(j.expression) for j in (job_a, job_b)]
  split_table = None if job_a.split in histone.SPLIT_CHOICES else tables.read_splits(job_a.split)
  opened = [histone.open_tracks(j, out / f"{stem}.bam_index") for j in (job_a, job_b)]
  kept, skipped = histone.select_genes(
      job_a, genes, opened, [(v, f"no expression value ({j.cell})")
                             for v, j in zip(values, (job_a, job_b))], split_table)
  splits = histone.assign_splits(job_a, kept, split_table)
  if "all" in splits:
    raise UserError("DeepDiff needs train/valid/test splits; --split=none is for one cell")
  mark_names = [name for name, _ in job_a.tracks]
  expressions = {}
  for job, tracks, table in zip((job_a, job_b), opened, values):
    marks = histone.bin_genes(job, kept, tracks, progress, job.cell)
    for split in histone.split_names(splits):
      rows = [i for i, s in enumerate(splits) if s == split]
      _write_remc_split(out / f"{job.cell}.{split}.csv", mark_names,
                        [kept[i].gene_id for i in rows], marks[rows])
    expressions[job.cell] = [tables.lookup(table, g.gene_id) for g in kept]
    with atomic_text_file(out / f"{job.cell}.expr.csv") as f:
      f.write("gene,expression\n")
      f.writelines(f"{g.gene_id.split('_')[0]},{v}\n" for g, v in zip(kept, expressions[job.cell]))
  histone.write_gene_files(out / f"{stem}.genes.tsv", out / f"{stem}.skipped.tsv", kept, splits,
                           {f"expression_{c}": v for c, v in expressions.items()}, skipped)
  summary = {"cell_a": job_a.cell, "cell_b": job_b.cell, "marks": mark_names,
             "tracks_a": dict(job_a.tracks), "tracks_b": dict(job_b.tracks),
             **histone.common_summary(job_a, genes, kept, skipped),
             "splits": {s: {"genes": splits.count(s)} for s in histone.split_names(splits)}}
  with atomic_text_file(out / f"{stem}.summary.json") as f:
    json.dump(summary, f, indent=2)
  return summary
