"""Evaluation metrics over a full evaluation set, computed on the host with numpy.

AUROC and AUPRC are tie-aware and equal scikit-learn's `roc_auc_score` and
`average_precision_score` (the original Lua `auRoc.lua` broke ties by sort order instead). With only
one class present they are undefined and return NaN rather than raising, so a tiny validation split
cannot crash a run; model selection treats NaN as the worst value.
"""

from __future__ import annotations

import numpy as np


def _check_binary(labels: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
  labels = np.asarray(labels).ravel()
  scores = np.asarray(scores, dtype=np.float64).ravel()
  if labels.shape != scores.shape:
    raise ValueError(f"labels {labels.shape} and scores {scores.shape} differ in length")
  if not np.isin(labels, (0, 1)).all():
    raise ValueError("labels must be 0 or 1")
  if not np.isfinite(scores).all():
    raise ValueError("scores contain NaN or infinity")
  return labels.astype(bool), scores


def auroc(labels: np.ndarray, scores: np.ndarray) -> float:
  """Area under the ROC curve: P(score of a random positive > a random negative), ties count 1/2.

  Args:
    labels: [N] 0/1.
    scores: [N] real; higher means more likely positive.
  """
  labels, scores = _check_binary(labels, scores)
  num_pos = int(labels.sum())
  num_neg = labels.size - num_pos
  if num_pos == 0 or num_neg == 0:
    return float("nan")
  # Mann-Whitney U with average ranks over tied scores.
  order = np.argsort(scores, kind="mergesort")
  sorted_scores = scores[order]
  ranks = np.empty(labels.size, dtype=np.float64)
  _, group_start, group_size = np.unique(sorted_scores, return_index=True, return_counts=True)
  average_rank = group_start + (group_size + 1) / 2.0
  ranks[order] = np.repeat(average_rank, group_size)
  rank_sum = ranks[labels].sum()
  return float((rank_sum - num_pos * (num_pos + 1) / 2.0) / (num_pos * num_neg))


def auprc(labels: np.ndarray, scores: np.ndarray) -> float:
  """Average precision: sum over distinct thresholds of (recall step) x precision (sklearn's AP).

  Args:
    labels: [N] 0/1.
    scores: [N] real; higher means more likely positive.
  """
  labels, scores = _check_binary(labels, scores)
  num_pos = int(labels.sum())
  if num_pos == 0 or num_pos == labels.size:
    return float("nan")
  order = np.argsort(-scores, kind="mergesort")
  sorted_scores, sorted_labels = scores[order], labels[order]
  # The last index of each run of equal scores is one threshold.
  threshold_ends = np.r_[np.flatnonzero(np.diff(sorted_scores)), labels.size - 1]
  true_pos = np.cumsum(sorted_labels)[threshold_ends]
  predicted_pos = threshold_ends + 1
  precision = true_pos / predicted_pos
  recall_step = np.diff(np.r_[0, true_pos]) / num_pos
  return float(np.sum(recall_step * precision))


def pearson_r(targets: np.ndarray, predictions: np.ndarray) -> float:
  """Pearson correlation coefficient (what DeepDiff's code printed as "R2"); NaN if either is constant."""
  x = np.asarray(targets, dtype=np.float64).ravel()
  y = np.asarray(predictions, dtype=np.float64).ravel()
  if x.shape != y.shape:
    raise ValueError(f"targets {x.shape} and predictions {y.shape} differ in length")
  x, y = x - x.mean(), y - y.mean()
  denominator = np.sqrt((x * x).sum() * (y * y).sum())
  if denominator == 0:
    return float("nan")
  return float((x * y).sum() / denominator)


def mean_squared_error(targets: np.ndarray, predictions: np.ndarray) -> float:
  x = np.asarray(targets, dtype=np.float64).ravel()
  y = np.asarray(predictions, dtype=np.float64).ravel()
  return float(np.mean((x - y) ** 2))


def classification_metrics(labels: np.ndarray, scores: np.ndarray) -> dict[str, float]:
  """AUROC, AUPRC and the number of examples."""
  return {"auroc": auroc(labels, scores), "auprc": auprc(labels, scores),
          "num_examples": int(np.asarray(labels).size)}


def regression_metrics(targets: np.ndarray, predictions: np.ndarray) -> dict[str, float]:
  """Pearson r, MSE and the number of examples."""
  return {"pearson_r": pearson_r(targets, predictions),
          "mse": mean_squared_error(targets, predictions),
          "num_examples": int(np.asarray(targets).size)}
