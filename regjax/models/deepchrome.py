"""DeepChrome (Singh et al., Bioinformatics 2016): a CNN over histone-mark bins around a TSS.

Architecture as in QData/DeepChrome `2_model.lua` (`-model convnet`): Conv1D(5 -> 50, width 10, valid)
-> ReLU -> MaxPool(5, stride 5) -> flatten (18 x 50 = 900) -> Dropout(0.5) -> Dense 625 -> ReLU ->
Dense 125 -> ReLU -> Dense(num_outputs). 644,177 parameters with 2 outputs, as published.

Differences from the original, on purpose:
* weights are drawn U(-1/sqrt(fan_in), 1/sqrt(fan_in)) like Torch7's default, biases start at zero;
* `input_transform="log1p"` (our default) feeds log(count + 1) instead of raw read counts; the
  faithful config sets "none";
* `num_outputs=1` turns the classifier into the log-expression regression variant.
"""

from __future__ import annotations

import flax.linen as nn
import jax

from regjax.models import layers


class DeepChrome(nn.Module):
  """DeepChrome CNN.

  Attributes:
    num_filters: convolution filters (50).
    kernel_size: convolution width in bins (10).
    pool_size: max-pool window and stride (5).
    hidden_sizes: sizes of the hidden dense layers ((625, 125)).
    dropout_rate: dropout before the first dense layer (0.5).
    num_outputs: 2 for on/off classification (softmax), 1 for regression.
    input_transform: "log1p" or "none", applied to the raw read counts.
  """

  num_filters: int = 50
  kernel_size: int = 10
  pool_size: int = 5
  hidden_sizes: tuple[int, ...] = (625, 125)
  dropout_rate: float = 0.5
  num_outputs: int = 2
  input_transform: str = "log1p"

  def setup(self):
    init = layers.torch_default_init
    self.conv = nn.Conv(self.num_filters, (self.kernel_size,), padding="VALID", kernel_init=init)
    self.dropout = nn.Dropout(self.dropout_rate)
    self.hidden = [nn.Dense(size, kernel_init=init) for size in self.hidden_sizes]
    self.output = nn.Dense(self.num_outputs, kernel_init=init)

  def __call__(self, marks: jax.Array, train: bool = False) -> jax.Array:
    """Scores genes from their histone-mark bins.

    Args:
      marks: float [B, T, M] read counts (T bins, M marks; 100 x 5 in the paper).
      train: enables dropout (needs a "dropout" rng).

    Returns:
      float [B, num_outputs] logits (classification) or predictions (regression).
    """
    x = self.first_layer_activations(marks)  # [B, T - 9, 50]
    x = layers.max_pool_1d(x, self.pool_size)  # [B, 18, 50] for T = 100
    x = self.dropout(x.reshape(x.shape[0], -1), deterministic=not train)
    for dense in self.hidden:
      x = nn.relu(dense(x))
    return self.output(x)

  def first_layer_activations(self, marks: jax.Array) -> jax.Array:
    """Conv + ReLU feature maps, float [B, T - kernel_size + 1, num_filters] (DeepChrome's feature maps)."""
    return nn.relu(self.conv(layers.transform_counts(marks, self.input_transform)))
