"""Class optimisation: the input a model finds most typical of a class (Simonyan et al. 2014).

Starting from U(0, 1) inputs, minimise NLL(class | x) + lambda ||x||^2 with RMSprop (decay 0.99,
eps 1e-8; the originals passed momentum 0.9, which Torch's rmsprop ignores), 1000 steps, lambda
0.009 -- DeMo Dashboard (lr 0.05, DNA) and DeepChrome's `7_viz.lua` (lr 0.1, histone maps). Then
clamp to [0, 1] and divide by the global maximum; for DNA add 0.01 and normalise every position to
sum to 1, giving a position weight matrix. Many random starts run at once (batched) and the mean and
the spread across starts are reported; both classes are available (the originals optimised ON only).

Two deliberate changes, both because a ReLU network can have no gradient at all where every unit
is off, after which the L2 term alone drives every start to the same blank map (seen with our
DeepMotif CNNs): x is clamped to [0, 1] after every step (projected gradient descent), not only at
the end (`clamp_each_step=False` restores the original), and DNA starts are random one-hot
sequences rather than U(0, 1) noise, which for some trained CNNs lies entirely in that dead region
(`one_hot_start=False` restores the original).
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
import optax

from regjax.interpret.core import model_score


def mark_scale(marks: np.ndarray) -> np.ndarray:
  """Each mark's 99th-percentile count [marks] (at least 1) of histone bins [N, T, marks]: x = 1
  in a histone class-optimisation map stands for it."""
  return np.maximum(np.percentile(marks, 99, axis=(0, 1)), 1.0)


@functools.partial(jax.jit, static_argnames=("score", "shape", "target_class", "num_starts",
                                             "steps", "learning_rate", "l2", "clamp_each_step",
                                             "one_hot_start"))
def _optimise(params, key, scale, *, score, shape, target_class, num_starts, steps, learning_rate,
              l2, clamp_each_step, one_hot_start):
  if one_hot_start:  # a random sequence: one 1 per position
    x0 = jax.nn.one_hot(jax.random.randint(key, (num_starts, *shape[:-1]), 0, shape[-1]), shape[-1])
  else:
    x0 = jax.random.uniform(key, (num_starts, *shape))
  tx = optax.rmsprop(learning_rate, decay=0.99, eps=1e-8)

  def objective(x):
    log_odds = score(params, x * scale)                  # log P(1) - log P(0), [S]
    sign = 1.0 if target_class == 1 else -1.0
    nll = -jax.nn.log_sigmoid(sign * log_odds)           # -log P(target class)
    return jnp.sum(nll + l2 * jnp.sum(x**2, axis=tuple(range(1, x.ndim))))

  def step(carry, _):
    x, opt_state = carry
    grads = jax.grad(objective)(x)
    updates, opt_state = tx.update(grads, opt_state)
    x = optax.apply_updates(x, updates)
    if clamp_each_step:
      x = jnp.clip(x, 0.0, 1.0)
    return (x, opt_state), None

  (x, _), _ = jax.lax.scan(step, (x0, tx.init(x0)), None, length=steps)
  return x, jax.nn.sigmoid(score(params, x * scale))


def class_optimization(apply_fn, params, shape: tuple[int, ...], target_class: int = 1,
                       num_starts: int = 16, steps: int = 1000, learning_rate: float = 0.05,
                       l2: float = 0.009, seed: int = 0, pwm: bool = False,
                       clamp_each_step: bool = True, input_scale=1.0,
                       one_hot_start: bool | None = None) -> dict[str, np.ndarray]:
  """Optimised inputs of a class from `num_starts` random starts.

  Args:
    apply_fn, params: a binary classifier (2 softmax outputs or 1 logit) and its parameters.
    shape: one input's shape, e.g. (101, 4) for DNA or (100, 5) for histone bins.
    target_class: 1 (on / bound) or 0 (off / unbound).
    learning_rate: 0.05 for DeMo's DNA, 0.1 for DeepChrome's histone maps.
    pwm: DNA post-processing (+0.01, rows normalised to 1).
    clamp_each_step: project onto [0, 1] after every step (see the module docstring).
    one_hot_start: start from random one-hot rows (random DNA sequences) instead of U(0, 1);
      default: when `pwm`.
    input_scale: the model sees x * input_scale (broadcast over `shape`), x staying in [0, 1].
      1 for DNA and for DeepChrome's original use; for models of raw read counts pass a typical
      high count per mark (e.g. the training data's 99th percentile), or [0, 1] inputs are too
      small to move them.

  Returns:
    {"inputs": [S, *shape] post-processed maps, "mean": [*shape], "std": [*shape] across starts,
     "p_class": [S] the model's P(target class) at the optimised (unprocessed) inputs}
  """
  x, p_one = _optimise(params, jax.random.key(seed), jnp.asarray(input_scale, jnp.float32),
                       score=model_score(apply_fn, None),
                       shape=tuple(shape), target_class=target_class, num_starts=num_starts,
                       steps=steps, learning_rate=learning_rate, l2=l2,
                       clamp_each_step=clamp_each_step,
                       one_hot_start=pwm if one_hot_start is None else one_hot_start)
  x = np.clip(np.asarray(x), 0.0, 1.0)
  peak = x.reshape(num_starts, -1).max(axis=1).reshape((-1,) + (1,) * len(shape))
  x = np.divide(x, peak, out=np.zeros_like(x), where=peak > 0)
  if pwm:
    x = (x + 0.01) / (x + 0.01).sum(axis=-1, keepdims=True)
  p_class = np.asarray(p_one) if target_class == 1 else 1.0 - np.asarray(p_one)
  return {"inputs": x, "mean": x.mean(axis=0), "std": x.std(axis=0), "p_class": p_class}
