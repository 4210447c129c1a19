"""In-silico mutagenesis that recomputes only what a substitution changes (the idea of fastISM).

A single-base substitution at position i of a convolution stack changes only the outputs whose
receptive field contains i: `width` positions of the first convolution, a few pooled positions
after it, a few more after the next convolution, and so on up to the global max. This module scores
every mutant from the reference activations plus those small windows, instead of running the whole
network on every mutant (Nair et al., "fastISM: performant in silico saturation mutagenesis for
convolutional neural networks", Bioinformatics 2022, describe the idea; the code here is ours).

It applies to `DeepMotifCNN` (conv -> ReLU -> max-pool ..., conv -> ReLU -> max over positions ->
linear; dropout is off at inference). For the DeepMotif CNN on 101 bp that is about a quarter of the
multiply-adds of the full forward pass per mutant. `mutagenesis.in_silico_mutagenesis` uses it
automatically for that model and falls back to full forward passes for every other model.

Windows. For layer l with input length n, kernel width k and pool p, let the changed input range
of the mutant at position i be [lo, hi). The changed conv outputs are [lo - k + 1, hi), the changed
pooled outputs [(lo - k + 1) // p, (hi - 1) // p + 1) (clipped). Every mutant recomputes a window of
the same static length W (the largest such range), started where it covers its own range; outside
the range the window just recomputes reference values. Its input window is the reference input
with the previous layer's window written over it. All offsets are static numpy arrays per position.
"""

from __future__ import annotations

import dataclasses
import functools

import jax
import jax.numpy as jnp
import numpy as np


@dataclasses.dataclass(frozen=True)
class _Layer:
  """Static plan of one convolution block for every mutated position i.

  Attributes:
    width, pool: kernel width and max-pool window (1 = none).
    in_length, out_length: sequence lengths in and out of the block.
    window: W, output positions recomputed per mutant.
    out_start: int [L], first recomputed output position per mutated position.
    ref_index: int [L, R], input positions gathered from the reference (R = W * pool + width - 1).
    new_index: int [L, R], positions in the previous layer's recomputed window (clipped).
    use_new: bool [L, R], where the previous window's values replace the reference.
  """

  width: int
  pool: int
  in_length: int
  out_length: int
  window: int
  out_start: np.ndarray
  ref_index: np.ndarray
  new_index: np.ndarray
  use_new: np.ndarray


def plan(length: int, widths: tuple[int, ...], pools: tuple[int, ...]) -> tuple[_Layer, ...]:
  """Static windows for a stack of (width, pool) blocks over sequences of `length`."""
  positions = np.arange(length)
  lo, hi = positions, positions + 1                 # changed input range per mutated position
  prev_start, prev_window = positions, 1            # layer 0: the mutated row itself
  n = length
  layers = []
  for width, pool in zip(widths, pools):
    conv_length = n - width + 1
    out_length = conv_length // pool
    if out_length < 1:
      raise ValueError(f"sequence length {length} is too short for the convolution stack")
    first = np.maximum(lo - width + 1, 0) // pool
    last = np.minimum((hi - 1) // pool + 1, out_length)
    window = int(max(1, (last - first).max()))
    start = np.clip(first, 0, out_length - window)
    span = window * pool + width - 1
    ref_index = start[:, None] * pool + np.arange(span)[None, :]        # [L, R]
    offset = ref_index - prev_start[:, None]
    use_new = (offset >= 0) & (offset < prev_window)
    layers.append(_Layer(width, pool, n, out_length, window, start, ref_index,
                         np.clip(offset, 0, prev_window - 1), use_new))
    lo, hi = first, np.maximum(last, first)
    prev_start, prev_window, n = start, window, out_length
  return tuple(layers)


def _block(x, kernel, bias, pool):
  """conv (VALID) -> ReLU -> max-pool: x [B, n, F] -> [B, (n - k + 1) // pool, F']."""
  y = jax.lax.conv_general_dilated(x, kernel, (1,), "VALID", dimension_numbers=("NWC", "WIO", "NWC"))
  y = jax.nn.relu(y + bias)
  if pool > 1:
    count = y.shape[1] // pool
    y = y[:, :count * pool].reshape(y.shape[0], count, pool, y.shape[2]).max(axis=2)
  return y


def supports(apply_fn) -> bool:
  """Whether `apply_fn` is the `apply` of a model this module knows (DeepMotifCNN)."""
  from regjax.models.deepmotif import DeepMotifCNN
  return isinstance(getattr(apply_fn, "__self__", None), DeepMotifCNN)


@functools.lru_cache(maxsize=16)
def chunk_fn(module, length: int, logits_to_score):
  """(params, one-hot x [C, L, 4]) -> delta map [C, L, 4] for a DeepMotifCNN `module`.

  `logits_to_score` maps logits [..., K] to the explained score [...] (the same as the full path).
  """
  widths = tuple(module.kernel_sizes)
  pools = tuple(module.pool_size if i < len(widths) - 1 else 1 for i in range(len(widths)))
  layers = plan(length, widths, pools)
  last = layers[-1]
  # Positions of the last block outside each mutant's window keep their reference values.
  outside = ~((np.arange(last.out_length)[None, :] >= last.out_start[:, None])
              & (np.arange(last.out_length)[None, :] < last.out_start[:, None] + last.window))

  def chunk(params, x):
    c = x.shape[0]
    observed = jnp.argmax(x, axis=-1)                                   # [C, L]
    new_base = (observed[..., None] + jnp.arange(1, 4)) % 4              # [C, L, 3]
    new = jax.nn.one_hot(new_base, 4, dtype=x.dtype)[:, :, :, None, :]  # [C, L, 3, 1, 4]
    reference = x
    for i, layer in enumerate(layers):
      p = params[f"convs_{i}"]
      ref_part = reference[:, layer.ref_index]                           # [C, L, R, F]
      new_part = jnp.take_along_axis(
          new, jnp.asarray(layer.new_index)[None, :, None, :, None], axis=3)  # [C, L, 3, R, F]
      window_in = jnp.where(jnp.asarray(layer.use_new)[None, :, None, :, None], new_part,
                            ref_part[:, :, None])
      flat = window_in.reshape(-1, *window_in.shape[3:])
      new = _block(flat, p["kernel"], p["bias"], layer.pool).reshape(
          c, length, 3, layer.window, -1)                                # [C, L, 3, W, F']
      reference = _block(reference, p["kernel"], p["bias"], layer.pool)  # [C, n', F']
    kept = jnp.where(jnp.asarray(outside)[None, :, :, None], reference[:, None], -jnp.inf)
    features = jnp.maximum(kept.max(axis=2)[:, :, None], new.max(axis=3))  # [C, L, 3, F]
    dense = params["output"]
    score = logits_to_score(features @ dense["kernel"] + dense["bias"])    # [C, L, 3]
    ref_score = logits_to_score(reference.max(axis=1) @ dense["kernel"] + dense["bias"])  # [C]
    delta = score - ref_score[:, None, None]
    out = jnp.zeros((c, length, 4), delta.dtype)
    return out.at[jnp.arange(c)[:, None, None], jnp.arange(length)[None, :, None],
                  new_base].set(delta)
  return chunk
