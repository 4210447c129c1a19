"""The fused bin-level LSTM (`regjax/models/fused_lstm.py`) computes what the Flax modules compute."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from regjax import parallel
from regjax.models import fused_lstm
from regjax.models.attentivechrome import AttentiveChrome
from regjax.models.deepdiff import DeepDiff


def _random_lstm(key, units, hidden, steps, batch):
  keys = jax.random.split(key, 4)
  uniform = lambda k, shape: jax.random.uniform(k, shape, jnp.float64, -0.6, 0.6)  # noqa: E731
  input_kernels = tuple(uniform(k, (units, hidden)) for k in jax.random.split(keys[0], 4))
  hidden_kernels = tuple(uniform(k, (units, hidden, hidden)) for k in jax.random.split(keys[1], 4))
  biases = tuple(uniform(k, (units, hidden)) for k in jax.random.split(keys[2], 4))
  inputs = jax.random.normal(keys[3], (units, steps, batch), jnp.float64)
  return input_kernels, hidden_kernels, biases, inputs


def _autodiff_lstm(input_kernels, hidden_kernels, biases, inputs):
  """The forward pass with JAX's own backward pass (no custom VJP)."""
  return fused_lstm._forward(input_kernels, hidden_kernels, biases, inputs)[0]


@pytest.mark.parametrize("batch_devices", [1, 2])
@pytest.mark.parametrize("steps", [1, 2, 7])
def test_hand_written_backward_pass_equals_autodiff(steps, batch_devices):
  """Every gradient (input, recurrent and bias weights, inputs) of the custom VJP equals JAX's
  autodiff of the same forward pass, in float64, including the first and last steps; also when
  traced for a batch split over 2 devices, where the weight gradients contract (steps, examples)
  unmerged."""
  mesh = jax.sharding.AbstractMesh((batch_devices,), ("data",),
                                   axis_types=(jax.sharding.AxisType.Auto,))
  with jax.enable_x64(True), jax.sharding.use_abstract_mesh(mesh):
    assert parallel.batch_devices() == batch_devices
    args = _random_lstm(jax.random.key(steps), units=3, hidden=4, steps=steps, batch=2)
    cotangent = jax.random.normal(jax.random.key(99), (3, steps, 2, 4), jnp.float64)
    loss = lambda fn: lambda *a: jnp.sum(fn(*a) * cotangent)  # noqa: E731
    ours = jax.grad(loss(fused_lstm.multi_lstm), argnums=(0, 1, 2, 3))(*args)
    # The states the training (residual-storing) forward pass returns are the plain pass's.
    np.testing.assert_array_equal(jax.vjp(fused_lstm.multi_lstm, *args)[0], _autodiff_lstm(*args))
    reference = jax.grad(loss(_autodiff_lstm), argnums=(0, 1, 2, 3))(*args)
    for got, want in zip(jax.tree.leaves(ours), jax.tree.leaves(reference)):
      assert got.dtype == jnp.float64
      np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    assert max(float(jnp.abs(g).max()) for g in jax.tree.leaves(ours)) > 1e-2


def _flax_and_fused(model_cls, inputs, **kwargs):
  fused, flax = model_cls(**kwargs), model_cls(fused_lstm=False, **kwargs)
  params = fused.init(jax.random.key(3), *inputs)["params"]
  assert (jax.tree.structure(params)
          == jax.tree.structure(flax.init(jax.random.key(3), *inputs)["params"]))
  return fused, flax, params


@pytest.mark.parametrize("model_cls,kwargs,num_inputs", [
    # 19 s and 20 s to compile; the fast tier checks the fused LSTM's own gradients above
    pytest.param(AttentiveChrome, {}, 1, marks=pytest.mark.slow),
    pytest.param(DeepDiff, {"variant": "raw_c"}, 2, marks=pytest.mark.slow),
])
def test_models_give_the_flax_paths_outputs_and_gradients(model_cls, kwargs, num_inputs):
  rng = np.random.default_rng(0)
  inputs = tuple(jnp.asarray(rng.poisson(3.0, (4, 12, 5)), jnp.float32) for _ in range(num_inputs))
  fused, flax, params = _flax_and_fused(model_cls, inputs, **kwargs)
  attend = lambda model: jax.jit(lambda p: model.apply({"params": p}, *inputs,  # noqa: E731
                                                       method=model.attend))
  got, want = attend(fused)(params), attend(flax)(params)
  for name in want:
    np.testing.assert_allclose(got[name], want[name], rtol=1e-5, atol=1e-6, err_msg=name)

  def loss(model):
    def fn(p):
      out = model.apply({"params": p}, *inputs, method=model.attend)
      return sum(jnp.sum(jnp.sin(3 * v)) for v in jax.tree.leaves(out))
    return fn
  got, want = jax.jit(jax.grad(loss(fused)))(params), jax.jit(jax.grad(loss(flax)))(params)
  scale = max(float(jnp.abs(g).max()) for g in jax.tree.leaves(want))
  for (path, g), w in zip(jax.tree_util.tree_leaves_with_path(got), jax.tree.leaves(want)):
    np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-5 * scale,
                               err_msg=jax.tree_util.keystr(path))
