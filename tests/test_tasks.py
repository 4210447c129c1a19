"""Losses and scores of the three tasks, and DeepDiff's contrastive loss against a hand computation."""

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
  batch = {"label": jnp.array([1, 0])}
  np.testing.assert_allclose(task.loss(logit, batch), task.loss(two_way, batch), rtol=1e-6)
  np.testing.assert_allclose(task.loss(logit, batch), [np.log1p(np.exp(-0.3)), np.log1p(np.exp(-1.2))],
                             rtol=1e-6)


def test_regression_standardises_targets_and_maps_back():
  train_targets = np.array([2.0, 4.0, 6.0, 8.0])
  task = tasks.get_task("regression").fit_targets({"log_expression": train_targets})
  assert task.target_mean == 5.0 and task.target_std == pytest.approx(np.std(train_targets))
  targets = jnp.array([3.0, 9.0])
  perfect = ((targets - task.target_mean) / task.target_std)[:, None]
  np.testing.assert_allclose(task.loss(perfect, {"log_expression": targets}), 0.0, atol=1e-12)
  np.testing.assert_allclose(task.score(perfect), targets, rtol=1e-6)
  assert task.evaluate(np.asarray(targets), np.asarray(task.score(perfect)))["mse"] < 1e-10


def test_contrastive_loss_matches_a_hand_computation():
  a = jnp.array([[0.0, 0.0], [1.0, 1.0], [0.0, 3.0]])
  b = jnp.array([[3.0, 4.0], [1.0, 2.0], [0.0, 0.0]])
  different = jnp.array([0, 1, 1])
  # distances (eps 1e-6 added to the difference, as torch.pairwise_distance): 5, 1, 3
  d = [np.hypot(-3 + 1e-6, -4 + 1e-6), abs(-1 + 1e-6), abs(3 + 1e-6)]
  expected = [d[0]**2, (2.0 - d[1])**2, 0.0]  # similar: d^2; different: max(2 - d, 0)^2
  np.testing.assert_allclose(tasks.contrastive_loss(a, b, different, margin=2.0), expected,
                             rtol=1e-5, atol=1e-7)
  assert float(tasks.contrastive_loss(a, b, different).mean()) == pytest.approx(
      (25 + 1 + 0) / 3, rel=1e-4)


def test_differential_loss_adds_the_terms_a_model_provides():
  task = tasks.get_task("differential", {"standardize_targets": False, "contrastive_weight": 4.0})
  batch = {"lfc": jnp.array([3.0, 0.5]), "log2_expression_a": jnp.array([1.0, 2.0]),
           "log2_expression_b": jnp.array([4.0, 2.5])}
  plain = {"lfc": jnp.array([2.0, 0.5])}
  np.testing.assert_allclose(task.loss(plain, batch), [1.0, 0.0])
  aux = {**plain, "aux_a": jnp.array([1.0, 0.0]), "aux_b": jnp.array([4.0, 2.5])}
  np.testing.assert_allclose(task.loss(aux, batch), [1.0, 4.0])
  embeddings = {"embedding_a": jnp.zeros((2, 3)), "embedding_b": jnp.zeros((2, 3))}
  siamese = {**aux, **embeddings}
  # |lfc| = 3 >= 2: "different" at distance ~0 pays 4.0 x 2^2; |lfc| = 0.5: similar, pays ~0.
  np.testing.assert_allclose(task.loss(siamese, batch), [1.0 + 16.0, 4.0], rtol=1e-5)


def test_swapping_cells_flips_the_standardised_score():
  train = {"lfc": np.array([1.0, 3.0]), "log2_expression_a": np.array([1.0, 2.0]),
           "log2_expression_b": np.array([2.0, 5.0])}
  task = tasks.get_task("differential").fit_targets(train)
  assert task.target_mean == 2.0 and task.target_std == 1.0
  assert task.aux_mean == 2.5
  np.testing.assert_allclose(task.score({"lfc": jnp.array([0.0, 1.0])}), [2.0, 3.0])


def test_unknown_task_and_loss_fields():
  with pytest.raises(ConfigError, match="unknown task 'ranking'"):
    tasks.get_task("ranking")
  with pytest.raises(ConfigError, match="unknown field.*gamma"):
    tasks.get_task("differential", {"gamma": 4.0})
