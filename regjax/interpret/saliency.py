"""Saliency maps: input gradients of a score (Simonyan et al. 2014), as DeMo Dashboard shows them.

* "gradient": d score / d x, for any input (bins x marks, positions x bases).
* "gradient_x_input": gradient * x.
* "observed_base": DeMo's map |gradient| * x: for one-hot DNA the absolute gradient at the base
  actually present (the original took the gradient of the NLL of the *true* label; we explain a
  fixed class's log-odds, so maps of positives and negatives are comparable).
"""

from __future__ import annotations

import functools

import jax.numpy as jnp

from regjax.interpret.core import as_tuple, batch_gradients, map_chunks, model_score

METHODS = ("gradient", "gradient_x_input", "observed_base")


@functools.lru_cache(maxsize=64)
def _chunk_fn(score, method: str):
  def chunk(params, xs):
    grads = batch_gradients(score, params, xs)
    if method == "gradient_x_input":
      return tuple(g * x for g, x in zip(grads, xs))
    if method == "observed_base":
      return tuple(jnp.abs(g) * x for g, x in zip(grads, xs))
    return grads
  return chunk


def saliency(apply_fn, params, inputs, target=None, method: str = "gradient",
             chunk_size: int = 256):
  """Per-example saliency maps.

  Args:
    apply_fn, params: the model (`model.apply`) and its parameters.
    inputs: array [N, ...] or a tuple of them (e.g. DeepDiff's two cells).
    target: what to explain (see `core.model_score`).
    method: one of METHODS.
    chunk_size: examples per compiled chunk.

  Returns:
    Maps with the structure and shapes of `inputs`.
  """
  if method not in METHODS:
    raise ValueError(f"unknown saliency method {method!r}; expected one of {METHODS}")
  single = not isinstance(inputs, (tuple, list))
  out = map_chunks(_chunk_fn(model_score(apply_fn, target), method), params, as_tuple(inputs),
                   chunk_size)
  return out[0] if single else out
