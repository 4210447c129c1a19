"""`regjax.prepare histone`: real bigWig/BAM tracks and annotations -> the DeepChrome layout."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys

import numpy as np
import pyBigWig
import pysam
import pytest
from sklearn.metrics import roc_auc_score

from regjax import train
from regjax.datasets import histone_csv, histone_sources
from regjax.errors import DataFormatError, UserError
from regjax.prepare import annotation, histone, tables, tracks
from tests.conftest import REPO, load_config

K562 = REPO / "tests" / "data" / "tracks" / "K562_chr9_4-6Mb"
GTF = K562 / "genes_GRCh37.75_chr9_4-6Mb.gtf"
BUNDLED = histone_sources.bundled_data_dir()
GENE_FILE = BUNDLED / "annotation" / "deepchrome_genes_hg19_tss10kb.bed.gz"
E123_EXPRESSION = BUNDLED / "remc_sample" / "Cell1.expr.csv.gz"


def _k562_job(out, **overrides) -> histone.HistoneJob:
  options = dict(tracks=(("H3K4me3", str(K562 / "K562_H3K4me3.bigwig")),
                         ("H3K27me3", str(K562 / "K562_H3K27me3.bigwig")),
                         ("H3K27ac", str(K562 / "K562_H3K27ac.bigwig"))),
                 genes=str(GTF), out=str(out), cell="K562", expression=str(E123_EXPRESSION))
  options.update(overrides)
  return histone.HistoneJob(**options)


@pytest.fixture(scope="module")
def k562(tmp_path_factory):
  """The K562 window prepared once: (summary, cell folder)."""
  out = tmp_path_factory.mktemp("k562")
  summary = histone.prepare_histone(_k562_job(out), progress=False)
  return summary, out / "K562"


def _deepchrome_genes_inside(chrom: str, lo: int, hi: int, half: int = 5000) -> set[str]:
  genes = set()
  with gzip.open(GENE_FILE, "rt") as f:
    for line in f:
      c, start, end, name = line.split()
      tss = (int(start) + int(end)) // 2
      if c == chrom and tss - half >= lo and tss + half <= hi:
        genes.add(name.split("_")[0])
  return genes


def test_real_bigwigs_find_the_deepchrome_genes_of_the_window(k562):
  summary, cell = k562
  genes = [row.split("\t") for row in (cell / "genes.tsv").read_text().splitlines()[1:]]
  kept = {g[0] for g in genes}
  # Every DeepChrome gene whose TSS +/- 5 kb lies in the tracks' chr9:4-6 Mb, and only those.
  assert kept == _deepchrome_genes_inside("chr9", 4_000_000, 6_000_000)
  assert len(kept) == 18 and summary["genes_kept"] == 18
  assert sum(summary["skipped"].values()) + 18 == summary["genes_read"]
  assert summary["skipped"]["no expression value"] > 0  # non-coding genes of the GTF
  # The same TSSs as the DeepChrome gene file (TSS = its window's centre).
  with gzip.open(GENE_FILE, "rt") as f:
    reference = {n.split("_")[0]: (int(s) + int(e)) // 2 for c, s, e, n in
                 (line.split() for line in f)}
  assert all(int(g[3]) == reference[g[0]] for g in genes)
  header = (cell / "classification" / "train.csv").read_text().splitlines()[0]
  assert header == "GeneID,BinID,H3K4me3,H3K27me3,H3K27ac,Label"


def test_one_genes_bins_equal_a_hand_computation_from_the_bigwig(k562):
  _, cell = k562
  table = {}
  for split in ("train", "valid", "test"):
    layout = histone_csv.sniff_deepchrome_csv(cell / "classification" / f"{split}.csv")
    t = histone_csv.read_deepchrome_csv(cell / "classification" / f"{split}.csv",
                                        layout.num_bins, mark_names=layout.mark_names)
    table.update(zip(t.gene_ids, t.marks))
  gene, tss = "ENSG00000120158", 4792869  # RCL1, + strand, its GTF gene start
  bw = pyBigWig.open(str(K562 / "K562_H3K4me3.bigwig"))
  expected = np.zeros(100)
  for lo, hi, value in bw.intervals("chr9", tss - 5000, tss + 5000):
    for base in range(max(lo, tss - 5000), min(hi, tss + 5000)):
      expected[(base - (tss - 5000)) // 100] += value
  np.testing.assert_allclose(table[gene][:, 0], expected, rtol=1e-6)  # 9 significant digits


def test_h3k4me3_alone_ranks_the_window_genes_as_measured_independently(k562):
  _, cell = k562
  rows = [r.split("\t") for r in (cell / "genes.tsv").read_text().splitlines()[1:]]
  labels = {r[0]: int(r[7]) for r in rows}
  sums = {}
  for split in ("train", "valid", "test"):
    t = histone_csv.read_deepchrome_csv(cell / "classification" / f"{split}.csv", 100,
                                        mark_names=("H3K4me3", "H3K27me3", "H3K27ac"))
    sums.update(zip(t.gene_ids, t.marks[:, :, 0].sum(1)))
  genes = sorted(labels)
  auroc = roc_auc_score([labels[g] for g in genes], [np.log1p(sums[g]) for g in genes])
  assert auroc >= 0.9, auroc  # 0.96 measured independently on these 18 genes


def _brute_force_counts(path, chrom, start, end, num_bins, min_mapq=0):
  counts = np.zeros(num_bins)
  width = (end - start) // num_bins
  with pysam.AlignmentFile(str(path), "rb") as bam:
    for read in bam.fetch(until_eof=True):
      if (read.is_unmapped or read.is_qcfail or read.is_secondary or read.is_supplementary
          or read.is_duplicate or read.mapping_quality < min_mapq
          or read.reference_name != chrom):
        continue
      for b in range(num_bins):
        lo, hi = start + b * width, start + (b + 1) * width
        if read.reference_start < hi and read.reference_end > lo:
          counts[b] += 1
  return counts


@pytest.mark.parametrize("min_mapq", [0, 255])
def test_bam_counts_equal_a_brute_force_count_on_the_real_bam(tmp_path, min_mapq):
  bam = tracks.BamTrack(K562 / "K562_RNAseq_chr9_4-6Mb.bam", min_mapq=min_mapq,
                        index_dir=tmp_path)  # the index is built here: the data folder is ours
  assert (tmp_path / "K562_RNAseq_chr9_4-6Mb.bam.bai").is_file()
  for tss in (4985033, 5131979 + 53689):  # JAK2 (+), INSL6 (-) TSSs
    window = (tss - 5000, tss + 5000)
    got = bam.bin_counts("9", *window, 100)  # the other chromosome spelling
    np.testing.assert_array_equal(got, _brute_force_counts(bam.path, "chr9", *window, 100,
                                                           min_mapq))
  assert bam.bin_counts("chr9", 4985033 - 5000, 4985033 + 5000, 100).sum() > 0


def _greedy_layers(windows: dict[str, tuple[str, int, int]]) -> list[list[str]]:
  """Genes in groups whose windows do not overlap (one set of tracks per group)."""
  layers: list[list[str]] = []
  ends: list[dict[str, int]] = []
  for gene, (chrom, start, end) in sorted(windows.items(), key=lambda kv: kv[1]):
    for layer, last in zip(layers, ends):
      if last.get(chrom, -1) <= start:
        layer.append(gene)
        last[chrom] = end
        break
    else:
      layers.append([gene])
      ends.append({chrom: end})
  return layers


def _write_bigwigs(folder, layer, windows, counts_by_gene):
  """One bigWig per mark: each bin's count as the coverage of reads of 100 bp in that bin."""
  chroms = sorted({windows[g][0] for g in layer})
  sizes = [(c, max(windows[g][2] for g in layer if windows[g][0] == c) + 10_000) for c in chroms]
  paths = []
  for m, mark in enumerate(histone_csv.DEEPCHROME_MARKS):
    path = folder / f"{mark}.bw"
    bw = pyBigWig.open(str(path), "w")
    bw.addHeader(sizes)
    for chrom in chroms:
      genes = sorted((g for g in layer if windows[g][0] == chrom), key=lambda g: windows[g][1])
      starts = [windows[g][1] + 100 * b for g in genes for b in range(100)]
      values = [float(counts_by_gene[g][b, m]) for g in genes for b in range(100)]
      bw.addEntries([chrom] * len(starts), starts, ends=[s + 100 for s in starts],
                    values=values)
    bw.close()
    paths.append((mark, str(path)))
  return tuple(paths)


@pytest.mark.slow
@pytest.mark.parametrize("cell,prefix", [("E123", "Cell1"), ("E003", "Cell2")])
def test_bundled_counts_round_trip_through_bigwig_and_train_the_same(tmp_path, cell, prefix):
  bundled = {s: histone_sources.load_bundled_split(cell, s) for s in histone_sources.SPLITS}
  order = [g for s in histone_sources.SPLITS for g in bundled[s].gene_ids]
  counts = {g: bundled[s].marks[i] for s in histone_sources.SPLITS
            for i, g in enumerate(bundled[s].gene_ids)}
  with gzip.open(GENE_FILE, "rt") as f:
    rows = {n.split("_")[0]: (c, int(s), int(e), n) for c, s, e, n in (l.split() for l in f)}
  windows = {g: (rows[g][0], (rows[g][1] + rows[g][2]) // 2 - 5000,
                 (rows[g][1] + rows[g][2]) // 2 + 5000) for g in order}
  split_file = tmp_path / "splits.tsv"
  split_file.write_text("".join(f"{g}\t{s}\n" for s in histone_sources.SPLITS
                                for g in bundled[s].gene_ids))
  layers = _greedy_layers(windows)
  assert 1 < len(layers) <= 3  # a few windows overlap: they go into other tracks
  prepared = {}
  for k, layer in enumerate(layers):
    folder = tmp_path / f"layer{k}"
    folder.mkdir()
    members = set(layer)
    bed = folder / "genes.bed"  # the bundled order, in the gene file's own rows and names
    bed.write_text("".join("\t".join(map(str, rows[g])) + "\n" for g in order if g in members))
    job = histone.HistoneJob(tracks=_write_bigwigs(folder, layer, windows, counts),
                             genes=str(bed), out=str(tmp_path / "out"), cell=f"{cell}_{k}",
                             expression=str(BUNDLED / "remc_sample" / f"{prefix}.expr.csv.gz"),
                             split=str(split_file), reads_from_coverage=100)
    summary = histone.prepare_histone(job, progress=False)
    assert summary["genes_kept"] == len(layer) and not summary["skipped"], summary["skipped"]
    for split in summary["splits"]:
      path = tmp_path / "out" / f"{cell}_{k}" / "classification" / f"{split}.csv"
      text = path.read_text().splitlines()[1:]
      for g in range(len(text) // 100):
        prepared[text[100 * g].split(",")[0].split("_")[0]] = (split, text[100 * g:100 * g + 100])
  assert set(prepared) == set(order)
  # Every bin of every gene equals the bundled count; labels and splits too.
  archive = tmp_path / "archive" / cell / "classification"
  archive.mkdir(parents=True)
  for split in histone_sources.SPLITS:
    lines = [line for g in bundled[split].gene_ids for line in prepared[g][1]]
    assert all(prepared[g][0] == split for g in bundled[split].gene_ids)
    (archive / f"{split}.csv").write_text(
        ",".join(("GeneID", "BinID", *histone_csv.DEEPCHROME_MARKS, "Label")) + "\n"
        + "\n".join(lines) + "\n")
    table = histone_csv.read_deepchrome_csv(archive / f"{split}.csv")
    np.testing.assert_array_equal(table.marks, bundled[split].marks)
    np.testing.assert_array_equal(table.labels, bundled[split].labels)
  if cell != "E123":
    return  # one training comparison is enough: the data are equal bin for bin
  # DeepChrome trained on the prepared archive gives the bundled path's test AUROC.
  results = {}
  for source in ("bundled", "prepared"):
    config = load_config("deepchrome", "runlocal")
    config.data.cell, config.train.num_epochs = cell, 1
    if source == "prepared":
      config.data.archive_dir = str(tmp_path / "archive")
    results[source] = train.train_and_evaluate(config, str(tmp_path / f"run_{source}"))
  assert results["prepared"]["test"]["auroc"] == pytest.approx(
      results["bundled"]["test"]["auroc"], abs=1e-6)


@pytest.mark.slow
@pytest.mark.parametrize("model", ["deepchrome", "lstm", "attentivechrome"])
def test_every_histone_model_trains_on_three_prepared_marks(k562, tmp_path, model):
  _, cell = k562
  config = load_config(model, "runlocal")
  config.data.archive_dir, config.data.cell = str(cell.parent), "K562"
  config.train.num_epochs = 1
  config.train.batch_size = 2
  results = train.train_and_evaluate(config, str(tmp_path / model))
  assert results["data"]["mark_names"] == ["H3K4me3", "H3K27me3", "H3K27ac"]
  assert np.isfinite(results["history"][0]["train_loss"])
  assert results["test"]["num_examples"] == 6
  # Exported, the model predicts the prepared genes as its workdir does, without the data.
  from regjax import export, predict
  test_file = str(cell / "classification" / "test.csv")
  expected = predict.predict_file(str(tmp_path / model), test_file, str(tmp_path / "w.tsv"))
  export.export_workdir(str(tmp_path / model), str(tmp_path / "model"))
  got = predict.predict_file(None, test_file, str(tmp_path / "m.tsv"), model=str(tmp_path / "model"))
  scores = lambda path: [float(r.split("\t")[1]) for r in open(path).read().splitlines()[1:]]
  np.testing.assert_allclose(scores(got), scores(expected), rtol=1e-5, atol=1e-6)
  if model == "deepchrome":  # the unlabelled files of the same tracks are scored by --mode=predict
    histone.prepare_histone(_k562_job(tmp_path / "new", expression=None, split="none"),
                            progress=False)
    scores = predict.predict_file(str(tmp_path / model),
                                  str(tmp_path / "new" / "K562" / "unlabelled" / "all.csv"))
    rows = open(scores).read().splitlines()
    assert len(rows) == 55 and rows[0].split("\t")[:2] == ["id", "score"]
    wrong = tmp_path / "wrong.csv"  # another mark order than the model's
    wrong.write_text("GeneID,BinID,H3K27me3,H3K4me3,H3K27ac\n" + "".join(
        f"g,{b},0,0,0\n" for b in range(1, 101)))
    with pytest.raises(DataFormatError, match="the model was trained on H3K4me3,H3K27me3,H3K27ac"):
      predict.predict_file(str(tmp_path / model), str(wrong))


def test_split_modes_and_strand_order(tmp_path):
  by_chrom = histone.prepare_histone(_k562_job(tmp_path / "a", split="chromosomes",
                                               valid_chroms=("chr1",), test_chroms=("9",)),
                                     progress=False)
  assert set(by_chrom["splits"]) == {"test"} and by_chrom["splits"]["test"]["genes"] == 18
  whole = histone.prepare_histone(_k562_job(tmp_path / "b", split="none", strand_aware=True),
                                  progress=False)
  assert whole["splits"] == {"all": {"genes": 18, "share_on": pytest.approx(7 / 18, abs=1e-4)}}
  plain = histone.prepare_histone(_k562_job(tmp_path / "c", split="none"), progress=False)
  read = lambda out: histone_csv.read_deepchrome_csv(
      out / "K562" / "classification" / "all.csv", 100,
      mark_names=("H3K4me3", "H3K27me3", "H3K27ac"))
  flipped, genomic = read(tmp_path / "b"), read(tmp_path / "c")
  strands = dict(r.split("\t")[::4][:2] for r in
                 (tmp_path / "c" / "K562" / "genes.tsv").read_text().splitlines()[1:])
  for i, gene in enumerate(genomic.gene_ids):
    expected = genomic.marks[i, ::-1] if strands[gene] == "-" else genomic.marks[i]
    np.testing.assert_array_equal(flipped.marks[i], expected)
  assert plain["splits"]["all"]["genes"] == 18
  thirds = histone.prepare_histone(_k562_job(tmp_path / "d"), progress=False)
  assert [thirds["splits"][s]["genes"] for s in ("train", "valid", "test")] == [6, 6, 6]


def test_without_labels_the_files_are_for_scoring(tmp_path):
  summary = histone.prepare_histone(_k562_job(tmp_path, expression=None, split="none"),
                                    progress=False)
  path = tmp_path / "K562" / "unlabelled" / "all.csv"
  layout = histone_csv.sniff_deepchrome_csv(path)
  assert not layout.labelled and layout.num_bins == 100 and summary["genes_kept"] == 54
  assert summary["labels"] == "none"


def test_annotation_formats_agree(tmp_path):
  gtf = {g.gene_id: g for g in annotation.read_genes(GTF)}
  tss_bed = tmp_path / "tss.bed"
  tss_bed.write_text("".join(f"{g.chrom}\t{g.anchor - 1}\t{g.anchor}\t{g.gene_id}\t0\t{g.strand}\n"
                             for g in gtf.values()))
  assert {g.gene_id: g.anchor for g in annotation.read_genes(tss_bed)} == \
      {g: x.anchor for g, x in gtf.items()}
  gff = tmp_path / "genes.gff3"
  gff.write_text("##gff-version 3\n" + "".join(
      f"{g.chrom}\tx\tgene\t{g.anchor if g.strand == '+' else g.anchor - 99}\t"
      f"{g.anchor + 99 if g.strand == '+' else g.anchor}\t.\t{g.strand}\t.\t"
      f"ID=gene:{g.gene_id};Name={g.name}\n" for g in gtf.values()))
  assert {g.gene_id: g.anchor for g in annotation.read_genes(gff)} == \
      {g: x.anchor for g, x in gtf.items()}
  first_transcripts = annotation.read_genes(GTF, tss_from="transcript")
  glis3 = next(g for g in first_transcripts if g.gene_id == "ENSG00000107249")
  assert glis3.anchor == 4152183 and glis3.name == "GLIS3"  # its first transcript's end (- strand)


@pytest.mark.parametrize("content,message", [
    ("chr9\tx\tgene\t10\t20\t.\t+\t.\tgene_name \"A\";\n", "gene row without a gene id"),
    ("chr9\tx\tgene\tten\t20\t.\t+\t.\tgene_id \"A\";\n", "start: expected an integer"),
    ("chr9\tx\tgene\t10\t20\t.\t*\t.\tgene_id \"A\";\n", "strand: expected"),
    ("chr9\tx\tgene\t10\t20\t.\t+\t.\tgene_id \"A\";\nchr9\tx\tgene\t30\t40\t.\t+\t.\t"
     "gene_id \"A\";\n", "gene A is listed twice"),
    ("chr9\tx\tgene\t10\t20\n", "expected 9 tab-separated GTF columns"),
])
def test_malformed_annotation_lines_name_the_file_and_line(tmp_path, content, message):
  path = tmp_path / "bad.gtf"
  path.write_text(content)
  with pytest.raises(DataFormatError, match=message) as error:
    annotation.read_genes(path)
  assert str(path) in str(error.value) and "line" in str(error.value)


def test_bad_requests_are_one_clear_line(tmp_path, k562):
  _, cell = k562
  with pytest.raises(UserError, match="already exists"):
    histone.prepare_histone(_k562_job(cell.parent), progress=False)
  with pytest.raises(UserError, match="not both"):
    histone.prepare_histone(_k562_job(tmp_path, labels="x.tsv"), progress=False)
  with pytest.raises(DataFormatError, match="unknown track format"):
    histone.prepare_histone(_k562_job(tmp_path, tracks=(("A", str(GTF)),)), progress=False)
  with pytest.raises(DataFormatError, match="track file not found"):
    histone.prepare_histone(_k562_job(tmp_path, tracks=(("A", str(tmp_path / "no.bw")),)),
                            progress=False)
  with pytest.raises(UserError, match="needs --valid_chroms"):
    histone.prepare_histone(_k562_job(tmp_path, split="chromosomes"), progress=False)
  bad = tmp_path / "expr.tsv"
  bad.write_text("gene\tvalue\nENSG1\t1.5\nENSG2\tmany\n")
  with pytest.raises(DataFormatError, match=r"line 3: column expression: expected a number"):
    tables.read_expression(bad)
  run = subprocess.run([sys.executable, "-m", "regjax.prepare", "histone", "--tracks", "A=x.bw",
                        "--genes", str(GTF), "--out", str(tmp_path / "o"), "--cell", "K562"],
                       cwd=REPO, capture_output=True, text=True)
  assert run.returncode == 2
  assert run.stderr.strip().splitlines() == ["error: x.bw: track file not found"]


def test_summary_is_written_and_names_what_was_skipped(k562):
  summary, cell = k562
  on_disk = json.loads((cell / "summary.json").read_text())
  assert on_disk["skipped"] == summary["skipped"]
  skipped = (cell / "skipped.tsv").read_text().splitlines()
  assert len(skipped) - 1 == sum(summary["skipped"].values())


@pytest.mark.slow
def test_deepdiff_pair_layout_from_two_cells_trains(tmp_path):
  from regjax.datasets import deepdiff_pairs
  from regjax.prepare import pairs
  job_a = _k562_job(tmp_path / "pair", cell="K562", window=10000)
  # Cell B: the same tracks read as coverage of 50-bp reads (other counts, the same genes).
  job_b = _k562_job(tmp_path / "pair", cell="H1", window=10000, reads_from_coverage=50,
                    expression=str(BUNDLED / "remc_sample" / "Cell2.expr.csv.gz"))
  summary = pairs.prepare_deepdiff(job_a, job_b, progress=False)
  assert summary["num_bins"] == 200 and summary["genes_kept"] > 10
  single = histone.prepare_histone(_k562_job(tmp_path / "one", window=10000, split="none"),
                                   progress=False)
  assert single["genes_kept"] >= summary["genes_kept"]
  one = histone_csv.read_deepchrome_csv(tmp_path / "one" / "K562" / "classification" / "all.csv",
                                        200, mark_names=("H3K4me3", "H3K27me3", "H3K27ac"))
  by_gene = dict(zip(one.gene_ids, one.marks))
  source = deepdiff_pairs.pair_source("K562", "H1", str(tmp_path / "pair"))
  train_split = deepdiff_pairs.load_pair_split(source, "train")
  for gene, marks_a, marks_b in zip(train_split["gene_id"], train_split["marks_a"],
                                    train_split["marks_b"]):
    np.testing.assert_array_equal(marks_a, by_gene[gene])
    np.testing.assert_allclose(marks_b, by_gene[gene] / 50, rtol=1e-6)
  with pytest.raises(UserError, match="already exists"):
    pairs.prepare_deepdiff(job_a, job_b, progress=False)
  config = load_config("deepdiff", "runlocal")
  config.data.data_root, config.data.cell_a, config.data.cell_b = str(tmp_path / "pair"), "K562", "H1"
  config.train.num_epochs, config.train.batch_size = 1, 2
  results = train.train_and_evaluate(config, str(tmp_path / "run"))
  assert results["data"]["mark_names"] == ["H3K4me3", "H3K27me3", "H3K27ac"]
  assert np.isfinite(results["history"][0]["train_loss"])
