"""Plots (matplotlib, PNG): training curves and histone-mark heat maps.

Functions return the Figure and save it when given a path, so notebooks can show them inline and
runs can write them next to their results.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import matplotlib

if not os.environ.get("MPLBACKEND"):
  matplotlib.use("Agg")  # runs are headless; notebooks set their own backend first

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def _save(fig, path: str | None):
  if path:
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fig.savefig(path, dpi=120, bbox_inches="tight")
  return fig


def close(fig) -> None:
  """Frees a figure that was only saved (long runs would otherwise accumulate them)."""
  plt.close(fig)


def plot_training_curves(history: Sequence[dict], selected_epoch: int | None = None,
                         path: str | None = None, title: str = ""):
  """Training loss and every validation metric per epoch, with the selected epoch marked.

  Args:
    history: metrics.jsonl records ({"epoch", "train_loss", "valid_<metric>", ...}).
    selected_epoch: the epoch model selection picked (a dashed line).
    path: where to save the PNG (optional).
  """
  epochs = [h["epoch"] for h in history]
  valid_keys = [k for k in (history[0] if history else {}) if k.startswith("valid_")]
  fig, axes = plt.subplots(1, 1 + len(valid_keys), figsize=(4 * (1 + len(valid_keys)), 3.2),
                           squeeze=False)
  series = [("train_loss", "training loss")] + [(k, k.replace("_", " ")) for k in valid_keys]
  for ax, (key, label) in zip(axes[0], series):
    values = [np.nan if h.get(key) is None else h[key] for h in history]
    ax.plot(epochs, values, marker="o", markersize=3)
    if selected_epoch is not None:
      ax.axvline(selected_epoch, color="gray", linestyle="--", linewidth=1)
    ax.set_xlabel("epoch")
    ax.set_title(label)
    ax.grid(alpha=0.3)
  if title:
    fig.suptitle(title)
  fig.tight_layout()
  return _save(fig, path)


def plot_mark_heatmaps(maps: dict[str, np.ndarray], mark_names: Sequence[str],
                       path: str | None = None, title: str = "", cmap: str = "viridis"):
  """One heat map per entry of `maps`, each [T bins, M marks] shown as marks x bins.

  Args:
    maps: {panel title: float [T, M]}, e.g. mean inputs of ON and OFF genes.
    mark_names: the M row labels.
  """
  fig, axes = plt.subplots(len(maps), 1, figsize=(10, 1.0 + 0.45 * len(mark_names) * len(maps)),
                           squeeze=False)
  for ax, (name, values) in zip(axes[:, 0], maps.items()):
    image = ax.imshow(np.asarray(values).T, aspect="auto", cmap=cmap, interpolation="nearest")
    ax.set_yticks(range(len(mark_names)), mark_names)
    ax.set_title(name, fontsize=10)
    fig.colorbar(image, ax=ax, fraction=0.02, pad=0.01)
  axes[-1, 0].set_xlabel("bin (100 bp each; TSS at the centre)")
  if title:
    fig.suptitle(title)
  fig.tight_layout()
  return _save(fig, path)
