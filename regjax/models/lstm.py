"""The LSTM baseline of the AttentiveChrome paper: one BiLSTM over bins, all marks as features.

The 5 marks of a bin form one 5-d input vector; the final hidden states of the forward and the
backward LSTM (the last and the first bin respectively) are concatenated (2H) and mapped to the
output. No attention. Initialised and trained like AttentiveChrome (U(-0.1, 0.1), Adam 2e-4).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import linen as nn

from regjax.models import layers
from regjax.models.recurrent import BiLSTM, symmetric_uniform


class BinLSTM(nn.Module):
  """BiLSTM over bins -> [h_forward(T), h_backward(1)] -> Dense(num_outputs).

  Attributes:
    hidden_size: units per direction (32).
    num_outputs: 1 (a logit for BCE, or the regression output).
    init_scale: every parameter starts U(-init_scale, init_scale).
    input_transform: "none" or "log1p".
    unroll, remat: LSTM speed knobs (same numbers), see `recurrent.BiLSTM`.
  """

  hidden_size: int = 32
  num_outputs: int = 1
  init_scale: float = 0.1
  input_transform: str = "none"
  unroll: int = 1
  remat: bool = False

  @nn.compact
  def __call__(self, marks: jax.Array, train: bool = False) -> jax.Array:
    """marks: float [B, T, M] read counts -> float [B, num_outputs]."""
    del train
    x = layers.transform_counts(marks, self.input_transform)
    (forward_carry, backward_carry), _ = BiLSTM(self.hidden_size, self.init_scale, self.unroll,
                                                return_carry=True, remat=self.remat)(x)
    final = jnp.concatenate([forward_carry[1], backward_carry[1]], axis=-1)  # carries are (c, h)
    init = symmetric_uniform(self.init_scale)
    return nn.Dense(self.num_outputs, kernel_init=init, bias_init=init)(final)
