"""Classical baselines run through the same CLI and results format; selection uses validation."""

from __future__ import annotations

import json

import numpy as np
import pytest

from regjax import runner
from regjax.errors import ConfigError
from tests.conftest import load_config


@pytest.mark.parametrize("name,metric", [("baseline_svm", "auroc"), ("baseline_linear", "pearson_r")])
def test_classical_baseline_results(name, metric, tmp_path):
  config = load_config(name)
  results = runner.run("train", config, str(tmp_path))
  on_disk = json.load(open(tmp_path / "results.json"))
  assert on_disk["test"][metric] == pytest.approx(results["test"][metric])
  best = max(results["grid"], key=lambda g: g[f"valid_{metric}"])
  assert results["selected_params"] == best["params"]
  assert results["valid"][metric] == pytest.approx(best[f"valid_{metric}"])
  assert results["test"][metric] > (0.8 if metric == "auroc" else 0.6)
  assert len(open(tmp_path / "predictions" / "test.tsv").read().splitlines()) == 201


def test_random_forest_scores_are_probabilities(tmp_path):
  config = load_config("baseline_random_forest")
  config.model.grid = {"n_estimators": (20,), "min_samples_leaf": (5,), "max_features": ("sqrt",)}
  runner.run("train", config, str(tmp_path))
  scores = np.loadtxt(tmp_path / "predictions" / "test.tsv", skiprows=1, usecols=1)
  assert scores.min() >= 0 and scores.max() <= 1


def test_estimator_task_mismatch(tmp_path):
  config = load_config("baseline_svr")
  config.task = "classification"
  with pytest.raises(ConfigError, match="estimator 'svr' is for regression"):
    runner.run("train", config, str(tmp_path))


def test_regression_needs_expression_values(toy_archive, tmp_path):
  config = load_config("deepchrome_regression")
  config.data.cell = "E000"
  config.data.archive_dir = str(toy_archive)
  with pytest.raises(ConfigError, match="regression needs the bundled REMC sample"):
    runner.run("train", config, str(tmp_path))
