"""What a model is trained to do: the loss, the score a prediction becomes, and the metrics.

* "classification": on/off genes (or bound/unbound sequences). A model with 2 outputs is trained
  with softmax cross-entropy (DeepChrome's LogSoftMax + NLL); one with 1 output with sigmoid BCE on
  the logit (AttentiveChrome). The score is P(on). Metrics AUROC and AUPRC; selection by AUROC.
* "regression": log(expression + 1) with MSE; metrics Pearson r and MSE; selection by Pearson r.
  The model learns the target standardised with the training split's mean and standard deviation
  (better conditioned than raw log counts around 5, notably for AttentiveChrome's U(-0.1, 0.1) init
  and small learning rate); its output is mapped back before any metric, so predictions and MSE
  are on the original scale.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import optax

from regjax import metrics
from regjax.errors import ConfigError

_TARGETS = {"classification": "label", "regression": "log_expression"}
_SELECTION = {"classification": "auroc", "regression": "pearson_r"}


@dataclasses.dataclass(frozen=True)
class Task:
  """A training objective.

  Attributes:
    name: "classification" or "regression".
    target_mean, target_std: regression target standardisation (from the training split).
  """

  name: str
  target_mean: float = 0.0
  target_std: float = 1.0

  @property
  def target_key(self) -> str:
    """The batch field the model learns ("label" or "log_expression")."""
    return _TARGETS[self.name]

  @property
  def selection_metric(self) -> str:
    """The validation metric that picks the best epoch (higher is better)."""
    return _SELECTION[self.name]

  def fit_targets(self, train_targets: np.ndarray) -> "Task":
    """This task with regression targets standardised by the training split (no-op otherwise)."""
    if self.name != "regression":
      return self
    std = float(np.std(train_targets))
    return dataclasses.replace(self, target_mean=float(np.mean(train_targets)),
                               target_std=std if std > 0 else 1.0)

  def loss(self, outputs: jax.Array, targets: jax.Array) -> jax.Array:
    """Per-example loss [B] of model outputs [B, C] against targets [B]."""
    if self.name == "regression":
      return jnp.square(outputs[..., 0] - (targets - self.target_mean) / self.target_std)
    if outputs.shape[-1] == 1:
      return optax.sigmoid_binary_cross_entropy(outputs[..., 0], targets.astype(outputs.dtype))
    return optax.softmax_cross_entropy_with_integer_labels(outputs, targets)

  def score(self, outputs: jax.Array) -> jax.Array:
    """The score [B] a metric sees: P(on) or the predicted target on its original scale."""
    if self.name == "regression":
      return outputs[..., 0] * self.target_std + self.target_mean
    if outputs.shape[-1] == 1:
      return jax.nn.sigmoid(outputs[..., 0])
    return jax.nn.softmax(outputs, axis=-1)[..., 1]

  def evaluate(self, targets: np.ndarray, scores: np.ndarray) -> dict[str, float]:
    """{metric: value} over a whole split, on the host."""
    if self.name == "regression":
      return metrics.regression_metrics(targets, scores)
    return metrics.classification_metrics(targets, scores)


def get_task(name: str) -> Task:
  if name not in _TARGETS:
    raise ConfigError(f"unknown task {name!r}; expected one of {', '.join(_TARGETS)}")
  return Task(name)
