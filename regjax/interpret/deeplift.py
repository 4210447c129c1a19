"""DeepLIFT (Rescale rule) and DeepSHAP contributions for every regjax model.

The model's score (log-odds of a class, the regression output, DeepDiff's lfc) is traced once and
re-evaluated on pairs (input, reference) with DeepLIFT's rules for each primitive
(`regjax.interpret.deeplift_rules`: Rescale for elementwise non-linearities, the DeepSHAP rule for
max pooling and global maxima, the Shapley split for products such as LSTM gates and attention);
a primitive without a rule is an error, never silently linear. Gradients of that evaluation are
the DeepLIFT multipliers m, and

  contribution = (x - reference) * m,   sum of contributions = f(x) - f(reference)

(summation to delta; `summation_error` measures it, every run reports it).
DeepSHAP (Lundberg & Lee 2017) averages the contributions over several references: for DNA, K
dinucleotide shuffles of each sequence (default 20, seeded: `shuffled_references`); for histone
marks, zeros or a chosen background. For one-hot DNA the *hypothetical* contributions say what
each of the four bases would contribute at each position: hyp[l, b] = mean over references of
m[l, b] - sum_c m[l, c] ref[l, c] (the quantity TF-MoDISco reads), and the contributions are
reported at the observed base, hyp * x (their sum at a position is the same as that of
(x - ref) * m over the four channels; the convention of DeepSHAP's genomics users and tangermeme).

Everything is batched: a chunk of sequences times all of their references is one call of one
jitted program (`chunk_size` sequences per call), compiled once per chunk shape.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from regjax.interpret.core import as_tuple, map_chunks, outputs_to_score
from regjax.interpret.deeplift_rules import Pair, paired_eval


@functools.lru_cache(maxsize=64)
def deeplift_score(apply_fn, target: int | str | None = None):
  """score(params, *inputs) -> [B]: what `regjax.interpret.core.model_score` explains, with a
  2-logit classifier's log-odds written z_c - z_other (the same number; linear in the logits)."""
  general = outputs_to_score(target)

  def score(params, *inputs):
    outputs = apply_fn({"params": params}, *inputs)
    if not isinstance(outputs, dict) and outputs.shape[-1] == 2:
      cls = 1 if target is None else int(target)
      return outputs[..., cls] - outputs[..., 1 - cls]
    return general(outputs)
  return score


@functools.lru_cache(maxsize=64)
def _chunk_fn(score, one_hot: bool):
  def chunk(params, data):
    inputs, references = data                    # [C, ...] each; [C, K, ...] each
    k = references[0].shape[1]
    tiled = tuple(jnp.repeat(x, k, axis=0) for x in inputs)                  # [C*K, ...]
    refs = tuple(r.reshape((-1,) + r.shape[2:]).astype(x.dtype) for r, x in zip(references, tiled))
    leaves, tree = jax.tree.flatten(params)
    closed = jax.make_jaxpr(lambda leaves, *z: score(jax.tree.unflatten(tree, leaves), *z))(
        leaves, *tiled)

    def explained(*z):
      pairs = [Pair(a, jax.lax.stop_gradient(b)) for a, b in zip(z, refs)]
      out = paired_eval(closed.jaxpr, closed.consts, [*leaves, *pairs])[0]
      return jnp.sum(out.x), (out.x, out.r)

    multipliers, (fx, fr) = jax.grad(explained, argnums=tuple(range(len(tiled))),
                                     has_aux=True)(*tiled)
    out = {"contributions": [], "summed": 0.0, "delta": (fx - fr).reshape(-1, k)}
    for x, r, m in zip(tiled, refs, multipliers):
      per_ref = ((x - r) * m).reshape((-1, k) + x.shape[1:])                 # [C, K, ...]
      out["contributions"].append(per_ref.mean(axis=1))
      out["summed"] = out["summed"] + per_ref.reshape(per_ref.shape[:2] + (-1,)).sum(-1)
      if one_hot:
        hyp = (m - jnp.sum(m * r, axis=-1, keepdims=True)).reshape(per_ref.shape).mean(axis=1)
        out["hypothetical"] = [hyp]
        out["contributions"][-1] = hyp * x.reshape(per_ref.shape)[:, 0]  # at the observed bases
    return out
  return chunk


def deeplift(apply_fn, params, inputs, references, target=None, one_hot: bool = False,
             chunk_size: int = 32) -> dict:
  """DeepLIFT contributions averaged over references (DeepSHAP when there are several).

  Args:
    apply_fn, params: the model (`model.apply`) and its parameters.
    inputs: array [N, ...] or a tuple of them (DeepDiff's two cells).
    references: the same structure, each [N, K, ...] (K references per example), or [...]
      (one reference for every example, e.g. zeros or a background; broadcast).
    target: what to explain (`regjax.interpret.core.model_score`).
    one_hot: the inputs are one-hot DNA [N, L, 4]: also return hypothetical contributions.
    chunk_size: examples per compiled call (each with all its K references).

  Returns:
    {"contributions": like `inputs` ([N, ...]; for one_hot at the observed base),
     "hypothetical": [N, L, 4] (one_hot),
     "delta": f(x) - f(reference) [N, K], "summed": the contributions' sum [N, K]}.
  """
  single = not isinstance(inputs, (tuple, list))
  inputs = tuple(np.asarray(x, np.float32) for x in as_tuple(inputs))
  references = tuple(_per_example(np.asarray(r, np.float32), x)
                     for r, x in zip(as_tuple(references), inputs))
  out = map_chunks(_chunk_fn(deeplift_score(apply_fn, target), one_hot), params,
                   (inputs, references), chunk_size)
  result = {"delta": out["delta"], "summed": out["summed"],
            "contributions": out["contributions"][0] if single else tuple(out["contributions"])}
  if one_hot:
    result["hypothetical"] = out["hypothetical"][0]
  return result


def _per_example(reference: np.ndarray, x: np.ndarray) -> np.ndarray:
  """[N, K, ...] references for inputs x [N, ...]."""
  if reference.shape == x.shape[1:]:
    reference = reference[None, None]
  elif reference.shape == x.shape:
    reference = reference[:, None]
  if reference.ndim != x.ndim + 1 or reference.shape[2:] != x.shape[1:]:
    raise ValueError(f"references of shape {reference.shape} do not fit inputs {x.shape}: "
                     "expected [N, K, ...], [N, ...] or one example's shape")
  return np.ascontiguousarray(np.broadcast_to(reference, (len(x),) + reference.shape[1:]))


def shuffled_references(codes: np.ndarray, num_shuffles: int = 20, seed: int = 0) -> np.ndarray:
  """Dinucleotide shuffles [N, K, L, 4] (one-hot) of sequences given as codes [N, L]."""
  from regjax.datasets import sequences
  shuffles = sequences.dinucleotide_shuffles(np.asarray(codes), num_shuffles,
                                             np.random.default_rng(seed))
  return sequences.one_hot(shuffles)


def deep_shap(apply_fn, params, sequences: np.ndarray, codes: np.ndarray | None = None,
              num_shuffles: int = 20, seed: int = 0, target=None, chunk_size: int = 32) -> dict:
  """DeepSHAP of one-hot DNA [N, L, 4] against `num_shuffles` dinucleotide shuffles of each
  sequence (`deeplift` with one_hot=True; codes [N, L] default to the one-hot's argmax, N = 4)."""
  sequences = np.asarray(sequences, np.float32)
  if codes is None:
    codes = np.where(sequences.sum(-1) > 0, sequences.argmax(-1), 4)
  references = shuffled_references(codes, num_shuffles, seed)
  return deeplift(apply_fn, params, sequences, references, target, one_hot=True,
                  chunk_size=chunk_size)


def summation_error(result: dict) -> dict:
  """How far the contributions are from summing to f(x) - f(reference), over every pair:
  {"max_abs": ..., "max_relative": (relative to max |delta|, at least 1e-6)}."""
  gap = np.abs(np.asarray(result["summed"]) - np.asarray(result["delta"]))
  scale = max(float(np.abs(result["delta"]).max()), 1e-6) if gap.size else 1.0
  return {"max_abs": float(gap.max()) if gap.size else 0.0,
          "max_relative": float(gap.max() / scale) if gap.size else 0.0}
