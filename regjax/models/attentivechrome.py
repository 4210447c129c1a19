"""AttentiveChrome (Singh et al., NeurIPS 2017): attention over bins and over histone marks.

As in QData/AttentiveChrome `v2PyTorch/models.py` (docs/fidelity.md, AttentiveChrome):
1. one BiLSTM (32 units per direction) per mark, weights not shared, reading that mark's bins as a
   1-d sequence; the encoders of all marks run as one program (`nn.vmap` over the mark axis);
2. bin-level attention per mark: alpha_j = softmax_t(h_t^j . w_j), m_j = sum_t alpha_jt h_t^j (64-d);
3. an HM-level BiLSTM (16 per direction) over m_1..m_5 in the fixed mark order, HM-level attention
   beta = softmax_j(s_j . w_s), v = sum_j beta_j s_j (32-d);
4. Linear(32 -> num_outputs): one logit for BCE (or the regression output).
Every parameter starts U(-0.1, 0.1). 55,681 parameters in PyTorch; ours has 54,273 because Flax's
LSTM has one bias vector per gate where PyTorch has two (b_ih + b_hh), which is the same function.
Unlike the original, alpha [B, 5, 100] and beta [B, 5] are returned (`attend`).

`BinLevelEncoder` and `MarkLevelEncoder` are the two levels; DeepDiff builds its variants from them.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import linen as nn

from regjax.models import fused_lstm, layers
from regjax.models.recurrent import BiLSTM, ContextAttention, symmetric_uniform


class _ChannelEncoder(nn.Module):
  """BiLSTM + attention over the bins of one channel: [B, T, 1] -> ([B, 2H], alpha [B, T])."""

  hidden_size: int
  init_scale: float
  unroll: int
  remat: bool

  @nn.compact
  def __call__(self, x: jax.Array):
    states = BiLSTM(self.hidden_size, self.init_scale, self.unroll, remat=self.remat)(x)
    return ContextAttention(self.init_scale)(states)


class BinLevelEncoder(nn.Module):
  """One BiLSTM + bin attention per channel (mark), weights stacked on the channel axis, not shared.

  Attributes:
    hidden_size: units per direction (32).
    init_scale: U(-init_scale, init_scale) init of every parameter.
    unroll: LSTM time steps per scan iteration (speed only; Flax path).
    remat: recompute the LSTM gates in the backward pass (speed only, same numbers; Flax path).
    fused: run every channel's BiLSTM through `fused_lstm` (one loop, hand-written backward pass)
      instead of `nn.vmap` of Flax's LSTM (speed only: the same parameters, same numbers to float
      rounding). Parameters are always created by the Flax modules, so both paths share them.
  """

  hidden_size: int = 32
  init_scale: float = 0.1
  unroll: int = 1
  remat: bool = False
  fused: bool = True

  @nn.compact
  def __call__(self, x: jax.Array) -> tuple[jax.Array, jax.Array]:
    """x: float [B, T, C] -> (encodings [B, C, 2H], alpha [B, C, T] summing to 1 over T)."""
    encoders = nn.vmap(_ChannelEncoder, in_axes=0, out_axes=0, variable_axes={"params": 0},
                       split_rngs={"params": True}, axis_size=x.shape[-1])
    channels = encoders(self.hidden_size, self.init_scale, self.unroll, self.remat,
                        name="channels")
    if self.fused and not self.is_initializing():
      return self._fused(x)
    encoded, alpha = channels(jnp.moveaxis(x, 2, 0)[..., None])       # [C, B, 2H], [C, B, T]
    return jnp.moveaxis(encoded, 0, 1), jnp.moveaxis(alpha, 0, 1)

  def _fused(self, x: jax.Array) -> tuple[jax.Array, jax.Array]:
    """The same computation from the Flax modules' parameters (see `fused`).

    The attention works on `bidirectional_units`' layout: each direction's states are scored
    with its half of the context vector, the two score maps are added bin by bin (flipping the
    backward one, [C, T, B]), and each direction's states are averaged with the weights in its
    own reading order: the same numbers as attention over the concatenated [h_fwd, h_bwd] states.
    """
    params = self.variables["params"]["channels"]
    cells = params["BiLSTM_0"]
    states = fused_lstm.bidirectional_units(cells["OptimizedLSTMCell_0"],
                                            cells["OptimizedLSTMCell_1"],
                                            jnp.transpose(x, (2, 1, 0)))  # [2C, T, B, H]
    context = params["ContextAttention_0"]["context"]                    # [C, 2H]
    channels, hidden = context.shape[0], states.shape[-1]
    unit_context = jnp.concatenate([context[:, :hidden], context[:, hidden:]])  # [2C, H]
    unit_scores = jnp.einsum("utbh,uh->utb", states, unit_context)
    alpha = jax.nn.softmax(unit_scores[:channels] + unit_scores[channels:, ::-1], axis=1)
    unit_alpha = jnp.concatenate([alpha, alpha[:, ::-1]])                 # [2C, T, B]
    attended = jnp.sum(unit_alpha[..., None] * states, axis=1)            # [2C, B, H]
    encoded = jnp.concatenate([attended[:channels], attended[channels:]], axis=-1)  # [C, B, 2H]
    return jnp.moveaxis(encoded, 0, 1), jnp.transpose(alpha, (2, 0, 1))


class MarkLevelEncoder(nn.Module):
  """BiLSTM over a sequence of mark encodings + mark-level attention.

  Attributes:
    hidden_size: units per direction (16).
  """

  hidden_size: int = 16
  init_scale: float = 0.1
  unroll: int = 1
  remat: bool = False

  @nn.compact
  def __call__(self, tokens: jax.Array) -> tuple[jax.Array, jax.Array]:
    """tokens: float [B, K, D] -> (summary [B, 2H], beta [B, K] summing to 1 over K)."""
    states = BiLSTM(self.hidden_size, self.init_scale, self.unroll, remat=self.remat)(tokens)
    return ContextAttention(self.init_scale)(states)


class AttentiveChrome(nn.Module):
  """AttentiveChrome.

  Attributes:
    bin_hidden_size: units per direction of each mark's BiLSTM (32).
    mark_hidden_size: units per direction of the HM-level BiLSTM (16).
    num_outputs: 1 (a logit for BCE, or the regression output).
    init_scale: every parameter starts U(-init_scale, init_scale) (0.1).
    input_transform: "none" (raw counts, as published) or "log1p".
    unroll: LSTM time steps per scan iteration (speed only).
    remat: recompute the LSTM gates in the backward pass (speed only, same numbers; off: it
      slowed the default batch of 16).
    fused_lstm: the bin-level BiLSTMs through `fused_lstm` (speed only, same parameters and
      numbers; see `BinLevelEncoder.fused`).
  """

  bin_hidden_size: int = 32
  mark_hidden_size: int = 16
  num_outputs: int = 1
  init_scale: float = 0.1
  input_transform: str = "none"
  unroll: int = 1
  remat: bool = False
  fused_lstm: bool = True

  def setup(self):
    self.bin_level = BinLevelEncoder(self.bin_hidden_size, self.init_scale, self.unroll,
                                     self.remat, self.fused_lstm)
    self.mark_level = MarkLevelEncoder(self.mark_hidden_size, self.init_scale, self.unroll,
                                       self.remat)
    init = symmetric_uniform(self.init_scale)
    self.output = nn.Dense(self.num_outputs, kernel_init=init, bias_init=init)

  def attend(self, marks: jax.Array) -> dict[str, jax.Array]:
    """The prediction and both attention maps.

    Args:
      marks: float [B, T, M] read counts (100 bins x 5 marks).

    Returns:
      {"logits": [B, num_outputs], "alpha": [B, M, T] bin attention (sums to 1 over T),
       "beta": [B, M] mark attention (sums to 1 over M), "bin_encodings": [B, M, 2 * bin_hidden]}
    """
    encoded, alpha = self.bin_level(layers.transform_counts(marks, self.input_transform))
    summary, beta = self.mark_level(encoded)
    return {"logits": self.output(summary), "alpha": alpha, "beta": beta, "bin_encodings": encoded}

  def __call__(self, marks: jax.Array, train: bool = False) -> jax.Array:
    """marks: float [B, T, M] -> float [B, num_outputs] (no dropout: the original's was a no-op)."""
    del train
    return self.attend(marks)["logits"]
