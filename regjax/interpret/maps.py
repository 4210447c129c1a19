"""Maps read off a trained model: attention (AttentiveChrome, DeepDiff), DeepChrome's first-layer
feature maps, group averages (ON vs OFF genes), and motif matching for DNA attributions."""

from __future__ import annotations

import functools

import jax
import numpy as np

from regjax.interpret.core import as_tuple, map_chunks


@functools.lru_cache(maxsize=32)
def _method_chunk(apply_fn, method: str, keys: tuple[str, ...] | None):
  def chunk(params, xs):
    out = apply_fn({"params": params}, *xs, method=method)
    return {k: out[k] for k in keys} if keys else out
  return chunk


def attention_maps(model, params, inputs, chunk_size: int = 256) -> dict[str, np.ndarray]:
  """alpha [N, C, T] and beta [N, K] (plus beta_a/beta_b for DeepDiff's aux variants) of a model
  with an `attend` method."""
  if not hasattr(model, "attend"):
    raise ValueError(f"{type(model).__name__} has no attention")
  probe = jax.eval_shape(lambda *xs: model.apply({"params": params}, *xs, method="attend"),
                         *[x[:1] for x in as_tuple(inputs)])
  keys = tuple(sorted(k for k in probe if k.startswith(("alpha", "beta"))))
  return map_chunks(_method_chunk(model.apply, "attend", keys), params, as_tuple(inputs), chunk_size)


def feature_maps(model, params, marks, chunk_size: int = 256) -> np.ndarray:
  """DeepChrome's conv + ReLU activations [N, T - 9, 50]."""
  return map_chunks(_method_chunk(model.apply, "first_layer_activations", None), params,
                    (np.asarray(marks),), chunk_size)


def group_means(values: np.ndarray, groups: np.ndarray, names: dict) -> dict[str, np.ndarray]:
  """{name: mean of values[groups == key]} for every non-empty group ({1: "ON", 0: "OFF"})."""
  return {name: values[groups == key].mean(axis=0) for key, name in names.items()
          if np.any(groups == key)}


def _reverse_complement_pwm(pwm: np.ndarray) -> np.ndarray:
  return pwm[::-1, ::-1]  # reverse positions; A,C,G,T -> T,G,C,A


def motif_match(profile: np.ndarray, motif: np.ndarray) -> dict:
  """Best ungapped alignment of a motif [W, 4] inside a longer profile [L, 4] (e.g. a PWM from class
  optimisation), either strand: the Pearson r of the aligned [W, 4] blocks and where it is."""
  width = len(motif)
  best = {"pearson_r": -1.0, "start": 0, "strand": 1}
  for strand, target in ((1, motif), (-1, _reverse_complement_pwm(motif))):
    for start in range(len(profile) - width + 1):
      block = profile[start:start + width].ravel()
      if block.std() == 0:
        continue  # a flat block has no correlation with anything
      r = np.corrcoef(block, target.ravel())[0, 1]
      if np.isfinite(r) and r > best["pearson_r"]:
        best = {"pearson_r": float(r), "start": start, "strand": strand}
  return best


def best_window(attribution: np.ndarray, width: int) -> np.ndarray:
  """Start of the `width`-long window with the largest total attribution, per example.

  attribution: [N, L] (e.g. saliency summed over bases) -> int [N]."""
  cumulative = np.concatenate([np.zeros((len(attribution), 1)), np.cumsum(attribution, axis=1)], 1)
  window_sums = cumulative[:, width:] - cumulative[:, :-width]
  return window_sums.argmax(axis=1)
