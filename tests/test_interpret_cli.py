"""`--mode=interpret` and `--mode=predict` on trained workdirs, through the command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from regjax.datasets import histone_sources
from tests.conftest import REPO, load_config

pytestmark = pytest.mark.slow
FAST = ["--config.interpret.num_sequences=6", "--config.interpret.num_plots=1",
        "--config.interpret.num_starts=2", "--config.interpret.steps=50",
        "--config.interpret.ig_steps=8"]


def _cli(*args):
  done = subprocess.run([sys.executable, "-m", "regjax.main", *args], cwd=REPO,
                        capture_output=True, text=True, timeout=600)
  assert done.returncode == 0, done.stderr[-2000:]
  return done


@pytest.fixture(scope="module")
def deepchrome_run(tmp_path_factory):
  workdir = str(tmp_path_factory.mktemp("dc"))
  _cli("--config=configs/deepchrome.py:runlocal", f"--workdir={workdir}")
  return workdir


def test_interpret_histone_model(deepchrome_run):
  _cli("--config=configs/deepchrome.py:interpret_fast", f"--workdir={deepchrome_run}",
       "--mode=interpret")
  folder = os.path.join(deepchrome_run, "interpret")
  index = open(os.path.join(folder, "index.md")).read()
  for name in ("saliency", "integrated_gradients", "class_optimization", "feature_maps"):
    assert f"![{name}]({name}.png)" in index
    assert os.path.getsize(os.path.join(folder, f"{name}.png")) > 1000
  saliency = np.load(os.path.join(folder, "saliency.npz"))
  assert saliency["maps"].shape == (200, 100, 5)
  summary = json.load(open(os.path.join(folder, "summary.json")))
  assert abs(sum(summary["saliency share per mark"].values()) - 1) < 0.01


# A fresh interpreter in which the training data cannot be reached: no data set can be built, the
# data dir is empty and the bundled samples' folder does not exist.
_NO_DATA = """
import pathlib, sys
from regjax import datasets
from regjax.datasets import histone_sources
def no_data(*args, **kwargs):
  raise AssertionError("a model directory must not read training data")
datasets.create_dataset = no_data
histone_sources.bundled_data_dir = lambda: pathlib.Path("/nonexistent/regjax-bundled")
from regjax import main
sys.argv = ["regjax.main", *sys.argv[1:]]
main.run()
"""


def test_interpret_an_exported_model_without_its_data(deepchrome_run, tmp_path):
  """Export, then interpret the same genes from the workdir and, in a fresh process that cannot
  reach any training data, from the model directory: the same arrays."""
  genes = tmp_path / "genes.csv"
  genes.write_bytes((histone_sources.bundled_data_dir() / "deepchrome_toy" / "test.csv").read_bytes())
  _cli("--config=configs/deepchrome.py", f"--workdir={deepchrome_run}", "--mode=export",
       f"--output={tmp_path / 'model'}")
  _cli("--config=configs/deepchrome.py:interpret_fast", f"--workdir={deepchrome_run}",
       "--mode=interpret", f"--input={genes}")
  env = {**os.environ, "REGJAX_DATA_DIR": str(tmp_path / "empty")}
  args = ["--config=configs/deepchrome.py:interpret_fast", "--mode=interpret",
          f"--model={tmp_path / 'model'}", f"--input={genes}"]
  missing = subprocess.run([sys.executable, "-c", _NO_DATA, *args], cwd=REPO, env=env,
                           capture_output=True, text=True)
  assert missing.returncode == 2 and "needs --output=FOLDER" in missing.stderr
  done = subprocess.run([sys.executable, "-c", _NO_DATA, *args, f"--output={tmp_path / 'out'}"],
                        cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
  assert done.returncode == 0, done.stderr[-2000:]
  from_workdir, from_model = os.path.join(deepchrome_run, "interpret-genes"), tmp_path / "out"
  for name in ("saliency", "integrated_gradients", "class_optimization", "feature_maps"):
    a, b = np.load(os.path.join(from_workdir, f"{name}.npz")), np.load(from_model / f"{name}.npz")
    assert a.files == b.files
    for key in a.files:
      np.testing.assert_array_equal(a[key], b[key], err_msg=f"{name}.npz {key}")
  summary = json.load(open(from_model / "summary.json"))
  assert summary["examples"] == 10 and summary["groups from"] == f"the labels of {genes}"
  assert summary["class optimisation scale from"] == "the training split (model.json)"


def test_predict_both_histone_layouts(deepchrome_run, tmp_path):
  toy = histone_sources.bundled_data_dir() / "deepchrome_toy" / "test.csv"
  out = tmp_path / "toy.tsv"
  _cli("--config=configs/deepchrome.py", f"--workdir={deepchrome_run}", "--mode=predict",
       f"--input={toy}", f"--output={out}")
  rows = out.read_text().splitlines()
  assert rows[0] == "id\tscore\tlabel" and len(rows) == 11
  remc = histone_sources.bundled_data_dir() / "remc_sample" / "Cell1.test.csv.gz"
  out = tmp_path / "remc.tsv"
  from regjax import predict  # in this process: one JAX start-up fewer
  predict.predict_file(deepchrome_run, str(remc), str(out))
  assert out.read_text().splitlines()[0] == "id\tscore"   # the REMC layout has no labels
  predicted = [float(r.split("\t")[1]) for r in out.read_text().splitlines()[1:]]
  # The REMC file is E123's own test split: the same scores as the run's test predictions.
  reference = [float(r.split("\t")[1]) for r in
               open(os.path.join(deepchrome_run, "predictions", "test.tsv")).read().splitlines()[1:]]
  np.testing.assert_allclose(predicted, reference, rtol=1e-4)


def test_interpret_and_predict_dna_model(tmp_path):
  """Trained through the command line; interpreted and applied in this process (the same
  functions `--mode=interpret` and `--mode=predict` call, without two more JAX start-ups)."""
  from regjax import predict
  from regjax.interpret import report
  workdir = str(tmp_path / "cnnrnn")
  _cli("--config=configs/deepmotif_cnnrnn.py:runlocal", f"--workdir={workdir}",
       "--config.train.num_epochs=1")
  report.interpret_workdir(load_config("deepmotif_cnnrnn", "interpret_fast"), workdir)
  folder = os.path.join(workdir, "interpret")
  attributions = np.load(os.path.join(folder, "attributions.npz"))
  assert attributions["ism"].shape == (6, 101, 4)
  temporal = np.load(os.path.join(folder, "temporal_outputs.npz"))
  assert temporal["forward"].shape == (6, 101)
  assert "class_optimization.png" in open(os.path.join(folder, "index.md")).read()
  summary = json.load(open(os.path.join(folder, "summary.json")))
  assert float(summary["DeepSHAP summation to delta (max |error|)"]) < 1e-4
  assert np.load(os.path.join(folder, "modisco", "ohe.npz"))["arr_0"].shape == (6, 4, 101)
  shap = np.load(os.path.join(folder, "modisco", "shap.npz"))["arr_0"]
  assert shap.shape == (6, 4, 101) and np.abs(shap).max() > 0
  matches = open(os.path.join(folder, "motif_matches.tsv")).read().splitlines()
  assert matches[0].split("\t") == ["source", "pattern", "rank", "database", "motif_id",
                                    "motif_name", "offset", "strand", "p_value", "q_value"]
  assert {row.split("\t")[0] for row in matches[1:]} >= {"class_optimization", "filter"}
  fasta = tmp_path / "mine.fa"
  fasta.write_text(">a 1\nACGTACGTTTGACCAGCAGGGGGCGCTA\n>b 0\nTTTTTTTTTTTT\n")
  predict.predict_file(workdir, str(fasta), str(tmp_path / "out.tsv"))
  rows = (tmp_path / "out.tsv").read_text().splitlines()
  assert rows[0] == "id\tscore\tlabel\tinput_length"
  assert rows[1].startswith("a\t") and rows[2].endswith("\t0\t12")
