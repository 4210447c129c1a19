"""TFDS builder for DeepDiff: the same genes' histone marks in two cell types, and their log fold change.

Each example: `gene_id`, `marks_a` and `marks_b` float32 [200 bins, 5 marks] (TSS +/- 10 kb, REMC
mark order H3K4me1, H3K4me3, H3K9me3, H3K27me3, H3K36me3), `lfc` = log2((expr_B + 1) / (expr_A + 1)),
and the auxiliary targets `log2_expression_a/b` = log2(expr + 1). Splits train/valid/test.

Sources (DeepDiffChrome layout: `<cell>.{train,valid,test}.csv` and `<cell>.expr.csv` in one folder):
* bundled: cells E123 (K562, file prefix Cell1) and E003 (H1, Cell2) of the REMC sample;
* `data_root=DIR`: any two cells in that layout (cell names are the file prefixes).
The two cells of a split must list the same genes; they are matched by gene id (the original
required the same order), and a gene present in only one cell is an error that names it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import pathlib
import re

import numpy as np
import tensorflow_datasets as tfds

from regjax.datasets import histone_csv, histone_sources, tfds_io
from regjax.errors import ConfigError, DataFormatError

NUM_BINS = 200
SPLITS = histone_sources.SPLITS

_CITATION = """\
Sekhon A, Singh R, Qi Y. DeepDiff: DEEP-learning for predicting DIFFerential gene expression from
histone modifications. Bioinformatics 34(17), 2018."""


@dataclasses.dataclass(frozen=True)
class PairSource:
  """Where two cells' files are: a folder and the file prefix of each cell."""

  folder: pathlib.Path
  prefix_a: str
  prefix_b: str


def pair_source(cell_a: str, cell_b: str, data_root: str | None) -> PairSource:
  """Resolves the two cells to files, checking that every file exists."""
  if cell_a == cell_b:
    raise ConfigError(f"cell_a and cell_b are both {cell_a!r}; DeepDiff compares two cells")
  if data_root:
    folder = pathlib.Path(data_root)
    if not folder.is_dir():
      raise ConfigError(f"data_root {data_root} does not exist")
    source = PairSource(folder, cell_a, cell_b)
  else:
    for cell in (cell_a, cell_b):
      histone_sources.check_bundled_cell(cell)
    source = PairSource(histone_sources.bundled_data_dir() / "remc_sample",
                        histone_sources.BUNDLED_CELLS[cell_a], histone_sources.BUNDLED_CELLS[cell_b])
  for path in _files(source):
    if not path.is_file():
      raise DataFormatError(path, "missing file (DeepDiff layout: <cell>.train.csv, .valid.csv, "
                            ".test.csv and <cell>.expr.csv, optionally gzipped)")
  return source


def _file(folder: pathlib.Path, name: str) -> pathlib.Path:
  plain = folder / name
  return plain if plain.exists() or not (folder / f"{name}.gz").exists() else folder / f"{name}.gz"


def _files(source: PairSource) -> list[pathlib.Path]:
  names = [f"{p}.{s}.csv" for p in (source.prefix_a, source.prefix_b) for s in SPLITS]
  names += [f"{p}.expr.csv" for p in (source.prefix_a, source.prefix_b)]
  return [_file(source.folder, n) for n in names]


def fingerprint(source: PairSource) -> str:
  h = hashlib.sha256()
  for path in _files(source):
    stat = path.resolve().stat()
    h.update(f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}".encode())
  return h.hexdigest()[:10]


def pair_layout(source: PairSource) -> histone_csv.CsvLayout:
  """Marks and bins of cell A's training file (a header row may name any marks, as
  `regjax.prepare deepdiff` writes); cell B's files must have the same."""
  return histone_csv.sniff_remc_csv(_file(source.folder, f"{source.prefix_a}.train.csv"))


def load_pair_split(source: PairSource, split: str,
                    layout: histone_csv.CsvLayout | None = None) -> dict[str, np.ndarray]:
  """Reads one split of both cells, matched by gene, with the DeepDiff targets."""
  layout = layout or pair_layout(source)
  path_a = _file(source.folder, f"{source.prefix_a}.{split}.csv")
  path_b = _file(source.folder, f"{source.prefix_b}.{split}.csv")
  table_a = histone_csv.read_remc_csv(path_a, layout.num_bins, layout.mark_names)
  table_b = histone_csv.read_remc_csv(path_b, layout.num_bins, layout.mark_names)
  only_a = sorted(set(table_a.gene_ids) - set(table_b.gene_ids))
  only_b = sorted(set(table_b.gene_ids) - set(table_a.gene_ids))
  if only_a or only_b:
    raise DataFormatError(
        path_b, f"the two cells' {split} files list different genes: {len(only_a)} only in "
        f"{path_a.name} (e.g. {', '.join(only_a[:3]) or '-'}), {len(only_b)} only in {path_b.name} "
        f"(e.g. {', '.join(only_b[:3]) or '-'})")
  index_b = {g: i for i, g in enumerate(table_b.gene_ids)}
  order_b = [index_b[g] for g in table_a.gene_ids]
  expr = []
  for prefix in (source.prefix_a, source.prefix_b):
    path = _file(source.folder, f"{prefix}.expr.csv")
    counts = histone_csv.read_expression_csv(path)
    missing = [g for g in table_a.gene_ids if g not in counts]
    if missing:
      raise DataFormatError(path, f"{len(missing)} gene(s) of the {split} split have no "
                            f"expression value, e.g. {', '.join(missing[:5])}")
    expr.append(np.array([counts[g] for g in table_a.gene_ids], dtype=np.float64))
  log2_a, log2_b = np.log2(expr[0] + 1), np.log2(expr[1] + 1)
  return {
      "gene_id": np.array(table_a.gene_ids),
      "marks_a": table_a.marks,
      "marks_b": table_b.marks[order_b],
      "lfc": (log2_b - log2_a).astype(np.float32),
      "log2_expression_a": log2_a.astype(np.float32),
      "log2_expression_b": log2_b.astype(np.float32),
  }


@dataclasses.dataclass
class DeepdiffPairsConfig(tfds.core.BuilderConfig):
  cell_a: str = "E123"
  cell_b: str = "E003"
  data_root: str = ""
  mark_names: tuple[str, ...] = histone_csv.REMC_MARKS
  num_bins: int = NUM_BINS


class DeepdiffPairs(tfds.core.GeneratorBasedBuilder):
  """Histone marks of one gene in two cells with its log2 fold change of expression."""

  VERSION = tfds.core.Version("1.0.0")
  RELEASE_NOTES = {"1.0.0": "Bundled E123/E003 pair and the DeepDiffChrome folder layout."}

  def _info(self) -> tfds.core.DatasetInfo:
    config: DeepdiffPairsConfig = self.builder_config
    marks = tfds.features.Tensor(shape=(config.num_bins, len(config.mark_names)),
                                 dtype=np.float32)
    return tfds.core.DatasetInfo(
        builder=self,
        description=__doc__,
        features=tfds.features.FeaturesDict({
            "gene_id": tfds.features.Text(),
            "marks_a": marks,
            "marks_b": marks,
            "lfc": tfds.features.Scalar(dtype=np.float32),
            "log2_expression_a": tfds.features.Scalar(dtype=np.float32),
            "log2_expression_b": tfds.features.Scalar(dtype=np.float32),
        }),
        homepage="https://github.com/QData/DeepDiffChrome",
        citation=_CITATION,
        disable_shuffling=True,
    )

  def _split_generators(self, dl_manager):
    del dl_manager
    config: DeepdiffPairsConfig = self.builder_config
    source = pair_source(config.cell_a, config.cell_b, config.data_root or None)
    layout = histone_csv.CsvLayout(config.mark_names, config.num_bins, False)
    splits = {split: load_pair_split(source, split, layout) for split in SPLITS}  # fail early
    return {split: self._generate_examples(arrays) for split, arrays in splits.items()}

  def _generate_examples(self, arrays):
    for i in range(len(arrays["gene_id"])):
      yield i, {k: v[i] for k, v in arrays.items()}


def builder_config(cell_a: str, cell_b: str, data_root: str | None = None) -> DeepdiffPairsConfig:
  source = pair_source(cell_a, cell_b, data_root)
  layout = pair_layout(source) if data_root else histone_csv.CsvLayout(
      histone_csv.REMC_MARKS, NUM_BINS, False)
  name = f"{cell_a}_{cell_b}" + (f"_{fingerprint(source)}" if data_root else "")
  name = re.sub(r"[^A-Za-z0-9_]", "_", name)
  return DeepdiffPairsConfig(name=name, cell_a=cell_a, cell_b=cell_b,
                             data_root=os.fspath(data_root or ""), mark_names=layout.mark_names,
                             num_bins=layout.num_bins,
                             description=f"{cell_a} (A) vs {cell_b} (B)")


def mark_names(cell_a: str, cell_b: str, data_root: str | None = None) -> tuple[str, ...]:
  return builder_config(cell_a, cell_b, data_root).mark_names


def load(cell_a: str, cell_b: str, data_dir: str,
         data_root: str | None = None) -> dict[str, dict[str, np.ndarray]]:
  """Prepares the pair on first use (cached in `data_dir`) and reads every split into memory.

  Returns:
    {split: {"gene_id": [G], "marks_a", "marks_b": float32 [G, T, M] (200 bins x the 5 REMC
             marks for the bundled pair), "lfc", "log2_expression_a", "log2_expression_b":
             float32 [G]}}
  """
  config = builder_config(cell_a, cell_b, data_root)
  return tfds_io.load(DeepdiffPairs, config, data_dir, SPLITS)
