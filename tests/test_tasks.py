"""Losses and scores of the two tasks."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

from regjax import tasks
from regjax.errors import ConfigError


def test_classification_heads_agree():
  task = tasks.get_task("classification")
  logit = jnp.array([[0.3], [-1.2]])
  two_way = jnp.concatenate([jnp.zeros_like(logit), logit], axis=-1)  # softmax == sigmoid of diff
  np.testing.assert_allclose(task.score(logit), task.score(two_way), rtol=1e-6)
  labels = jnp.array([1, 0])
  np.testing.assert_allclose(task.loss(logit, labels), task.loss(two_way, labels), rtol=1e-6)


def test_regression_standardises_targets_and_maps_back():
  train_targets = np.array([2.0, 4.0, 6.0, 8.0])
  task = tasks.get_task("regression").fit_targets(train_targets)
  assert task.target_mean == 5.0 and task.target_std == pytest.approx(np.std(train_targets))
  targets = jnp.array([3.0, 9.0])
  perfect = ((targets - task.target_mean) / task.target_std)[:, None]
  np.testing.assert_allclose(task.loss(perfect, targets), 0.0, atol=1e-12)
  np.testing.assert_allclose(task.score(perfect), targets, rtol=1e-6)
  assert task.evaluate(np.asarray(targets), np.asarray(task.score(perfect)))["mse"] < 1e-10


def test_unknown_task():
  with pytest.raises(ConfigError, match="unknown task 'ranking'"):
    tasks.get_task("ranking")
