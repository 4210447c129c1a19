"""Strict parsing of the histone-bin CSV layouts: every malformed case names file, line, expectation."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from regjax.datasets import histone_csv
from regjax.errors import DataFormatError


def _deepchrome_rows(genes=("g1", "g2"), num_bins=100, labels=(1, 0)):
  rows = []
  for gene, label in zip(genes, labels):
    for b in range(1, num_bins + 1):
      rows.append(f"{gene},{b},{b},{b + 1},0,{2 * b},1,{label}")
  return rows


def _write(tmp_path, rows, name="train.csv"):
  path = tmp_path / name
  path.write_text("\n".join(rows) + "\n")
  return path


def _error(path, reader=histone_csv.read_deepchrome_csv, **kwargs) -> DataFormatError:
  with pytest.raises(DataFormatError) as info:
    reader(path, **kwargs)
  assert str(path) in str(info.value)
  return info.value


def test_reads_toy_files_in_published_format(toy_dir):
  table = histone_csv.read_deepchrome_csv(toy_dir / "train.csv")
  assert table.marks.shape == (10, 100, 5)
  assert table.marks.dtype == np.float32
  assert table.mark_names == histone_csv.DEEPCHROME_MARKS
  assert table.gene_ids[0] == "000003"
  np.testing.assert_array_equal(table.marks[0, 0], [0, 1, 0, 2, 0])  # row "000003,1,0,1,0,2,0,1"
  np.testing.assert_array_equal(table.marks[0, 1], [1, 2, 2, 8, 0])
  assert table.labels.tolist().count(1) == 5  # 5 ON / 5 OFF in the toy file


def test_values_land_in_the_right_gene_bin_and_mark(tmp_path):
  table = histone_csv.read_deepchrome_csv(_write(tmp_path, _deepchrome_rows()))
  assert table.gene_ids == ("g1", "g2")
  np.testing.assert_array_equal(table.marks[1, 9], [10, 11, 0, 20, 1])
  np.testing.assert_array_equal(table.labels, [1, 0])


@pytest.mark.parametrize("variant", ["plain", "header", "spaces", "decimals", "bin 1.0",
                                     "label 1.0", "crlf"])
def test_the_fast_reader_equals_the_strict_one_or_steps_aside(tmp_path, monkeypatch, variant):
  """Well-formed files go through numpy's C parser; whatever it does not accept exactly as the
  strict reader would goes to the strict reader (same table, or the same error)."""
  rows = _deepchrome_rows(genes=("g1", "g2", "g3"), labels=(1, 0, 1))
  if variant == "header":
    rows = ["GeneID,BinID," + ",".join(histone_csv.DEEPCHROME_MARKS) + ",Label", *rows]
  elif variant == "spaces":
    rows = [r.replace(",", " , ") for r in rows]
  elif variant == "decimals":
    rows = [r.replace(",0,", ",0.5,") for r in rows]
  elif variant == "bin 1.0":
    rows[0] = rows[0].replace("g1,1,", "g1,1.0,")
  elif variant == "label 1.0":
    rows = [r[:-1] + "1.0" if r.endswith(",1") else r for r in rows]
  path = tmp_path / "train.csv"
  path.write_bytes(("\r\n" if variant == "crlf" else "\n").join(rows).encode() + b"\n")

  def strict():
    monkeypatch.setattr(histone_csv, "_read_deepchrome_fast", lambda *args: None)
    try:
      return histone_csv.read_deepchrome_csv(path)
    except DataFormatError as e:
      return str(e)
    finally:
      monkeypatch.undo()
  try:
    fast = histone_csv.read_deepchrome_csv(path)
  except DataFormatError as e:
    fast = str(e)
  expected = strict()
  if isinstance(expected, str):
    assert fast == expected
  else:
    assert fast.gene_ids == expected.gene_ids
    np.testing.assert_array_equal(fast.marks, expected.marks)
    np.testing.assert_array_equal(fast.labels, expected.labels)
  if variant in ("plain", "header", "decimals"):   # these take the fast path
    assert histone_csv._read_deepchrome_fast(path, 100, True, histone_csv.DEEPCHROME_MARKS)


def test_header_is_accepted_and_checked(tmp_path):
  header = "GeneID,BinID," + ",".join(histone_csv.DEEPCHROME_MARKS) + ",Label"
  table = histone_csv.read_deepchrome_csv(_write(tmp_path, [header, *_deepchrome_rows()]))
  assert table.marks.shape == (2, 100, 5)
  swapped = "GeneID,BinID,H3K4me3,H3K36me3,H3K4me1,H3K27me3,H3K9me3,Label"
  error = _error(_write(tmp_path, [swapped, *_deepchrome_rows()]))
  assert error.line == 1
  assert "expected H3K27me3,H3K36me3,H3K4me1,H3K4me3,H3K9me3" in str(error)


def test_gzipped_files_are_read(tmp_path):
  path = tmp_path / "train.csv.gz"
  with gzip.open(path, "wt") as f:
    f.write("\n".join(_deepchrome_rows()) + "\n")
  assert histone_csv.read_deepchrome_csv(path).marks.shape == (2, 100, 5)


def test_wrong_column_count(tmp_path):
  rows = _deepchrome_rows()
  rows[4] = "g1,5,1,2,3,4,1"
  error = _error(_write(tmp_path, rows))
  assert error.line == 5
  assert "expected 8 comma-separated columns" in str(error) and "found 7" in str(error)


@pytest.mark.parametrize("value", ["abc", "", "nan", "NaN", "inf", "-3"])
def test_bad_counts(tmp_path, value):
  rows = _deepchrome_rows()
  rows[150] = f"g2,51,1,2,{value},4,5,0"
  error = _error(_write(tmp_path, rows))
  assert error.line == 151
  assert "column H3K4me1" in str(error)
  assert "non-negative read count" in str(error)


def test_gene_with_too_few_bins(tmp_path):
  rows = _deepchrome_rows()
  del rows[50]  # g1 loses bin 51
  error = _error(_write(tmp_path, rows))
  assert error.line == 51
  assert "gene g1: found bin 52, expected bin 51" in str(error)
  rows = _deepchrome_rows()[:99] + _deepchrome_rows()[100:]  # g1 ends after 99 bins
  error = _error(_write(tmp_path, rows))
  assert "gene g1 has 99 bins, expected 100" in str(error)
  assert error.line == 1
  error = _error(_write(tmp_path, _deepchrome_rows()[:-1]))  # last gene short at end of file
  assert "gene g2 has 99 bins, expected 100" in str(error)


def test_gene_with_too_many_bins(tmp_path):
  rows = _deepchrome_rows()
  rows.insert(100, "g1,101,1,1,1,1,1,1")
  error = _error(_write(tmp_path, rows))
  assert error.line == 101
  assert "already has its 100 bins" in str(error)


def test_bins_out_of_order(tmp_path):
  rows = _deepchrome_rows()
  rows[2], rows[3] = rows[3], rows[2]
  error = _error(_write(tmp_path, rows))
  assert error.line == 3
  assert "found bin 4, expected bin 3" in str(error)


def test_label_changes_within_a_gene(tmp_path):
  rows = _deepchrome_rows()
  rows[60] = rows[60][:-1] + "0"
  error = _error(_write(tmp_path, rows))
  assert error.line == 61
  assert "label of gene g1 changes from 1 to 0" in str(error)


def test_label_other_than_0_or_1(tmp_path):
  rows = _deepchrome_rows()
  rows[0] = rows[0][:-1] + "2"
  error = _error(_write(tmp_path, rows))
  assert error.line == 1 and "expected 0 (off) or 1 (on), found '2'" in str(error)


def test_gene_split_over_two_blocks(tmp_path):
  rows = _deepchrome_rows(genes=("g1", "g2", "g1"), labels=(1, 0, 1))
  error = _error(_write(tmp_path, rows))
  assert error.line == 201 and "gene g1 appears again" in str(error)


def test_empty_file(tmp_path):
  for content in ("", "\n\n  \n"):
    path = tmp_path / "empty.csv"
    path.write_text(content)
    assert "file is empty; expected rows of GeneID,BinID" in str(_error(path))


def test_missing_file(tmp_path):
  assert "file not found" in str(_error(tmp_path / "nope.csv"))


def test_binary_garbage(tmp_path):
  path = tmp_path / "train.csv.gz"
  path.write_bytes(b"not gzip at all")
  assert "not a readable" in str(_error(path))


def test_remc_layout(tmp_path):
  rows = [f"ENSG01_ABC_{b},{b},1,2,3,4" for b in range(1, 201)]
  rows += [f"ENSG02_A_B_{b},0,0,0,0,{b}" for b in range(1, 201)]  # symbols may hold underscores
  table = histone_csv.read_remc_csv(_write(tmp_path, rows))
  assert table.gene_ids == ("ENSG01", "ENSG02")
  assert table.marks.shape == (2, 200, 5) and table.labels is None
  np.testing.assert_array_equal(table.marks[0, 6], [7, 1, 2, 3, 4])
  rows[10] = "ENSG01ABC11,1,1,1,1,1"
  error = _error(_write(tmp_path, rows), histone_csv.read_remc_csv)
  assert error.line == 11 and "GENEID_SYMBOL_BIN" in str(error)


def test_expression_file(tmp_path):
  path = _write(tmp_path, ["ENSG1,5", "ENSG2,0"], "expr.csv")
  assert histone_csv.read_expression_csv(path) == {"ENSG1": 5.0, "ENSG2": 0.0}
  error = _error(_write(tmp_path, ["ENSG1,5", "ENSG1,3"], "dup.csv"), histone_csv.read_expression_csv)
  assert error.line == 2 and "listed twice" in str(error)
  error = _error(_write(tmp_path, ["ENSG1,-5"], "neg.csv"), histone_csv.read_expression_csv)
  assert "non-negative" in str(error)
