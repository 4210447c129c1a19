"""Small pieces shared by the model families: input transforms and initializers."""

from __future__ import annotations

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
