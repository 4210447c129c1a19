"""`--mode=export`: model directories that predict like their workdirs, without the training data."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from regjax import datasets, export, predict, train
from regjax.datasets import histone_sources
from regjax.errors import UserError
from tests.conftest import REPO, load_config

BUNDLED = histone_sources.bundled_data_dir()
INPUTS = {
    "histone": str(BUNDLED / "deepchrome_toy" / "test.csv"),
    "pair": f"{BUNDLED / 'remc_sample' / 'Cell1.test.csv.gz'},"
            f"{BUNDLED / 'remc_sample' / 'Cell2.test.csv.gz'}",
}


# DeepChrome, AttentiveChrome and the LSTM are exported in tests/test_prepare_histone.py (on three
# prepared marks), the DeepMotif CNN in tests/test_variants.py (its variant log-odds).
@pytest.mark.slow
@pytest.mark.parametrize("name,arg,kind", [
    ("deepchrome_regression", "runlocal", "histone"),  # target statistics travel
    ("deepdiff", "runlocal", "pair"),                  # two inputs, the lfc's statistics
])
def test_exported_models_predict_like_their_workdirs_without_data(tmp_path, monkeypatch, name,
                                                                  arg, kind):
  config = load_config(name, arg)
  config.train.num_epochs = 1
  workdir = str(tmp_path / "run")
  train.train_and_evaluate(config, workdir)
  inputs = INPUTS[kind]
  from_workdir = predict.predict_file(workdir, inputs, str(tmp_path / "a.tsv"))
  export.export_workdir(workdir, str(tmp_path / "model"))
  with pytest.raises(UserError, match="already exists"):
    export.export_workdir(workdir, str(tmp_path / "model"))

  def no_data(*args, **kwargs):
    raise AssertionError("a model directory must not read training data")
  monkeypatch.setattr(datasets, "create_dataset", no_data)
  monkeypatch.setenv("REGJAX_DATA_DIR", str(tmp_path / "empty"))
  monkeypatch.setattr(histone_sources, "bundled_data_dir", lambda: tmp_path / "nowhere")
  from_model = predict.predict_file(None, inputs, str(tmp_path / "b.tsv"),
                                    model=str(tmp_path / "model"))
  a = [line.split("\t") for line in open(from_workdir).read().splitlines()]
  b = [line.split("\t") for line in open(from_model).read().splitlines()]
  assert [r[0] for r in a] == [r[0] for r in b] and len(a) > 5
  np.testing.assert_allclose([float(r[1]) for r in a[1:]], [float(r[1]) for r in b[1:]],
                             rtol=1e-5, atol=1e-6)


@pytest.mark.slow
def test_the_command_line_predicts_with_the_shipped_model(tmp_path):
  out = tmp_path / "scores.tsv"
  done = subprocess.run([sys.executable, "-m", "regjax.main", "--mode=predict",
                         "--model=pretrained:attentivechrome_E003", f"--input={INPUTS['histone']}",
                         f"--output={out}"], cwd=REPO, capture_output=True, text=True)
  assert done.returncode == 0, done.stderr
  rows = out.read_text().splitlines()
  expected = np.loadtxt(REPO / "tests" / "data" / "pretrained" / "deepchrome_toy_test_expected.tsv")
  np.testing.assert_allclose([float(r.split("\t")[1]) for r in rows[1:]], expected, atol=1e-5)
  missing = subprocess.run([sys.executable, "-m", "regjax.main", "--mode=predict",
                            "--model=pretrained:attentivechrome_E003",
                            f"--input={INPUTS['histone']}"], cwd=REPO, capture_output=True,
                           text=True)
  assert missing.returncode == 2 and "needs --output=FILE" in missing.stderr
