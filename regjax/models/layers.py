"""Small pieces shared by the model families: input transforms, initializers, pooling."""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
from flax import linen as nn

# Torch7 / PyTorch default for Linear and Conv weights: U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
# variance_scaling with a uniform distribution draws from +/- sqrt(3 * scale / fan_in).
torch_default_init = nn.initializers.variance_scaling(1.0 / 3.0, "fan_in", "uniform")

INPUT_TRANSFORMS = ("none", "log1p")


def transform_counts(counts: jax.Array, transform: str) -> jax.Array:
  """Applies the model's input transform to raw read counts (any shape)."""
  if transform == "log1p":
    return jnp.log1p(counts)
  if transform == "none":
    return counts
  raise ValueError(f"unknown input_transform {transform!r}; expected one of {INPUT_TRANSFORMS}")


@functools.partial(jax.custom_vjp, nondiff_argnums=(1,))
def max_pool_1d(x: jax.Array, window: int) -> jax.Array:
  """Max pooling over axis 1 with stride = window, 'VALID' (Torch's TemporalMaxPooling(w)).

  x: [B, L, C] -> [B, L // window, C]. Same values and gradients as `nn.max_pool`, but the gradient
  is an elementwise mask instead of XLA's select-and-scatter, which on CPU took more time than the
  convolutions around it (2.4x faster for DeepMotif's pooling backward).
  """
  return nn.max_pool(x, (window,), strides=(window,))


def _max_pool_fwd(x, window):
  y = nn.max_pool(x, (window,), strides=(window,))
  return y, (x, y)


def _max_pool_bwd(window, residuals, grad):
  x, y = residuals
  batch, length, channels = x.shape
  count = y.shape[1]
  windows = x[:, :count * window].reshape(batch, count, window, channels)
  hit = windows == y[:, :, None, :]
  first = hit & (jnp.cumsum(hit, axis=2) == 1)  # ties: the first maximum takes the gradient
  grad_x = (first * grad[:, :, None, :]).reshape(batch, count * window, channels)
  return (jnp.pad(grad_x, ((0, 0), (0, length - count * window), (0, 0))),)


max_pool_1d.defvjp(_max_pool_fwd, _max_pool_bwd)
