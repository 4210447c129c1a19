"""The synthetic full-size archive: the published layout, the sample's statistics, resumable."""

from __future__ import annotations

import numpy as np
import pytest

from regjax.datasets import histone_sources, synthetic_archive
from tests.conftest import TEST_SEED

pytestmark = pytest.mark.slow   # 4 cells written and read back: about 20 s


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
  out = tmp_path_factory.mktemp("synthetic")
  summary = synthetic_archive.write_archive(out, cells=4, genes_per_split=500, seed=TEST_SEED,
                                            progress=False)
  assert summary["written"] == ["E001", "E002", "E003", "E004"]
  return out


def test_layout_and_labels(archive):
  assert "NOT measured data" in (archive / "SYNTHETIC.md").read_text()
  sizes = {}
  for split in histone_sources.SPLITS:
    examples = histone_sources.load_archive_split(archive, "E001", split)
    sizes[split] = len(examples.gene_ids)
    assert examples.marks.shape[1:] == (100, 5)
  assert sizes == {"train": 500, "valid": 500, "test": 499}   # as 6,601 / 6,601 / 6,600
  labels = np.concatenate([histone_sources.load_archive_split(archive, "E002", s).labels
                           for s in histone_sources.SPLITS])
  assert abs(labels.mean() - 0.5) < 0.01   # the median rule


def test_per_mark_zero_share_and_mean_match_the_bundled_sample(archive):
  real = np.concatenate([histone_sources.load_bundled_split(c, s).marks
                         for c in histone_sources.BUNDLED_CELLS for s in histone_sources.SPLITS])
  synthetic = np.concatenate([histone_sources.load_archive_split(archive, c, s).marks
                              for c in ("E001", "E002", "E003", "E004")
                              for s in histone_sources.SPLITS])
  zero_gap = (synthetic == 0).mean((0, 1)) / (real == 0).mean((0, 1)) - 1
  mean_gap = synthetic.mean((0, 1)) / real.mean((0, 1)) - 1
  print("zero share gap", zero_gap.round(3), "mean gap", mean_gap.round(3))
  # Each cell scales its means by its own factor (sd 5 %), so over 4 cells x 1,499 genes, seeds 0-4:
  # zero share within 2.6 %, means within 5.0 %
  assert np.all(np.abs(zero_gap) < 0.10) and np.all(np.abs(mean_gap) < 0.10)


def test_no_single_mark_solves_it_and_finished_cells_are_kept(archive):
  from sklearn.metrics import roc_auc_score
  examples = histone_sources.load_archive_split(archive, "E001", "train")
  for mark in range(5):
    auroc = roc_auc_score(examples.labels, examples.marks[:, :, mark].sum(1))
    assert 0.2 < auroc < 0.85, (mark, auroc)
  before = (archive / "E001" / "classification" / "train.csv").stat().st_mtime_ns
  again = synthetic_archive.write_archive(archive, cells=5, genes_per_split=500, seed=TEST_SEED,
                                          progress=False)
  assert again["kept"] == ["E001", "E002", "E003", "E004"] and again["written"] == ["E005"]
  assert (archive / "E001" / "classification" / "train.csv").stat().st_mtime_ns == before
