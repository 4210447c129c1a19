"""Metrics agree with scikit-learn (ties included) and handle the undefined cases."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as sk

from regjax import metrics


@pytest.mark.parametrize("seed", range(20))
def test_auroc_and_auprc_equal_sklearn_with_ties(seed):
  rng = np.random.default_rng(seed)
  n = int(rng.integers(2, 300))
  labels = rng.integers(0, 2, n)
  labels[:2] = [0, 1]
  # Few distinct values -> many ties; sometimes continuous scores.
  scores = rng.integers(0, 5, n) / 4.0 if seed % 2 else rng.normal(size=n)
  assert metrics.auroc(labels, scores) == pytest.approx(sk.roc_auc_score(labels, scores), abs=1e-12)
  assert metrics.auprc(labels, scores) == pytest.approx(
      sk.average_precision_score(labels, scores), abs=1e-12)


def test_known_values():
  assert metrics.auroc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == pytest.approx(0.75)
  assert metrics.auroc([0, 1], [0.5, 0.5]) == 0.5  # a tie counts one half
  assert metrics.auroc([1, 1, 0, 0], [0.9, 0.8, 0.2, 0.1]) == 1.0
  assert metrics.auprc([1, 0, 1, 0], [0.9, 0.8, 0.7, 0.1]) == pytest.approx((1 + 2 / 3) / 2)


def test_one_class_is_nan():
  assert np.isnan(metrics.auroc([1, 1, 1], [0.1, 0.2, 0.3]))
  assert np.isnan(metrics.auprc([0, 0], [0.1, 0.2]))


def test_bad_inputs_raise():
  with pytest.raises(ValueError, match="labels must be 0 or 1"):
    metrics.auroc([0, 2], [0.1, 0.2])
  with pytest.raises(ValueError, match="differ in length"):
    metrics.auroc([0, 1, 1], [0.1, 0.2])
  with pytest.raises(ValueError, match="NaN"):
    metrics.auroc([0, 1], [np.nan, 0.2])


def test_pearson_r():
  rng = np.random.default_rng(0)
  x, y = rng.normal(size=50), rng.normal(size=50)
  assert metrics.pearson_r(x, x + 0.5 * y) == pytest.approx(np.corrcoef(x, x + 0.5 * y)[0, 1])
  assert metrics.pearson_r(x, -2 * x + 1) == pytest.approx(-1.0)
  assert np.isnan(metrics.pearson_r(x, np.ones(50)))
  assert metrics.mean_squared_error([1, 2], [1, 4]) == 2.0
