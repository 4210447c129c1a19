"""In-silico mutagenesis (ISM): the score change of every single-base substitution.

For N one-hot sequences of length L, the 3 substitutions of every position (N x L x 3 mutants) are
scored in one jitted, chunked computation; the result is a delta map [N, L, 4] with
delta[n, i, b] = score(sequence n with base b at position i) - score(sequence n), 0 at the observed
base. (At an N position the alternatives tried are C, G and T.)
"""

from __future__ import annotations

import functools

import jax.numpy as jnp
import numpy as np

from regjax.interpret.core import map_chunks, model_score


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


def in_silico_mutagenesis(apply_fn, params, sequences, target=None,
                          chunk_size: int = 2) -> np.ndarray:
  """Delta-score maps [N, L, 4] of every single-base substitution of one-hot `sequences` [N, L, 4].

  Args:
    apply_fn, params: the model and its parameters.
    sequences: float [N, L, 4] one-hot.
    target: what to score (see `core.model_score`; default the log-odds of "bound").
    chunk_size: sequences per compiled chunk (each brings L * 3 mutants).
  """
  return map_chunks(_chunk_fn(model_score(apply_fn, target)), params,
                    np.asarray(sequences, np.float32), chunk_size)
