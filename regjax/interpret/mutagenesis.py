"""In-silico mutagenesis (ISM): the score change of every single-base substitution.

For N one-hot sequences of length L, the 3 substitutions of every position (N x L x 3 mutants) are
scored in one jitted, chunked computation; the result is a delta map [N, L, 4] with
delta[n, i, b] = score(sequence n with base b at position i) - score(sequence n), 0 at the observed
base. (At an N position the alternatives tried are C, G and T.)

For the DeepMotif CNN the mutants are scored by `fast_ism` (only the windows a substitution
changes are recomputed); every other model runs its full forward pass on every mutant.
"""

from __future__ import annotations

import functools

import jax.numpy as jnp
import numpy as np

from regjax.interpret import fast_ism
from regjax.interpret.core import map_chunks, model_score, outputs_to_score


def _mutants(x: jnp.ndarray) -> tuple[jnp.ndarray, jnp.ndarray]:
  """All single substitutions of one-hot x [C, L, 4] -> ([C, L * 3, L, 4], new bases [C, L, 3])."""
  c, length, _ = x.shape
  observed = jnp.argmax(x, axis=-1)                                    # [C, L]
  new_base = (observed[..., None] + jnp.arange(1, 4)) % 4              # [C, L, 3]
  positions = jnp.arange(length)
  rows = jnp.eye(4, dtype=x.dtype)[new_base]                           # [C, L, 3, 4]
  at = (positions[:, None] == positions[None, :])                      # [L(mutated), L]
  mutants = jnp.where(at[None, :, None, :, None], rows[:, :, :, None, :],
                      x[:, None, None, :, :])                          # [C, L, 3, L, 4]
  return mutants.reshape(c, length * 3, length, 4), new_base


@functools.lru_cache(maxsize=64)
def _chunk_fn(score):
  def chunk(params, x):
    c, length, _ = x.shape
    mutants, new_base = _mutants(x)
    reference = score(params, x)                                       # [C]
    scores = score(params, mutants.reshape(-1, length, 4)).reshape(c, length, 3)
    delta = scores - reference[:, None, None]
    out = jnp.zeros((c, length, 4), delta.dtype)
    index_c = jnp.arange(c)[:, None, None]
    index_l = jnp.arange(length)[None, :, None]
    return out.at[index_c, index_l, new_base].set(delta)
  return chunk


def in_silico_mutagenesis(apply_fn, params, sequences, target=None, chunk_size: int | None = None,
                          method: str = "auto") -> np.ndarray:
  """Delta-score maps [N, L, 4] of every single-base substitution of one-hot `sequences` [N, L, 4].

  Args:
    apply_fn, params: the model and its parameters.
    sequences: float [N, L, 4] one-hot.
    target: what to score (see `core.model_score`; default the log-odds of "bound").
    chunk_size: sequences per compiled chunk (each brings L * 3 mutants); default 4 for the
      windowed path, 2 for full forward passes (the sizes that ran fastest on a 2-core CPU).
    method: "auto" (windowed when the model supports it), "windowed" or "full".
  """
  sequences = np.asarray(sequences, np.float32)
  if method not in ("auto", "windowed", "full"):
    raise ValueError(f"method must be 'auto', 'windowed' or 'full', got {method!r}")
  windowed = method == "windowed" or (method == "auto" and fast_ism.supports(apply_fn))
  if windowed:
    if not fast_ism.supports(apply_fn):
      raise ValueError("windowed ISM needs a DeepMotifCNN; use method='full' for this model")
    fn = fast_ism.chunk_fn(apply_fn.__self__, sequences.shape[1], outputs_to_score(target))
    return map_chunks(fn, params, sequences, chunk_size or 4)
  return map_chunks(_chunk_fn(model_score(apply_fn, target)), params, sequences, chunk_size or 2)
