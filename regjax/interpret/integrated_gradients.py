"""Integrated gradients (Sundararajan et al. 2017) with a chosen baseline.

attribution = (x - b) * mean over alpha of d score / d x at b + alpha (x - b), with `steps` alphas at
the midpoints (k + 1/2) / steps (midpoint rule: the completeness error falls as 1/steps^2). All
examples of a chunk and all their steps go through one gradient evaluation ([C * steps, ...]), so
the work is a few large batched passes instead of many small ones.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from regjax.interpret import fast_ig
from regjax.interpret.core import batch_gradients, map_chunks, model_score, outputs_to_score


@functools.lru_cache(maxsize=64)
def _chunk_fn(score, steps: int):
  alphas = (jnp.arange(steps, dtype=jnp.float32) + 0.5) / steps

  def chunk(params, pair):
    x, b = pair                                                     # [C, ...]
    shape = (1, -1) + (1,) * (x.ndim - 1)
    path = b[:, None] + alphas.reshape(shape) * (x - b)[:, None]    # [C, steps, ...]
    (grads,) = batch_gradients(score, params, (path.reshape(-1, *x.shape[1:]),))
    return (x - b) * grads.reshape(path.shape).mean(axis=1)
  return chunk


def integrated_gradients(apply_fn, params, inputs, baselines=None, target=None, steps: int = 50,
                         chunk_size: int = 16, method: str = "auto") -> np.ndarray:
  """Attributions [N, ...] of `inputs` relative to `baselines` (default: all zeros).

  Args:
    apply_fn, params: the model and its parameters.
    inputs: float [N, ...].
    baselines: float [N, ...] or None; `shuffled_baselines` gives dinucleotide-shuffled DNA.
    target: what to explain (see `core.model_score`).
    steps: interpolation steps per example.
    chunk_size: examples per compiled chunk (chunk_size * steps inputs per gradient pass).
    method: "auto" (the first-layer-once path of `fast_ig` when the model supports it), "fast"
      (that path, or an error) or "generic" (gradients of the whole model at every step).
  """
  if method not in ("auto", "fast", "generic"):
    raise ValueError(f"method must be 'auto', 'fast' or 'generic', got {method!r}")
  inputs = np.asarray(inputs, np.float32)
  baselines = np.zeros_like(inputs) if baselines is None else np.asarray(baselines, np.float32)
  if baselines.shape != inputs.shape:
    raise ValueError(f"baselines have shape {baselines.shape}; expected the inputs' shape "
                     f"{inputs.shape}")
  if method == "fast" and not fast_ig.supports(apply_fn):
    raise ValueError("method='fast' needs a DeepMotifCNN; use method='generic' for this model")
  if method != "generic" and fast_ig.supports(apply_fn):
    chunk = fast_ig.chunk_fn(apply_fn.__self__, outputs_to_score(target), steps,
                             fast_ig.constant_along_positions(baselines))
  else:
    chunk = _chunk_fn(model_score(apply_fn, target), steps)
  return map_chunks(chunk, params, (inputs, baselines), chunk_size)


def completeness_gap(apply_fn, params, inputs, baselines, attributions, target=None) -> np.ndarray:
  """sum(attributions) - (f(x) - f(baseline)) per example [N]; near 0 when IG has converged."""
  inputs = np.asarray(inputs, np.float32)
  baselines = np.zeros_like(inputs) if baselines is None else np.asarray(baselines, np.float32)
  score = jax.jit(model_score(apply_fn, target))
  delta = np.asarray(score(params, inputs)) - np.asarray(score(params, baselines))
  return np.asarray(attributions).reshape(len(inputs), -1).sum(axis=1) - delta


def shuffled_baselines(codes: np.ndarray, seed: int = 0) -> np.ndarray:
  """One-hot dinucleotide shuffles of DNA sequences (codes [N, L]) as IG baselines [N, L, 4]."""
  from regjax.datasets import sequences
  rng = np.random.default_rng(seed)
  return sequences.one_hot(np.stack([sequences.dinucleotide_shuffle(c, rng) for c in codes]))
