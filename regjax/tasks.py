"""What a model is trained to do: the loss, the score a prediction becomes, and the metrics.

* "classification": on/off genes (or bound/unbound sequences). A model with 2 outputs is trained
  with softmax cross-entropy (DeepChrome's LogSoftMax + NLL); one with 1 output with sigmoid BCE on
  the logit (AttentiveChrome). The score is P(on). Metrics AUROC and AUPRC; selection by AUROC.
* "regression": log(expression + 1) with MSE; metrics Pearson r and MSE; selection by Pearson r.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
import optax

from regjax import metrics
from regjax.errors import ConfigError


@dataclasses.dataclass(frozen=True)
class Task:
  """A training objective.

  Attributes:
    name: "classification" or "regression".
    target_key: the batch field the model learns ("label" or "log_expression").
    selection_metric: the validation metric that picks the best epoch (higher is better).
    loss: (outputs [B, C], targets [B]) -> per-example loss [B].
    score: outputs [B, C] -> the score a metric sees [B].
    evaluate: (targets [N], scores [N]) -> {metric: value} on the host.
  """

  name: str
  target_key: str
  selection_metric: str
  loss: Callable[[jax.Array, jax.Array], jax.Array]
  score: Callable[[jax.Array], jax.Array]
  evaluate: Callable[[np.ndarray, np.ndarray], dict[str, float]]


def _classification_loss(outputs: jax.Array, labels: jax.Array) -> jax.Array:
  if outputs.shape[-1] == 1:
    return optax.sigmoid_binary_cross_entropy(outputs[..., 0], labels.astype(outputs.dtype))
  return optax.softmax_cross_entropy_with_integer_labels(outputs, labels)


def _classification_score(outputs: jax.Array) -> jax.Array:
  if outputs.shape[-1] == 1:
    return jax.nn.sigmoid(outputs[..., 0])
  return jax.nn.softmax(outputs, axis=-1)[..., 1]


def _regression_loss(outputs: jax.Array, targets: jax.Array) -> jax.Array:
  return jnp.square(outputs[..., 0] - targets)


TASKS = {
    "classification": Task("classification", "label", "auroc", _classification_loss,
                           _classification_score, metrics.classification_metrics),
    "regression": Task("regression", "log_expression", "pearson_r", _regression_loss,
                       lambda outputs: outputs[..., 0], metrics.regression_metrics),
}


def get_task(name: str) -> Task:
  if name not in TASKS:
    raise ConfigError(f"unknown task {name!r}; expected one of {', '.join(TASKS)}")
  return TASKS[name]
