"""TFDS builder for histone-mark bins around a TSS (the DeepChrome / AttentiveChrome setting).

Each example: `gene_id` (text), `marks` float32 [100 bins, 5 marks] in DeepChrome order
(H3K27me3, H3K36me3, H3K4me1, H3K4me3, H3K9me3; an archive prepared by `regjax.prepare` has the
bins and marks its header names), `label` (0 = off, 1 = on), `log_expression`
(log(count + 1), NaN when the source has no expression values). Splits: train, valid, test.

One builder config per cell: `E123` / `E003` read the bundled REMC sample; `archive_<cell>_<hash>`
reads a local copy of the 56-cell archive passed as TFDS `manual_dir` (the hash of the files' path,
size and mtime makes an edited archive be prepared again rather than served stale from the cache).
Written as array_record and read with `tfds.data_source`, so TensorFlow is never needed.
"""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import tensorflow_datasets as tfds

from regjax.datasets import histone_csv, histone_sources, tfds_io
from regjax.datasets.histone_csv import DEEPCHROME_MARKS

_CITATION = """\
Singh R, Lanchantin J, Robins G, Qi Y. DeepChrome: deep-learning for predicting gene expression from
histone modifications. Bioinformatics 32(17), 2016.
Roadmap Epigenomics Consortium. Integrative analysis of 111 reference human epigenomes. Nature 2015."""


@dataclasses.dataclass
class HistoneBinsConfig(tfds.core.BuilderConfig):
  """source: "bundled" (REMC sample in the package) or "archive" (DeepChrome layout in manual_dir)."""

  source: str = "bundled"
  cell: str = "E123"
  mark_names: tuple[str, ...] = DEEPCHROME_MARKS
  num_bins: int = histone_sources.NUM_BINS


def builder_config(cell: str, archive_dir: str | None = None) -> HistoneBinsConfig:
  """The builder config of `cell`: from the archive folder when given, else from the bundled sample."""
  if archive_dir:
    histone_sources.check_archive(archive_dir, cell)
    fingerprint = histone_sources.archive_fingerprint(archive_dir, cell)
    layout = histone_sources.archive_layout(archive_dir, cell)
    safe_cell = re.sub(r"[^A-Za-z0-9_]", "_", cell)
    return HistoneBinsConfig(name=f"archive_{safe_cell}_{fingerprint}", source="archive",
                             cell=cell, mark_names=layout.mark_names, num_bins=layout.num_bins,
                             description=f"{cell} from a local archive in the DeepChrome layout")
  histone_sources.check_bundled_cell(cell)
  return _BUNDLED_CONFIGS[cell]


_BUNDLED_CONFIGS = {
    cell: HistoneBinsConfig(name=cell, source="bundled", cell=cell,
                            description=f"REMC {cell}, {name}: bundled sample")
    for cell, name in histone_sources.BUNDLED_CELL_NAMES.items()
}


class HistoneBins(tfds.core.GeneratorBasedBuilder):
  """Histone-mark read counts in 100 bins around each gene's TSS, with on/off labels."""

  VERSION = tfds.core.Version("1.0.0")
  BUILDER_CONFIGS = list(_BUNDLED_CONFIGS.values())
  RELEASE_NOTES = {"1.0.0": "First release: bundled E003/E123 sample and the DeepChrome archive layout."}
  MANUAL_DOWNLOAD_INSTRUCTIONS = (
      "Download the 56-cell DeepChrome data (Zenodo record 2652278) and pass the folder that holds "
      "E###/classification/{train,valid,test}.csv as --config.data.archive_dir.")

  def _info(self) -> tfds.core.DatasetInfo:
    return tfds.core.DatasetInfo(
        builder=self,
        description=__doc__,
        features=tfds.features.FeaturesDict({
            "gene_id": tfds.features.Text(),
            "marks": tfds.features.Tensor(
                shape=(self.builder_config.num_bins, len(self.builder_config.mark_names)),
                dtype=np.float32),
            "label": tfds.features.ClassLabel(names=["off", "on"]),
            "log_expression": tfds.features.Scalar(dtype=np.float32),
        }),
        homepage="https://github.com/QData/DeepChrome",
        citation=_CITATION,
        disable_shuffling=True,  # keep file order: predictions line up with the input files
    )

  def _split_generators(self, dl_manager: tfds.download.DownloadManager):
    config: HistoneBinsConfig = self.builder_config
    if config.source == "archive":
      folder = dl_manager.manual_dir
      layout = histone_csv.CsvLayout(config.mark_names, config.num_bins, True)
      load = lambda split: histone_sources.load_archive_split(folder, config.cell, split, layout)
    else:
      load = lambda split: histone_sources.load_bundled_split(config.cell, split)
    # Parse every split before writing any, so a malformed file fails fast and leaves no cache.
    return {split: self._generate_examples(load(split)) for split in histone_sources.SPLITS}

  def _generate_examples(self, examples: histone_sources.HistoneExamples):
    for i, gene_id in enumerate(examples.gene_ids):
      yield i, {
          "gene_id": gene_id,
          "marks": examples.marks[i],
          "label": int(examples.labels[i]),
          "log_expression": float(examples.log_expression[i]),
      }


def mark_names(cell: str, archive_dir: str | None = None) -> tuple[str, ...]:
  """The marks of a cell's examples, in input-channel order."""
  return builder_config(cell, archive_dir).mark_names


def load(cell: str, data_dir: str, archive_dir: str | None = None) -> dict[str, dict[str, np.ndarray]]:
  """Prepares the dataset on first use (cached in `data_dir`) and reads every split into memory.

  Args:
    cell: REMC epigenome id, e.g. "E123".
    data_dir: the TFDS data folder (the cache).
    archive_dir: a local DeepChrome archive; None for the bundled sample.

  Returns:
    {split: {"gene_id": str [G], "marks": float32 [G, T, M], "label": int32 [G],
             "log_expression": float32 [G]}}
  """
  config = builder_config(cell, archive_dir)
  download_config = tfds.download.DownloadConfig(manual_dir=archive_dir) if archive_dir else None
  return tfds_io.load(HistoneBins, config, data_dir, histone_sources.SPLITS, download_config)
