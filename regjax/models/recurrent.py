"""Recurrent building blocks shared by AttentiveChrome, DeepDiff and DeepMotif.

* `BiLSTM`: forward and backward LSTMs over time, outputs concatenated ([B, T, 2H]).
* `ContextAttention`: alpha = softmax over time of (h_t . w) with one learned context vector w, and
  the attended sum sum_t alpha_t h_t. Exactly AttentiveChrome's `rec_attention`: a plain dot
  product, no projection, no tanh, no bias.
* `TorchRnnLSTMCell`: the LSTM of torch-rnn used by DeepMotif (one fused weight matrix and one bias,
  weights N(0, 1/sqrt(H + D)), forget-gate bias 1); Flax's `OptimizedLSTMCell` cannot start its
  forget gate at a different bias than the other gates.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from flax import linen as nn


def symmetric_uniform(scale: float):
  """U(-scale, scale), AttentiveChrome/DeepDiff's init for every parameter."""
  def init(key, shape, dtype=jnp.float32):
    return jax.random.uniform(key, shape, dtype, -scale, scale)
  return init


class TorchRnnLSTMCell(nn.RNNCellBase):
  """LSTM cell with torch-rnn's parameterisation (DeepMotif's `util/LSTM.lua`).

  Attributes:
    features: H, the hidden size.
    forget_bias: initial bias of the forget gate (1.0 in torch-rnn; the other gates start at 0).
  """

  features: int
  forget_bias: float = 1.0

  @nn.compact
  def __call__(self, carry, x):
    c, h = carry
    hidden = self.features
    fan = x.shape[-1] + hidden
    kernel = self.param("kernel", nn.initializers.normal(1.0 / math.sqrt(fan)), (fan, 4 * hidden))
    bias = self.param("bias", lambda key, shape: jnp.zeros(shape).at[hidden:2 * hidden].set(
        self.forget_bias), (4 * hidden,))
    gates = jnp.concatenate([x, h], axis=-1) @ kernel + bias
    i, f, o, g = jnp.split(gates, 4, axis=-1)  # torch-rnn's gate order
    c = jax.nn.sigmoid(f) * c + jax.nn.sigmoid(i) * jnp.tanh(g)
    h = jax.nn.sigmoid(o) * jnp.tanh(c)
    return (c, h), h

  @nn.nowrap
  def initialize_carry(self, rng, input_shape):
    del rng
    shape = (*input_shape[:-1], self.features)
    return jnp.zeros(shape), jnp.zeros(shape)

  @property
  def num_feature_axes(self) -> int:
    return 1


class BiLSTM(nn.Module):
  """A bidirectional LSTM.

  Attributes:
    hidden_size: H, units per direction.
    init_scale: when > 0 every weight and bias is drawn U(-init_scale, init_scale) (AttentiveChrome);
      0 keeps Flax's LSTM defaults.
    unroll: time steps per loop iteration of the scan (a speed knob, same numbers).
    return_carry: also return the final (c, h) of both directions.
    cell: "flax" (OptimizedLSTMCell) or "torch_rnn" (TorchRnnLSTMCell, DeepMotif's LSTM).
    remat: recompute each step's gates in the backward pass instead of storing them (same
      numbers). On a 2-core CPU this made training 1.1-1.8x faster at batch 256 and up to 1.3x
      slower at batch 16, so each model family sets it for its default batch size.
  """

  hidden_size: int
  init_scale: float = 0.0
  unroll: int = 1
  return_carry: bool = False
  cell: str = "flax"
  remat: bool = False

  def _cell(self, index: int):
    """The LSTM cell of one direction (0 forward, 1 backward), named as without remat so that
    parameter trees and checkpoints do not depend on it."""
    if self.cell == "torch_rnn":
      cls, kwargs = TorchRnnLSTMCell, {}
    elif self.init_scale > 0:
      init = symmetric_uniform(self.init_scale)
      cls, kwargs = nn.OptimizedLSTMCell, dict(kernel_init=init, recurrent_kernel_init=init,
                                               bias_init=init)
    else:
      cls, kwargs = nn.OptimizedLSTMCell, {}
    wrapped = nn.remat(cls) if self.remat else cls
    return wrapped(self.hidden_size, name=f"{cls.__name__}_{index}", **kwargs)

  @nn.compact
  def __call__(self, x: jax.Array, seq_lengths: jax.Array | None = None):
    """x: float [B, T, D] -> float [B, T, 2H] (forward states first), plus carries if asked.

    seq_lengths: optional int [B]; positions >= the length are padding (their outputs are
    meaningless) and the backward LSTM starts at the last real position.
    """
    bidirectional = nn.Bidirectional(
        nn.RNN(self._cell(0), unroll=self.unroll), nn.RNN(self._cell(1), unroll=self.unroll),
        return_carry=self.return_carry)
    return bidirectional(x, seq_lengths=seq_lengths)


class ContextAttention(nn.Module):
  """Soft attention over an axis with a single learned context vector.

  Attributes:
    init_scale: the context vector starts U(-init_scale, init_scale) (0.1 in AttentiveChrome).
  """

  init_scale: float = 0.1

  @nn.compact
  def __call__(self, h: jax.Array) -> tuple[jax.Array, jax.Array]:
    """h: float [B, T, D] -> (attended float [B, D], weights float [B, T] summing to 1 over T)."""
    context = self.param("context", symmetric_uniform(self.init_scale), (h.shape[-1],))
    weights = jax.nn.softmax(h @ context, axis=-1)
    return jnp.einsum("bt,btd->bd", weights, h), weights
