"""Interpretation methods against exact answers: for a linear model saliency is the weights,
integrated gradients are (x - baseline) * w, and ISM deltas are weight differences."""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from regjax import interpret
from regjax.datasets import sequences


class Linear(nn.Module):
  @nn.compact
  def __call__(self, x, train=False):
    return nn.Dense(1)(x.reshape(x.shape[0], -1))


class TwoClassLinear(nn.Module):
  """Softmax over [0, w.x + b]: log-odds of class 1 are exactly w.x + b."""

  @nn.compact
  def __call__(self, x, train=False):
    logit = nn.Dense(1)(x.reshape(x.shape[0], -1))
    return jnp.concatenate([jnp.zeros_like(logit), logit], axis=-1)


@pytest.fixture(params=[Linear, TwoClassLinear], ids=["one_logit", "softmax"])
def linear(request):
  model = request.param()
  params = model.init(jax.random.key(0), jnp.zeros((1, 30, 4)))["params"]
  weights = np.asarray(params["Dense_0"]["kernel"][:, 0]).reshape(30, 4)
  return model, params, weights


@pytest.fixture
def dna():
  rng = np.random.default_rng(1)
  codes = rng.integers(0, 4, (7, 30))
  codes[0, 5] = 4  # an N
  return codes, sequences.one_hot(codes)


def test_saliency_is_the_weights(linear, dna):
  model, params, weights = linear
  _, x = dna
  grads = interpret.saliency(model.apply, params, x, chunk_size=3)
  np.testing.assert_allclose(grads, np.broadcast_to(weights, x.shape), rtol=1e-5, atol=1e-6)
  observed = interpret.saliency(model.apply, params, x, method="observed_base")
  np.testing.assert_allclose(observed, np.abs(weights) * x, rtol=1e-5, atol=1e-6)
  times_input = interpret.saliency(model.apply, params, x, method="gradient_x_input")
  np.testing.assert_allclose(times_input, weights * x, rtol=1e-5, atol=1e-6)


def test_integrated_gradients_are_input_times_weights(linear, dna):
  model, params, weights = linear
  codes, x = dna
  for baselines in (None, interpret.shuffled_baselines(codes)):
    b = np.zeros_like(x) if baselines is None else baselines
    attributions = interpret.integrated_gradients(model.apply, params, x, baselines, steps=8,
                                                  chunk_size=3)
    np.testing.assert_allclose(attributions, (x - b) * weights, rtol=1e-4, atol=1e-5)
    gap = interpret.completeness_gap(model.apply, params, x, baselines, attributions)
    np.testing.assert_allclose(gap, 0.0, atol=1e-4)


def test_ism_deltas_are_weight_differences(linear, dna):
  model, params, weights = linear
  codes, x = dna
  deltas = interpret.in_silico_mutagenesis(model.apply, params, x, chunk_size=2)
  assert deltas.shape == (7, 30, 4)
  for n in range(7):
    for i in range(30):
      observed = codes[n, i]
      for b in range(4):
        if observed == 4:  # N: substitutions to C, G, T from an all-zero row
          expected = weights[i, b] if b != 0 else 0.0
        else:
          expected = 0.0 if b == observed else weights[i, b] - weights[i, observed]
        assert deltas[n, i, b] == pytest.approx(expected, abs=1e-5)


def test_tuple_inputs_give_tuple_maps():
  class Pair(nn.Module):
    @nn.compact
    def __call__(self, a, b, train=False):
      return {"lfc": nn.Dense(1)(a.reshape(a.shape[0], -1) - b.reshape(b.shape[0], -1))[:, 0]}

  model = Pair()
  a = np.ones((5, 3, 2), np.float32)
  params = model.init(jax.random.key(0), a, a)["params"]
  grad_a, grad_b = interpret.saliency(model.apply, params, (a, 2 * a))
  w = np.asarray(params["Dense_0"]["kernel"][:, 0]).reshape(3, 2)
  np.testing.assert_allclose(grad_a, np.broadcast_to(w, a.shape), rtol=1e-5)
  np.testing.assert_allclose(grad_b, -np.broadcast_to(w, a.shape), rtol=1e-5)


def test_class_optimization_of_a_linear_model_follows_the_weights():
  model = Linear()
  params = model.init(jax.random.key(0), jnp.zeros((1, 30, 4)))["params"]
  weights = np.asarray(params["Dense_0"]["kernel"][:, 0]).reshape(30, 4)
  on = interpret.class_optimization(model.apply, params, (30, 4), target_class=1, num_starts=4,
                                    steps=300, learning_rate=0.05)
  off = interpret.class_optimization(model.apply, params, (30, 4), target_class=0, num_starts=4,
                                     steps=300, learning_rate=0.05)
  # ON pushes inputs up where the weight is positive and to 0 where it is negative; OFF the reverse.
  assert np.corrcoef(on["mean"].ravel(), weights.ravel())[0, 1] > 0.8
  assert np.corrcoef(off["mean"].ravel(), weights.ravel())[0, 1] < -0.8
  assert on["inputs"].shape == (4, 30, 4) and on["p_class"].min() > 0.5


@pytest.mark.parametrize("length,widths,pool", [
    pytest.param(101, (9, 5, 3), 2, marks=pytest.mark.slow),  # the bundled length; 33 has 3 layers
    (60, (7, 4), 3), (50, (5,), 2), (33, (8, 5, 3), 2)])
def test_windowed_ism_equals_full_forward_passes(length, widths, pool):
  """The receptive-field windows of fast_ism give the full network's scores for every mutant,
  including at the edges (positions that reach no pooled output change nothing) and at N rows."""
  from regjax.models.deepmotif import DeepMotifCNN
  model = DeepMotifCNN(num_filters=16, kernel_sizes=widths, pool_size=pool)
  params = model.init(jax.random.key(length), jnp.zeros((1, length, 4)))["params"]
  params = jax.tree.map(lambda p: 3 * p, params)  # larger weights: fewer dead ReLUs, bigger deltas
  codes = np.random.default_rng(length).integers(0, 4, (5, length)).astype(np.uint8)
  codes[0, :3] = 4
  x = sequences.one_hot(codes)
  full = interpret.in_silico_mutagenesis(model.apply, params, x, method="full")
  windowed = interpret.in_silico_mutagenesis(model.apply, params, x, method="windowed",
                                             chunk_size=3)
  assert (full != 0).mean() > 0.5
  np.testing.assert_allclose(windowed, full, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("length,widths,pool", [
    pytest.param(101, (9, 5, 3), 2, marks=pytest.mark.slow),   # the DeepMotif size
    pytest.param(33, (8, 5, 3), 2, marks=pytest.mark.slow),    # three layers, 5-9 s each
    (60, (7, 4), 3), (50, (5,), 2)])
@pytest.mark.parametrize("baseline", ["zeros", "uniform", "shuffled"])
def test_fast_integrated_gradients_equal_the_generic_path(length, widths, pool, baseline):
  """fast_ig's first-layer-once path (fixed pooling for position-constant baselines, per-step
  pooling otherwise) gives the generic path's attributions, with N rows and an odd length."""
  from regjax.models.deepmotif import DeepMotifCNN
  model = DeepMotifCNN(num_filters=16, kernel_sizes=widths, pool_size=pool)
  params = model.init(jax.random.key(length), jnp.zeros((1, length, 4)))["params"]
  params = jax.tree.map(lambda p: 3 * p, params)
  codes = np.random.default_rng(length).integers(0, 4, (5, length)).astype(np.uint8)
  codes[0, :3] = 4
  x = sequences.one_hot(codes)
  baselines = {"zeros": None, "uniform": np.full_like(x, 0.25),
               "shuffled": interpret.shuffled_baselines(codes)}[baseline]
  generic = interpret.integrated_gradients(model.apply, params, x, baselines, steps=10,
                                           method="generic")
  fast = interpret.integrated_gradients(model.apply, params, x, baselines, steps=10,
                                        method="fast", chunk_size=3)
  assert np.abs(generic).max() > 1e-3
  np.testing.assert_allclose(fast, generic, rtol=1e-4, atol=1e-6 * np.abs(generic).max())


def test_fast_integrated_gradients_need_a_cnn(linear, dna):
  model, params, _ = linear
  with pytest.raises(ValueError, match="DeepMotifCNN"):
    interpret.integrated_gradients(model.apply, params, dna[1], method="fast")


def test_windowed_ism_needs_a_cnn(linear, dna):
  model, params, _ = linear
  with pytest.raises(ValueError, match="DeepMotifCNN"):
    interpret.in_silico_mutagenesis(model.apply, params, dna[1], method="windowed")
