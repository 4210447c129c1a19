"""DeepMotif / DeMo Dashboard (Lanchantin et al., PSB 2017): CNN, BiLSTM and CNN-BiLSTM on DNA.

Input: one-hot DNA [B, L, 4] (A, C, G, T; N = all-zero row), L = 101. As in QData/DeepMotif
`model.lua` (docs/fidelity.md, DeepMotif):
* `DeepMotifCNN`: Conv(4 -> 128, width 9) -> ReLU -> MaxPool(2) -> Dropout(0.5) -> Conv(128, 5)
  -> ReLU -> MaxPool(2) -> Dropout -> Conv(128, 3) -> ReLU -> Dropout -> max over positions ->
  Linear(128 -> 2). Valid convolutions: 101 -> 93 -> 46 -> 42 -> 21 -> 19. 136,322 parameters.
* `DeepMotifRNN`: BiLSTM (32 per direction, torch-rnn cell) -> Dropout(0.5) -> mean over positions
  -> Linear(64 -> 2). 9,602 parameters.
* `DeepMotifCNNRNN`: Conv(4 -> 128, width 9, 'same' padding) -> ReLU -> the BiLSTM block.
  46,082 parameters.
Outputs are 2 logits (softmax; the original's LogSoftMax + ClassNLL). Weights of the convolutions
and linear layers start like Torch7's (U(+/- 1/sqrt(fan_in))), LSTMs like torch-rnn.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import linen as nn

from regjax.models import layers
from regjax.models.recurrent import BiLSTM


def _conv(features: int, width: int, padding: str = "VALID") -> nn.Conv:
  return nn.Conv(features, (width,), padding=padding, kernel_init=layers.torch_default_init)


class DeepMotifCNN(nn.Module):
  """Three convolution layers and a global max over positions.

  Attributes:
    num_filters: filters per layer (128).
    kernel_sizes: widths of the three layers ((9, 5, 3)).
    pool_size: max-pool window and stride after all but the last layer (2).
    dropout_rate: after every convolution block (0.5).
    num_outputs: 2.
  """

  num_filters: int = 128
  kernel_sizes: tuple[int, ...] = (9, 5, 3)
  pool_size: int = 2
  dropout_rate: float = 0.5
  num_outputs: int = 2

  def setup(self):
    self.convs = [_conv(self.num_filters, width) for width in self.kernel_sizes]
    self.dropout = nn.Dropout(self.dropout_rate)
    self.output = nn.Dense(self.num_outputs, kernel_init=layers.torch_default_init)

  def feature_maps(self, sequence: jax.Array, train: bool = False) -> jax.Array:
    """Activations of the last convolution block, float [B, L', num_filters] (L' = 19 for 101)."""
    x = sequence
    for i, conv in enumerate(self.convs):
      x = nn.relu(conv(x))
      if i < len(self.convs) - 1:
        x = layers.max_pool_1d(x, self.pool_size)
      x = self.dropout(x, deterministic=not train)
    return x

  def __call__(self, sequence: jax.Array, train: bool = False) -> jax.Array:
    """sequence: float [B, L, 4] one-hot -> float [B, num_outputs] logits."""
    return self.output(self.feature_maps(sequence, train).max(axis=1))


class _RecurrentHead(nn.Module):
  """BiLSTM (torch-rnn cells) -> Dropout -> mean over positions -> Linear."""

  hidden_size: int
  dropout_rate: float
  num_outputs: int
  unroll: int
  remat: bool

  @nn.compact
  def __call__(self, x: jax.Array, train: bool, lengths: jax.Array | None = None) -> jax.Array:
    """x: float [B, L, D]; lengths: optional int [B], only the first lengths[b] positions count."""
    states = BiLSTM(self.hidden_size, unroll=self.unroll, cell="torch_rnn",
                    remat=self.remat)(x, lengths)                              # [B, L, 2H]
    states = nn.Dropout(self.dropout_rate)(states, deterministic=not train)
    if lengths is None:
      pooled = states.mean(axis=1)
    else:
      valid = (jnp.arange(x.shape[1])[None, :] < lengths[:, None]).astype(states.dtype)
      pooled = (states * valid[..., None]).sum(axis=1) / jnp.maximum(valid.sum(1), 1)[:, None]
    return nn.Dense(self.num_outputs, kernel_init=layers.torch_default_init)(pooled)


class DeepMotifRNN(nn.Module):
  """BiLSTM over the one-hot sequence, mean over positions.

  Attributes:
    hidden_size: units per direction (32).
    unroll, remat: LSTM speed knobs (same numbers), see `recurrent.BiLSTM`; remat is on because it
      sped up training at the default batch of 256.
  """

  hidden_size: int = 32
  dropout_rate: float = 0.5
  num_outputs: int = 2
  unroll: int = 1
  remat: bool = True

  def setup(self):
    self.rnn = _RecurrentHead(self.hidden_size, self.dropout_rate, self.num_outputs, self.unroll,
                              self.remat)

  def recurrent_input(self, sequence: jax.Array) -> jax.Array:
    """What the BiLSTM reads: the one-hot sequence itself [B, L, 4]."""
    return sequence

  def recurrent_output(self, features: jax.Array, lengths: jax.Array) -> jax.Array:
    """Logits [B, 2] of the BiLSTM block on the first `lengths` positions of `features`."""
    return self.rnn(features, False, lengths)

  def __call__(self, sequence: jax.Array, train: bool = False) -> jax.Array:
    """sequence: float [B, L, 4] one-hot -> float [B, num_outputs] logits."""
    return self.rnn(sequence, train)


class DeepMotifCNNRNN(nn.Module):
  """One 'same'-padded convolution (128 x 9) + ReLU, then the BiLSTM block.

  Attributes:
    num_filters: 128; kernel_size: 9; hidden_size: 32 per direction.
    unroll, remat: LSTM speed knobs, as for `DeepMotifRNN`.
  """

  num_filters: int = 128
  kernel_size: int = 9
  hidden_size: int = 32
  dropout_rate: float = 0.5
  num_outputs: int = 2
  unroll: int = 1
  remat: bool = True

  def setup(self):
    self.conv = _conv(self.num_filters, self.kernel_size, padding="SAME")
    self.rnn = _RecurrentHead(self.hidden_size, self.dropout_rate, self.num_outputs, self.unroll,
                              self.remat)

  def conv_features(self, sequence: jax.Array) -> jax.Array:
    """Convolution + ReLU, float [B, L, num_filters] (the CNN part DeMo runs once)."""
    return nn.relu(self.conv(sequence))

  def recurrent_input(self, sequence: jax.Array) -> jax.Array:
    """What the BiLSTM reads: the convolution features of the whole sequence [B, L, 128]."""
    return self.conv_features(sequence)

  def recurrent_output(self, features: jax.Array, lengths: jax.Array) -> jax.Array:
    """Logits [B, 2] of the BiLSTM block on the first `lengths` positions of `features`."""
    return self.rnn(features, False, lengths)

  def __call__(self, sequence: jax.Array, train: bool = False) -> jax.Array:
    """sequence: float [B, L, 4] one-hot -> float [B, num_outputs] logits."""
    return self.rnn(self.conv_features(sequence), train)
