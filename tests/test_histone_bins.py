"""The histone_bins TFDS builder: bundled REMC cells, the archive layout, caching, clear errors."""

from __future__ import annotations

import os

import numpy as np
import pytest

from regjax import metrics
from regjax.datasets import histone_bins, histone_csv, histone_sources
from regjax.errors import ConfigError, DataFormatError


@pytest.fixture(scope="module")
def e123(data_dir):
  return histone_bins.load("E123", data_dir)


def test_bundled_cell_shapes_and_order(e123):
  assert set(e123) == {"train", "valid", "test"}
  for split in e123.values():
    assert split["marks"].shape == (200, 100, 5) and split["marks"].dtype == np.float32
    assert split["label"].dtype == np.int32 and split["gene_id"].shape == (200,)
    assert np.isfinite(split["log_expression"]).all()
  # No gene is in two splits.
  ids = [set(s["gene_id"]) for s in e123.values()]
  assert not (ids[0] & ids[1]) and not (ids[0] & ids[2]) and not (ids[1] & ids[2])


def test_bundled_cell_matches_the_raw_files(e123):
  """Crop bins 51..150 and reorder REMC marks into DeepChrome order, gene by gene."""
  raw = histone_csv.read_remc_csv(
      histone_sources.bundled_data_dir() / "remc_sample" / "Cell1.test.csv.gz")
  assert tuple(e123["test"]["gene_id"]) == raw.gene_ids  # file order is kept
  for name_index, name in enumerate(histone_csv.DEEPCHROME_MARKS):
    raw_index = histone_csv.REMC_MARKS.index(name)
    np.testing.assert_array_equal(e123["test"]["marks"][:, :, name_index],
                                  raw.marks[:, 50:150, raw_index])


def test_labels_are_expression_above_the_median(e123):
  # The data README's sanity figure: 47-62 % on, and H3K4me3 alone gives test AUROC 0.95 on E123.
  for split in e123.values():
    assert 0.47 <= split["label"].mean() <= 0.62
    on = split["label"] == 1
    assert split["log_expression"][on].min() > split["log_expression"][~on].max()
  h3k4me3 = np.log1p(e123["test"]["marks"][:, :, 3].sum(1))
  assert metrics.auroc(e123["test"]["label"], h3k4me3) == pytest.approx(0.948, abs=0.001)


def test_second_load_reuses_the_cache(data_dir, e123, monkeypatch):
  def fail(*args, **kwargs):
    raise AssertionError("prepared twice")
  monkeypatch.setattr(histone_bins.HistoneBins, "download_and_prepare", fail)
  again = histone_bins.load("E123", data_dir)
  np.testing.assert_array_equal(again["train"]["marks"], e123["train"]["marks"])


def test_unknown_cell_is_a_clear_error(data_dir):
  with pytest.raises(ConfigError, match="unknown bundled cell 'E004'.*E123.*E003.*archive_dir"):
    histone_bins.load("E004", data_dir)


def test_archive_layout_loads_the_toy_files(data_dir, toy_archive, toy_dir):
  splits = histone_bins.load("E000", data_dir, str(toy_archive))
  assert splits["train"]["marks"].shape == (10, 100, 5)
  assert splits["test"]["marks"].shape == (10, 100, 5)
  table = histone_csv.read_deepchrome_csv(toy_dir / "valid.csv")
  np.testing.assert_array_equal(splits["valid"]["marks"], table.marks)
  np.testing.assert_array_equal(splits["valid"]["label"], table.labels)
  assert np.isnan(splits["valid"]["log_expression"]).all()  # the archive has labels only


def test_edited_archive_is_prepared_again(data_dir, toy_archive):
  first = histone_bins.load("E000", data_dir, str(toy_archive))
  path = toy_archive / "E000" / "classification" / "train.csv"
  rows = path.read_text().splitlines()
  rows[:100] = [",".join(r.split(",")[:7] + [str(1 - int(r.split(",")[7]))]) for r in rows[:100]]
  path.write_text("\n".join(rows) + "\n")
  os.utime(path, ns=(1, 1))  # a different mtime even on coarse file systems
  second = histone_bins.load("E000", data_dir, str(toy_archive))
  assert second["train"]["label"][0] == 1 - first["train"]["label"][0]


def test_archive_missing_split_file(data_dir, toy_archive):
  os.remove(toy_archive / "E000" / "classification" / "valid.csv")
  with pytest.raises(DataFormatError, match="valid.csv: missing split file"):
    histone_bins.load("E000", data_dir, str(toy_archive))


def test_archive_malformed_file_fails_before_caching(data_dir, toy_archive):
  path = toy_archive / "E000" / "classification" / "test.csv"
  rows = path.read_text().splitlines()
  rows[7] = rows[7].replace(",", ";")
  path.write_text("\n".join(rows) + "\n")
  with pytest.raises(DataFormatError, match=r"test.csv, line 8: expected 8 comma-separated"):
    histone_bins.load("E000", data_dir, str(toy_archive))


def test_archive_bad_folder_and_cell_name(data_dir, tmp_path, toy_archive):
  with pytest.raises(ConfigError, match="does not exist"):
    histone_bins.load("E000", data_dir, str(tmp_path / "nowhere"))
  with pytest.raises(ConfigError, match="not a usable folder name"):
    histone_bins.load("../E000", data_dir, str(toy_archive))
  with pytest.raises(DataFormatError, match="K562/classification/train.csv: missing split file"):
    histone_bins.load("K562", data_dir, str(toy_archive))  # any folder name is a cell


def test_runs_started_together_prepare_the_cache_once(tmp_path):
  """Three processes on one empty data dir: one prepares, the others wait and read its copy."""
  import subprocess
  import sys
  code = ("import sys; from regjax.datasets import histone_bins; "
          "s = histone_bins.load('E003', sys.argv[1]); print(len(s['test']['label']))")
  runs = [subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True) for _ in range(3)]
  outputs = [run.communicate(timeout=300) for run in runs]
  for run, (stdout, stderr) in zip(runs, outputs):
    assert run.returncode == 0, stderr[-2000:]
    assert stdout.strip().endswith("200")
  assert sum("Preparing histone_bins/E003" in stdout for stdout, _ in outputs) == 1


def test_building_an_unprepared_dataset_leaves_no_temporary_folder(tmp_path):
  """TFDS makes a temporary folder (to look for dataset info on GCS) each time it builds a dataset
  not prepared yet, and never removes it; regjax builds inside a scratch folder of its own."""
  import tempfile
  from regjax.datasets import tfds_io
  with tfds_io._scratch_tempdir():
    made = tempfile.mkdtemp("tfds")   # what TFDS's DatasetInfo.initialize_from_bucket does
    assert os.path.isdir(made)
  assert not os.path.exists(made)
  assert tempfile.gettempdir() != os.path.dirname(made)
  before = set(os.listdir(tempfile.gettempdir()))
  histone_bins.load("E123", str(tmp_path))   # prepares a fresh copy
  assert not {name for name in set(os.listdir(tempfile.gettempdir())) - before
              if name.endswith("tfds")}
