"""Paired data for DeepDiff: targets, swapping cells, matching genes, and clear errors."""

from __future__ import annotations

import numpy as np
import pytest

from regjax.datasets import deepdiff_pairs, histone_csv
from regjax.datasets.histone_sources import bundled_data_dir
from regjax.errors import ConfigError, DataFormatError


@pytest.fixture(scope="module")
def pair(data_dir):
  return deepdiff_pairs.load("E123", "E003", data_dir)


def test_bundled_pair(pair):
  for arrays in pair.values():
    assert arrays["marks_a"].shape == (200, 200, 5) and arrays["marks_b"].shape == (200, 200, 5)
  train = pair["train"]
  np.testing.assert_allclose(train["lfc"], train["log2_expression_b"] - train["log2_expression_a"],
                             atol=1e-5)
  # The bundled pair (docs/fidelity.md, data): train mean LFC 0.91 and 31 % with |LFC| >= 2; test 41 %.
  assert train["lfc"].mean() == pytest.approx(0.91, abs=0.01)
  assert np.mean(np.abs(train["lfc"]) >= 2) == pytest.approx(0.31)
  assert np.mean(np.abs(pair["test"]["lfc"]) >= 2) == pytest.approx(0.41)
  raw = histone_csv.read_remc_csv(bundled_data_dir() / "remc_sample" / "Cell2.test.csv.gz")
  np.testing.assert_array_equal(pair["test"]["marks_b"], raw.marks)  # B = E003 = Cell2


def test_swapping_the_cells_negates_the_target(pair, data_dir):
  swapped = deepdiff_pairs.load("E003", "E123", data_dir)
  for split in ("train", "test"):
    np.testing.assert_allclose(swapped[split]["lfc"], -pair[split]["lfc"], atol=1e-6)
    np.testing.assert_array_equal(swapped[split]["marks_a"], pair[split]["marks_b"])


def _write_cell(folder, name, genes, counts):
  rows = [f"{g}_SYM_{b},{counts},1,0,0,2" for g in genes for b in range(1, 201)]
  for split in ("train", "valid", "test"):
    (folder / f"{name}.{split}.csv").write_text("\n".join(rows) + "\n")
  (folder / f"{name}.expr.csv").write_text("\n".join(f"{g},{i * 10}" for i, g in
                                                      enumerate(sorted(genes))) + "\n")


def test_own_folder_genes_matched_by_id(tmp_path, data_dir):
  _write_cell(tmp_path, "X", ["G1", "G2", "G3"], 1)
  _write_cell(tmp_path, "Y", ["G3", "G1", "G2"], 4)  # same genes, another order
  splits = deepdiff_pairs.load("X", "Y", data_dir, str(tmp_path))
  assert list(splits["test"]["gene_id"]) == ["G1", "G2", "G3"]
  assert (splits["test"]["marks_b"][:, :, 0] == 4).all()
  np.testing.assert_allclose(splits["test"]["lfc"], 0.0)  # same expression file content


def test_gene_mismatch_names_the_genes(tmp_path, data_dir):
  _write_cell(tmp_path, "X", ["G1", "G2"], 1)
  _write_cell(tmp_path, "Y", ["G1", "G7"], 1)
  with pytest.raises(DataFormatError, match=r"different genes: 1 only in X.train.csv \(e.g. G2\), "
                     r"1 only in Y.train.csv \(e.g. G7\)"):
    deepdiff_pairs.load("X", "Y", data_dir, str(tmp_path))


def test_missing_files_and_bad_cells(tmp_path, data_dir):
  _write_cell(tmp_path, "X", ["G1"], 1)
  with pytest.raises(DataFormatError, match="Y.train.csv: missing file"):
    deepdiff_pairs.load("X", "Y", data_dir, str(tmp_path))
  with pytest.raises(ConfigError, match="both 'E123'"):
    deepdiff_pairs.load("E123", "E123", data_dir)
  with pytest.raises(ConfigError, match="unknown bundled cell 'E005'"):
    deepdiff_pairs.load("E123", "E005", data_dir)
