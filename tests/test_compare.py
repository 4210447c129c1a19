"""The comparison command: every config on every cell, one table, finished runs reused."""

from __future__ import annotations

import csv
import shutil

import pytest

from regjax import compare
from regjax.errors import ConfigError
from tests.conftest import REPO


@pytest.fixture
def two_cell_archive(toy_archive):
  shutil.copytree(toy_archive / "E000", toy_archive / "E001")
  return toy_archive


def test_table_over_archive_cells(two_cell_archive, tmp_path, monkeypatch):
  specs = [str(REPO / "configs" / "deepchrome.py"), str(REPO / "configs" / "baseline_one_mark.py")]
  table = compare.compare(specs, str(tmp_path), str(two_cell_archive),
                          overrides=["train.num_epochs=1", "train.batch_size=4"])
  assert set(table) == {"E000", "E001"}
  rows = list(csv.reader(open(tmp_path / "comparison.csv")))
  assert rows[0] == ["cell", "deepchrome", "baseline_one_mark"]
  assert [r[0] for r in rows[1:]] == ["E000", "E001", "mean", "median"]
  # Same toy files in both cells: same numbers.
  assert rows[1][1:] == rows[2][1:]
  assert (tmp_path / "comparison.md").read_text().startswith("| cell | deepchrome (test auroc)")

  def fail(*args, **kwargs):
    raise AssertionError("a finished run was trained again")
  monkeypatch.setattr(compare.runner, "run", fail)
  again = compare.compare(specs, str(tmp_path), str(two_cell_archive),
                          overrides=["train.num_epochs=1", "train.batch_size=4"])
  assert again == table


def test_bad_requests(two_cell_archive, tmp_path):
  spec = [str(REPO / "configs" / "deepchrome.py")]
  with pytest.raises(ConfigError, match="cells E999 are not available"):
    compare.compare(spec, str(tmp_path), str(two_cell_archive), cells=["E999"])
  with pytest.raises(ConfigError, match="no field 'train.num_epoch'"):
    compare.compare(spec, str(tmp_path), str(two_cell_archive), overrides=["train.num_epoch=1"])
  with pytest.raises(ConfigError, match="not found"):
    compare.compare(["configs/nope.py"], str(tmp_path))
