"""Temporal output values (DeMo Dashboard) of the recurrent DNA models.

For every position i, P(bound) of the whole bidirectional model run on the prefix x[1..i]
("forward") and on the suffix x[i..L] ("backward"). As in DeMo, the CNN of the CNN-RNN runs once on
the full sequence and only the BiLSTM block sees prefixes and suffixes. Instead of 2L separate runs,
all 2L variants of a chunk of sequences are one batched call: prefixes are the full feature
sequence with a sequence length, suffixes the features shifted to the start with a length.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from regjax.interpret.core import map_chunks


@functools.lru_cache(maxsize=32)
def _chunk_fn(model):
  def chunk(params, x):
    variables = {"params": params}
    features = model.apply(variables, x, method=model.recurrent_input)      # [C, L, D]
    c, length, _ = features.shape
    lengths = jnp.arange(1, length + 1)                                     # prefix i+1 long
    prefix_in = jnp.broadcast_to(features[:, None], (c, length, length, features.shape[-1]))
    shifts = jnp.arange(length)
    suffix_in = jax.vmap(lambda f: jax.vmap(lambda s: jnp.roll(f, -s, axis=0))(shifts))(features)
    inputs = jnp.concatenate([prefix_in, suffix_in], axis=1).reshape(c * 2 * length, length, -1)
    all_lengths = jnp.tile(jnp.concatenate([lengths, length - shifts]), c)
    logits = model.apply(variables, inputs, all_lengths, method=model.recurrent_output)
    p_bound = jax.nn.softmax(logits, axis=-1)[:, 1].reshape(c, 2, length)
    return p_bound[:, 0], p_bound[:, 1]
  return chunk


def temporal_outputs(model, params, sequences, chunk_size: int = 4) -> tuple[np.ndarray, np.ndarray]:
  """(forward [N, L], backward [N, L]) P(bound) on each prefix x[:i+1] and each suffix x[i:].

  Args:
    model: a DeepMotifRNN or DeepMotifCNNRNN (anything with `recurrent_input`/`recurrent_output`).
    params: its parameters.
    sequences: float [N, L, 4] one-hot.
  """
  if not hasattr(model, "recurrent_output"):
    raise ValueError(f"{type(model).__name__} has no recurrent block: temporal output values need "
                     "an RNN or CNN-RNN DeepMotif model")
  return map_chunks(_chunk_fn(model), params, np.asarray(sequences, np.float32), chunk_size)
