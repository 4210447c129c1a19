"""What every attribution method shares: the scalar being explained, and chunked evaluation.

A *score function* `score(params, *inputs) -> [B]` maps parameters and a batch of inputs (one array
[B, ...], or several, e.g. DeepDiff's marks_a and marks_b) to one number per example.
`model_score(apply_fn, target)` builds it for a Flax model: the log-odds of a class for classifiers
(log P(c) - log P(not c); for a single logit the logit itself), the output for regression, lfc for
DeepDiff. Examples never interact inside the models (no batch norm; dropout is off at inference),
so the gradient of the batch sum is every example's own gradient, in one backward pass.

`map_chunks` runs a function over the leading axis in fixed-size chunks (one jitted program per
chunk shape, parameters passed as arguments): memory stays bounded by the chunk, and the compiled
program is cached, so calling a method again (other inputs of the same chunk shape,
other parameters of the same model) does not recompile.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

ScoreFn = Callable[..., jax.Array]


@functools.lru_cache(maxsize=128)
def model_score(apply_fn, target: int | str | None = None) -> ScoreFn:
  """score(params, *inputs) -> [B] for a Flax model (the same object for the same arguments).

  Args:
    apply_fn: `model.apply`.
    target: for a 2-output classifier the class whose log-odds are explained (default 1 = on /
      bound); for dict outputs (DeepDiff) the key (default "lfc"); ignored for 1-output models.
  """
  to_score = outputs_to_score(target)

  def score(params, *inputs):
    return to_score(apply_fn({"params": params}, *inputs))
  return score


@functools.lru_cache(maxsize=32)
def outputs_to_score(target: int | str | None = None) -> Callable[[Any], jax.Array]:
  """Model outputs -> the explained score [...] (see `model_score`); one object per target."""
  def to_score(outputs):
    if isinstance(outputs, dict):
      return outputs[target or "lfc"]
    if outputs.shape[-1] == 1:
      return outputs[..., 0]
    cls = 1 if target is None else int(target)
    others = jnp.where(jnp.arange(outputs.shape[-1]) == cls, -jnp.inf, outputs)
    # log p_c - log(1 - p_c) = z_c - logsumexp(z_others): stable even when p_c rounds to 1.
    return outputs[..., cls] - jax.nn.logsumexp(others, axis=-1)
  return to_score


def as_tuple(inputs) -> tuple:
  return tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)


def map_chunks(fn: Callable, params: Any, inputs: Any, chunk_size: int) -> Any:
  """fn(params, chunk) over `inputs` (a pytree of arrays sharing a leading axis N), chunk by chunk.

  Args:
    fn: (params, pytree of [C, ...]) -> pytree of [C, ...]. Keep it the same object between calls
      (build it with a cached factory) so the compiled program is reused.
    params: passed to every call (traced, not baked in).
    inputs: pytree of arrays [N, ...].
    chunk_size: C (the last chunk is padded with copies of the first example, then dropped).

  Returns:
    The pytree of outputs, [N, ...] each, as numpy arrays.
  """
  n = jax.tree.leaves(inputs)[0].shape[0]
  chunk = max(1, min(chunk_size, n))
  padded_n = -(-n // chunk) * chunk

  def pad(x):
    x = np.asarray(x)
    if padded_n > n:
      x = np.concatenate([x, np.repeat(x[:1], padded_n - n, axis=0)])
    return x

  padded = jax.tree.map(pad, inputs)
  compiled = _compiled(fn)
  # One dispatch per chunk from Python (asynchronous, so chunks queue back to back): XLA's CPU
  # convolutions ran 1.7x slower inside a lax.map loop than as a program of their own.
  outs = [compiled(params, jax.tree.map(lambda x: x[start:start + chunk], padded))
          for start in range(0, padded_n, chunk)]
  return jax.tree.map(lambda *ys: np.concatenate([np.asarray(y) for y in ys])[:n], *outs)


@functools.lru_cache(maxsize=128)
def _compiled(fn):
  return jax.jit(fn)


def batch_gradients(score: ScoreFn, params, inputs: tuple) -> tuple:
  """d score / d input for every example of a batch (one backward pass of the summed score)."""
  return jax.grad(lambda *xs: jnp.sum(score(params, *xs)),
                  argnums=tuple(range(len(inputs))))(*inputs)
