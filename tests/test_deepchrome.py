"""The DeepChrome CNN: published shapes and size, dropout, and that it can actually learn."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from regjax import metrics
from regjax.models import create_model
from regjax.models.deepchrome import DeepChrome
from tests.conftest import TEST_SEED, load_config


def test_published_shapes_and_parameter_count():
  model = DeepChrome()
  params = model.init(jax.random.key(0), jnp.zeros((1, 100, 5)))["params"]
  shapes = jax.tree.map(lambda x: x.shape, params)
  assert shapes["conv"]["kernel"] == (10, 5, 50)
  assert shapes["hidden_0"]["kernel"] == (900, 625)  # 18 pooled positions x 50 filters
  assert shapes["hidden_1"]["kernel"] == (625, 125)
  assert shapes["output"]["kernel"] == (125, 2)
  assert sum(x.size for x in jax.tree.leaves(params)) == 644_177  # the published CNN (docs/fidelity.md)
  out = model.apply({"params": params}, jnp.ones((7, 100, 5)))
  assert out.shape == (7, 2)
  maps = model.apply({"params": params}, jnp.ones((7, 100, 5)), method=model.first_layer_activations)
  assert maps.shape == (7, 91, 50) and bool((maps >= 0).all())


def test_torch_default_init_range():
  params = DeepChrome().init(jax.random.key(1), jnp.zeros((1, 100, 5)))["params"]
  bound = np.float32(1 / np.sqrt(900))  # float32 rounding can touch the bound itself
  kernel = np.asarray(params["hidden_0"]["kernel"])
  assert np.abs(kernel).max() <= bound and np.abs(kernel).max() > 0.95 * bound


def test_dropout_only_in_training():
  model = DeepChrome()
  x = jax.random.uniform(jax.random.key(0), (4, 100, 5), maxval=20.0)
  params = model.init(jax.random.key(0), x)["params"]
  a = model.apply({"params": params}, x)
  np.testing.assert_array_equal(a, model.apply({"params": params}, x))
  b = model.apply({"params": params}, x, train=True, rngs={"dropout": jax.random.key(1)})
  c = model.apply({"params": params}, x, train=True, rngs={"dropout": jax.random.key(2)})
  assert not np.allclose(b, c)


def test_input_transform():
  x = jnp.full((1, 100, 5), 3.0)
  raw = DeepChrome(input_transform="none")
  logged = DeepChrome(input_transform="log1p")
  params = raw.init(jax.random.key(0), x)["params"]
  np.testing.assert_allclose(logged.apply({"params": params}, x),
                             raw.apply({"params": params}, jnp.log1p(x)), rtol=1e-6)


def test_config_builds_the_model_and_rejects_unknown_fields():
  config = load_config("deepchrome")
  model = create_model(config.model)
  assert isinstance(model, DeepChrome) and model.hidden_sizes == (625, 125)
  with config.model.unlocked():
    config.model.num_layers = 3
  with pytest.raises(Exception, match="has no field.*num_layers"):
    create_model(config.model)


def test_learns_a_planted_pattern():
  """Genes whose H3K4me3 is high at bins 40-60 are ON: a few hundred steps must separate them."""
  rng = np.random.default_rng(TEST_SEED)
  x = rng.poisson(2.0, size=(64, 100, 5)).astype(np.float32)
  y = rng.integers(0, 2, 64)
  x[y == 1, 40:60, 3] += rng.poisson(6.0, size=(int(y.sum()), 20))
  model = DeepChrome()
  params = model.init(jax.random.key(TEST_SEED), x[:1])["params"]
  tx = optax.adam(1e-3)
  opt_state = tx.init(params)

  @jax.jit
  def step(params, opt_state, key):
    def loss_fn(p):
      logits = model.apply({"params": p}, x, train=True, rngs={"dropout": key})
      return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()
    loss, grads = jax.value_and_grad(loss_fn)(params)
    updates, opt_state = tx.update(grads, opt_state)
    return optax.apply_updates(params, updates), opt_state, loss

  first = None
  for i in range(150):
    params, opt_state, loss = step(params, opt_state, jax.random.key(i))
    first = first if first is not None else float(loss)
  scores = jax.nn.softmax(model.apply({"params": params}, x))[:, 1]
  print(f"loss {first:.3f} -> {float(loss):.3f} in 150 steps")
  assert float(loss) < 0.2 * first
  assert metrics.auroc(y, np.asarray(scores)) == 1.0


def test_max_pool_matches_flax_values_and_gradients():
  import flax.linen as nn
  from regjax.models import layers
  x = jax.nn.relu(jax.random.normal(jax.random.key(0), (3, 93, 7)))  # ReLU zeros: ties
  for window in (2, 5):
    ours = layers.max_pool_1d(x, window)
    theirs = nn.max_pool(x, (window,), strides=(window,))
    np.testing.assert_array_equal(ours, theirs)
    weights = jax.random.normal(jax.random.key(1), theirs.shape)
    grad_ours = jax.grad(lambda v: jnp.sum(layers.max_pool_1d(v, window) * weights))(x)
    grad_theirs = jax.grad(lambda v: jnp.sum(nn.max_pool(v, (window,), strides=(window,)) *
                                             weights))(x)
    np.testing.assert_array_equal(grad_ours, grad_theirs)
