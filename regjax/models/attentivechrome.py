"""AttentiveChrome (Singh et al., NeurIPS 2017): attention over bins and over histone marks.

As in QData/AttentiveChrome `v2PyTorch/models.py` (SPECS §2.1):
1. one BiLSTM (32 units per direction) per mark, weights not shared, reading that mark's bins as a
   1-d sequence; the five encoders run as one program (`nn.vmap` over the mark axis);
2. bin-level attention per mark: alpha_j = softmax_t(h_t^j . w_j), m_j = sum_t alpha_jt h_t^j (64-d);
3. an HM-level BiLSTM (16 per direction) over m_1..m_5 in the fixed mark order, HM-level attention
   beta = softmax_j(s_j . w_s), v = sum_j beta_j s_j (32-d);
4. Linear(32 -> num_outputs): one logit for BCE (or the regression output).
Every parameter starts U(-0.1, 0.1). 55,681 parameters in PyTorch; ours has 54,273 because Flax's
LSTM has one bias vector per gate where PyTorch has two (b_ih + b_hh), which is the same function.
Unlike the original, alpha [B, 5, 100] and beta [B, 5] are returned (`attend`).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import linen as nn

from regjax.models import layers
from regjax.models.recurrent import BiLSTM, ContextAttention, symmetric_uniform


class MarkEncoder(nn.Module):
  """BiLSTM + bin-level attention for one mark: [B, T, 1] -> ([B, 2H], alpha [B, T], states [B, T, 2H])."""

  hidden_size: int
  init_scale: float
  unroll: int

  @nn.compact
  def __call__(self, x: jax.Array):
    states = BiLSTM(self.hidden_size, self.init_scale, self.unroll)(x)
    attended, alpha = ContextAttention(self.init_scale)(states)
    return attended, alpha, states


class AttentiveChrome(nn.Module):
  """AttentiveChrome.

  Attributes:
    bin_hidden_size: units per direction of each mark's BiLSTM (32).
    mark_hidden_size: units per direction of the HM-level BiLSTM (16).
    num_outputs: 1 (a logit for BCE, or the regression output).
    init_scale: every parameter starts U(-init_scale, init_scale) (0.1).
    input_transform: "none" (raw counts, as published) or "log1p".
    unroll: LSTM time steps per scan iteration (speed only).
  """

  bin_hidden_size: int = 32
  mark_hidden_size: int = 16
  num_outputs: int = 1
  init_scale: float = 0.1
  input_transform: str = "none"
  unroll: int = 1

  def setup(self):
    # One encoder per mark, parameters stacked on a leading mark axis (not shared).
    self.mark_encoders = nn.vmap(
        MarkEncoder, in_axes=0, out_axes=0, variable_axes={"params": 0},
        split_rngs={"params": True})(self.bin_hidden_size, self.init_scale, self.unroll)
    self.mark_lstm = BiLSTM(self.mark_hidden_size, self.init_scale, self.unroll)
    self.mark_attention = ContextAttention(self.init_scale)
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
    x = layers.transform_counts(marks, self.input_transform)
    per_mark = jnp.moveaxis(x, 2, 0)[..., None]                  # [M, B, T, 1]
    encoded, alpha, _ = self.mark_encoders(per_mark)             # [M, B, 64], [M, B, T]
    encoded = jnp.moveaxis(encoded, 0, 1)                        # [B, M, 64]
    mark_states = self.mark_lstm(encoded)                        # [B, M, 32]
    summary, beta = self.mark_attention(mark_states)             # [B, 32], [B, M]
    return {"logits": self.output(summary), "alpha": jnp.moveaxis(alpha, 0, 1), "beta": beta,
            "bin_encodings": encoded}

  def __call__(self, marks: jax.Array, train: bool = False) -> jax.Array:
    """marks: float [B, T, M] -> float [B, num_outputs] (no dropout: the original's was a no-op)."""
    del train
    return self.attend(marks)["logits"]
