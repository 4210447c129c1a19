"""What a model is trained to do: the loss, the score a prediction becomes, and the metrics.

* "classification": on/off genes (or bound/unbound sequences). A model with 2 outputs is trained
  with softmax cross-entropy (DeepChrome's LogSoftMax + NLL); one with 1 output with sigmoid BCE on
  the logit (AttentiveChrome). The score is P(on). Metrics AUROC and AUPRC; selection by AUROC.
* "regression": log(expression + 1) with MSE; metrics Pearson r and MSE; selection by Pearson r.
  The model learns the target standardised with the training split's mean and standard deviation
  (better conditioned than raw log counts around 5, notably for AttentiveChrome's U(-0.1, 0.1) init
  and small learning rate); its output is mapped back before any metric, so predictions and MSE
  are on the original scale.
* "differential" (DeepDiff): the model returns a dict. Loss = MSE(lfc) [+ aux_weight x (MSE of the
  two per-cell log2(expr + 1) heads) when the model has them] [+ contrastive_weight x the contrastive
  loss of the two cells' level-1 embeddings when it returns them]; metrics Pearson r and MSE of lfc.
  By default lfc and the per-cell targets are standardised with training statistics, as for
  regression (`standardize_targets=False` restores DeepDiff's raw-scale MSE terms).
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import optax

from regjax import metrics
from regjax.errors import ConfigError

_TARGETS = {"classification": ("label",), "regression": ("log_expression",),
            "differential": ("lfc", "log2_expression_a", "log2_expression_b")}
_SELECTION = {"classification": "auroc", "regression": "pearson_r", "differential": "pearson_r"}


def contrastive_loss(embedding_a: jax.Array, embedding_b: jax.Array, different: jax.Array,
                     margin: float = 2.0, eps: float = 1e-6) -> jax.Array:
  """Per-pair contrastive loss (Hadsell et al. 2006), as DeepDiff's SiameseLoss.py.

  d = ||e_a - e_b + eps|| (PyTorch's pairwise_distance); similar pairs pay d^2, different pairs
  pay max(margin - d, 0)^2.

  Args:
    embedding_a, embedding_b: float [B, D].
    different: [B] 1 where the pair should be pushed apart, 0 where pulled together.

  Returns:
    float [B].
  """
  distance = jnp.sqrt(jnp.sum(jnp.square(embedding_a - embedding_b + eps), axis=-1))
  different = different.astype(distance.dtype)
  return (1 - different) * distance**2 + different * jnp.maximum(margin - distance, 0.0)**2


@dataclasses.dataclass(frozen=True)
class Task:
  """A training objective.

  Attributes:
    name: "classification", "regression" or "differential".
    target_mean, target_std: standardisation of the main target (regression, lfc), fitted on the
      training split; aux_mean, aux_std: of DeepDiff's per-cell targets.
    standardize_targets: fit those statistics at all (regression and differential tasks).
    aux_weight, contrastive_weight, margin, lfc_threshold: DeepDiff's loss terms (|lfc| >=
      lfc_threshold labels a pair "different" for the contrastive loss).
  """

  name: str
  target_mean: float = 0.0
  target_std: float = 1.0
  aux_mean: float = 0.0
  aux_std: float = 1.0
  standardize_targets: bool = True
  aux_weight: float = 1.0
  contrastive_weight: float = 4.0
  margin: float = 2.0
  lfc_threshold: float = 2.0

  @property
  def target_keys(self) -> tuple[str, ...]:
    """Every batch field the loss reads."""
    return _TARGETS[self.name]

  @property
  def target_key(self) -> str:
    """The field the metrics compare the score with ("label", "log_expression" or "lfc")."""
    return _TARGETS[self.name][0]

  @property
  def selection_metric(self) -> str:
    """The validation metric that picks the best epoch (higher is better)."""
    return _SELECTION[self.name]

  def fit_targets(self, train: dict[str, np.ndarray]) -> "Task":
    """This task with its real-valued targets standardised by the training split's statistics."""
    if self.name == "classification" or not self.standardize_targets:
      return self

    def stats(values):
      std = float(np.std(values))
      return float(np.mean(values)), (std if std > 0 else 1.0)

    mean, std = stats(train[self.target_key])
    fitted = dataclasses.replace(self, target_mean=mean, target_std=std)
    if self.name == "differential":
      aux_mean, aux_std = stats(np.concatenate([train["log2_expression_a"],
                                                train["log2_expression_b"]]))
      fitted = dataclasses.replace(fitted, aux_mean=aux_mean, aux_std=aux_std)
    return fitted

  def _standard(self, value, aux: bool = False):
    if aux:
      return (value - self.aux_mean) / self.aux_std
    return (value - self.target_mean) / self.target_std

  def loss(self, outputs, batch: dict) -> jax.Array:
    """Per-example loss [B] of the model outputs against the batch's targets."""
    target = batch[self.target_key]
    if self.name == "differential":
      loss = jnp.square(outputs["lfc"] - self._standard(target))
      if "aux_a" in outputs:
        loss += self.aux_weight * (
            jnp.square(outputs["aux_a"] - self._standard(batch["log2_expression_a"], aux=True)) +
            jnp.square(outputs["aux_b"] - self._standard(batch["log2_expression_b"], aux=True)))
      if "embedding_a" in outputs:
        different = jnp.abs(target) >= self.lfc_threshold
        loss += self.contrastive_weight * contrastive_loss(
            outputs["embedding_a"], outputs["embedding_b"], different, self.margin)
      return loss
    if self.name == "regression":
      return jnp.square(outputs[..., 0] - self._standard(target))
    if outputs.shape[-1] == 1:
      return optax.sigmoid_binary_cross_entropy(outputs[..., 0], target.astype(outputs.dtype))
    return optax.softmax_cross_entropy_with_integer_labels(outputs, target)

  def score(self, outputs) -> jax.Array:
    """The score [B] a metric sees: P(on), or the prediction on the target's original scale."""
    if self.name == "differential":
      return outputs["lfc"] * self.target_std + self.target_mean
    if self.name == "regression":
      return outputs[..., 0] * self.target_std + self.target_mean
    if outputs.shape[-1] == 1:
      return jax.nn.sigmoid(outputs[..., 0])
    return jax.nn.softmax(outputs, axis=-1)[..., 1]

  def evaluate(self, targets: np.ndarray, scores: np.ndarray) -> dict[str, float]:
    """{metric: value} over a whole split, on the host."""
    if self.name == "classification":
      return metrics.classification_metrics(targets, scores)
    return metrics.regression_metrics(targets, scores)


def get_task(name: str, loss_config=None) -> Task:
  """The task `name`; `loss_config` (config.loss) sets DeepDiff's loss weights."""
  if name not in _TARGETS:
    raise ConfigError(f"unknown task {name!r}; expected one of {', '.join(_TARGETS)}")
  fields = dict(loss_config or {})
  known = {"aux_weight", "contrastive_weight", "margin", "lfc_threshold", "standardize_targets"}
  unknown = sorted(set(fields) - known)
  if unknown:
    raise ConfigError(f"config.loss has unknown field(s) {', '.join(unknown)}; known: "
                      f"{', '.join(sorted(known))}")
  return Task(name, **fields)
