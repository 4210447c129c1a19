"""DeepLIFT / DeepSHAP: exact cases, summation to delta on every family, refused primitives."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import linen as nn

from regjax import models
from regjax.interpret import deeplift as dl
from regjax.interpret.deeplift_rules import UnsupportedPrimitive
from tests.conftest import TEST_SEED

RNG = np.random.default_rng(TEST_SEED)


class _Linear(nn.Module):
  @nn.compact
  def __call__(self, x, train=False):
    return nn.Dense(1)(x.reshape(len(x), -1))


class _OneRelu(nn.Module):
  """y = v * relu(w . x + b) + c."""
  @nn.compact
  def __call__(self, x, train=False):
    return nn.Dense(1, name="out")(nn.relu(nn.Dense(1, name="hidden")(x)))


class _Sorted(nn.Module):
  @nn.compact
  def __call__(self, x, train=False):
    return nn.Dense(1)(jnp.sort(x, axis=-1))


def _init(module, *inputs):
  return module.init(jax.random.key(TEST_SEED), *inputs)["params"]


def test_linear_model_contributions_are_the_input_change_times_the_weights():
  x, ref = RNG.normal(size=(7, 10, 4)), RNG.normal(size=(7, 3, 10, 4))
  params = _init(_Linear(), jnp.asarray(x, jnp.float32))
  result = dl.deeplift(_Linear().apply, params, x, ref)
  w = np.asarray(params["Dense_0"]["kernel"])[:, 0].reshape(10, 4)
  np.testing.assert_allclose(result["contributions"], ((x[:, None] - ref) * w).mean(1),
                             rtol=1e-5, atol=1e-6)
  # one-hot DNA: hypothetical contributions w[l, b] - sum_c w[l, c] ref[l, c]; the contributions
  # at the observed base, with the same sum per position
  dna = np.eye(4)[RNG.integers(0, 4, (7, 10))]
  result = dl.deeplift(_Linear().apply, params, dna, ref, one_hot=True)
  expected = (w - (w * ref).sum(-1, keepdims=True)).mean(1)
  np.testing.assert_allclose(result["hypothetical"], expected, rtol=1e-5, atol=1e-6)
  np.testing.assert_allclose(result["contributions"], expected * dna, rtol=1e-5, atol=1e-6)
  np.testing.assert_allclose(result["contributions"].sum(-1),
                             ((dna[:, None] - ref) * w).mean(1).sum(-1), rtol=1e-5, atol=1e-6)


def test_one_relu_network_follows_the_rescale_rule_by_hand():
  x, ref = RNG.normal(size=(64, 3)), RNG.normal(size=(3,))
  params = _init(_OneRelu(), jnp.asarray(x, jnp.float32))
  w = np.asarray(params["hidden"]["kernel"])[:, 0]
  b = float(params["hidden"]["bias"][0])
  v = float(params["out"]["kernel"][0, 0])
  z, z_ref = x @ w + b, ref @ w + b
  relu = lambda t: np.maximum(t, 0)  # noqa: E731
  with np.errstate(divide="ignore", invalid="ignore"):
    slope = np.where(np.abs(z - z_ref) < 1e-6, (z > 0).astype(float),
                     (relu(z) - relu(z_ref)) / (z - z_ref))
  expected = (x - ref) * (v * slope)[:, None] * w
  result = dl.deeplift(_OneRelu().apply, params, x, ref)
  np.testing.assert_allclose(result["contributions"], expected, rtol=1e-4, atol=1e-6)
  # gradient x (x - ref) would differ wherever z and z_ref sit on both sides of the hinge
  assert np.any((z > 0) != (z_ref > 0))


def _family(name):
  """(model, inputs, references) with random parameters, as used in the summation test."""
  if name.startswith("deepmotif"):
    codes = RNG.integers(0, 4, (3, 101))
    x = np.eye(4, dtype=np.float32)[codes]
    return models.create_model({"name": name}), (x,), (dl.shuffled_references(codes, 4, TEST_SEED),)
  if name.startswith("deepdiff"):
    variant = name.split(":")[1]
    xs = tuple(RNG.poisson(3, (3, 200, 5)).astype(np.float32) for _ in range(2))
    return (models.create_model({"name": "deepdiff", "variant": variant}), xs,
            (np.zeros((200, 5)), np.zeros((200, 5))))
  config = {"name": name.split(":")[0]}
  if name.endswith(":regression"):
    config["num_outputs"] = 1
  x = RNG.poisson(3, (3, 100, 5)).astype(np.float32)
  background = RNG.poisson(2, (100, 5)).astype(np.float32)
  return models.create_model(config), (x,), (background,)


# The recurrent families (scan, gates, attention) compile for several seconds each: slow tier.
@pytest.mark.parametrize("name", [
    "deepmotif_cnn", "deepchrome", "deepchrome:regression",
    *[pytest.param(n, marks=pytest.mark.slow) for n in (
        "deepmotif_rnn", "deepmotif_cnnrnn", "attentivechrome", "lstm",
        "deepdiff:raw_aux_siamese")]])
def test_contributions_sum_to_the_change_of_the_score_on_every_family(name):
  model, inputs, references = _family(name)
  params = model.init({"params": jax.random.key(TEST_SEED), "dropout": jax.random.key(1)},
                      *inputs, train=False)["params"]
  result = dl.deeplift(model.apply, params, inputs, references,
                       one_hot=name.startswith("deepmotif"))
  summed = sum(np.asarray(c).reshape(len(c), -1).sum(1) for c in result["contributions"])
  # the mean over references of f(x) - f(ref), from two forward passes of the model itself
  score = dl.deeplift_score(model.apply)
  k = np.asarray(result["delta"]).shape[1]
  refs = [dl._per_example(np.asarray(r, np.float32), x).reshape((-1,) + x.shape[1:])
          for r, x in zip(references, inputs)]
  f_x = np.asarray(score(params, *[jnp.asarray(x) for x in inputs]))
  f_ref = np.asarray(score(params, *[jnp.asarray(r) for r in refs])).reshape(len(f_x), k)
  np.testing.assert_allclose(result["delta"], f_x[:, None] - f_ref, atol=1e-5)
  assert np.abs(summed - (f_x[:, None] - f_ref).mean(1)).max() < 1e-4
  assert dl.summation_error(result)["max_abs"] < 1e-4
  assert np.abs(result["delta"]).max() > 1e-4  # the check is not vacuous


def test_global_max_credits_the_position_that_won():
  """f(x) = max_l x_l: the whole change goes to the input's argmax when the max grew, to the
  reference's argmax when it fell."""
  class Max(nn.Module):
    @nn.compact
    def __call__(self, x, train=False):
      return x.max(axis=1, keepdims=True)  # one output per example
  x = np.array([[0.0, 3.0, 1.0], [0.0, 1.0, 0.5]], np.float32)
  ref = np.array([[1.0, 0.0, 2.0], [2.0, 0.0, 0.0]], np.float32)
  result = dl.deeplift(Max().apply, {}, x, ref)
  np.testing.assert_allclose(result["contributions"], [[0, 1, 0], [-1, 0, 0]], atol=1e-6)


def test_a_primitive_without_a_rule_is_refused_not_skipped():
  x = RNG.normal(size=(2, 6)).astype(np.float32)
  params = _init(_Sorted(), jnp.asarray(x))
  with pytest.raises(UnsupportedPrimitive, match="no rule for `sort`"):
    dl.deeplift(_Sorted().apply, params, x, np.zeros(6))


@pytest.mark.slow
def test_deep_shap_is_seeded_and_batched_consistently():
  model = models.create_model({"name": "deepmotif_cnn"})
  codes = RNG.integers(0, 4, (5, 101))
  x = np.eye(4, dtype=np.float32)[codes]
  params = model.init({"params": jax.random.key(TEST_SEED)}, x, train=False)["params"]
  a = dl.deep_shap(model.apply, params, x, codes, num_shuffles=3, seed=1, chunk_size=2)
  b = dl.deep_shap(model.apply, params, x, codes, num_shuffles=3, seed=1, chunk_size=5)
  np.testing.assert_allclose(a["hypothetical"], b["hypothetical"], rtol=1e-5, atol=1e-7)
  np.testing.assert_allclose((a["hypothetical"] * x).sum(-1), a["contributions"].sum(-1),
                             rtol=1e-4, atol=1e-7)
