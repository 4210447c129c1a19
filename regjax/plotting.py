"""Plots (matplotlib, PNG): training curves, histone-mark heat maps, attention maps, sequence logos,
DNA saliency and mutation maps, temporal output curves.

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

# Every figure of signed values (attributions, score changes) uses this diverging map with limits
# symmetric about 0, so that white is exactly 0 and red always means "pushes the score up".
SIGNED_CMAP = "RdBu_r"


def _finish(fig, path: str | None, title: str = ""):
  """The last steps of every plot: the figure title, the layout, and saving when `path` is given."""
  if title:
    fig.suptitle(title)
  fig.tight_layout()
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
  return _finish(fig, path, title)


def plot_mark_heatmaps(maps: dict[str, np.ndarray], mark_names: Sequence[str],
                       path: str | None = None, title: str = "", signed: bool = False):
  """One heat map per entry of `maps`, each [T bins, M marks] shown as marks x bins.

  Args:
    maps: {panel title: float [T, M]}, e.g. mean inputs of ON and OFF genes.
    mark_names: the M row labels.
    signed: the values have a sign that matters (attributions): a diverging map (red positive,
      blue negative) whose white is exactly 0, with the same symmetric limits +/-max|value| on
      every panel so panels compare. Otherwise viridis, each panel its own range.
  """
  fig, axes = plt.subplots(len(maps), 1, figsize=(10, 1.0 + 0.45 * len(mark_names) * len(maps)),
                           squeeze=False)
  limit = max(float(np.abs(np.asarray(v)).max()) for v in maps.values()) if signed else None
  limit = limit or 1.0   # all zeros: any symmetric range draws them white
  for ax, (name, values) in zip(axes[:, 0], maps.items()):
    if signed:
      image = ax.imshow(np.asarray(values).T, aspect="auto", cmap=SIGNED_CMAP, vmin=-limit,
                        vmax=limit, interpolation="nearest")
    else:
      image = ax.imshow(np.asarray(values).T, aspect="auto", cmap="viridis",
                        interpolation="nearest")
    ax.set_yticks(range(len(mark_names)), mark_names)
    ax.set_title(name, fontsize=10)
    fig.colorbar(image, ax=ax, fraction=0.02, pad=0.01)
  axes[-1, 0].set_xlabel("bin (100 bp each; TSS at the centre)")
  return _finish(fig, path, title)


_BASE_COLOURS = {"A": "#109648", "C": "#255C99", "G": "#F7B32B", "T": "#D62839"}


def _draw_letter(ax, letter: str, x: float, bottom: float, height: float) -> None:
  """Draws `letter` filling the box [x, x + 1] x [bottom, bottom + height]."""
  from matplotlib.patches import PathPatch
  from matplotlib.textpath import TextPath
  from matplotlib.transforms import Affine2D
  path = TextPath((0, 0), letter, size=1, prop={"family": "DejaVu Sans", "weight": "bold"})
  box = path.get_extents()
  transform = (Affine2D().translate(-box.x0, -box.y0)
               .scale(0.9 / box.width, abs(height) / box.height).translate(x + 0.05, bottom))
  ax.add_patch(PathPatch(transform.transform_path(path), color=_BASE_COLOURS[letter], lw=0))


def information_content(pwm: np.ndarray) -> np.ndarray:
  """Per-position heights of a logo: p * (2 - entropy) in bits; pwm [L, 4] -> [L, 4]."""
  p = np.clip(pwm, 1e-9, 1.0)
  entropy = -(p * np.log2(p)).sum(axis=1, keepdims=True)
  return pwm * (2.0 - entropy)


def plot_logo(heights: np.ndarray, ax=None, title: str = "", path: str | None = None,
              ylabel: str = "bits"):
  """A sequence logo of per-position, per-base heights [L, 4] (A, C, G, T); negative heights are
  drawn below zero (attributions). For a PWM pass `information_content(pwm)`."""
  heights = np.asarray(heights, dtype=float)
  fig = None
  if ax is None:
    fig, ax = plt.subplots(figsize=(max(4, 0.16 * len(heights)), 1.8))
  for i, row in enumerate(heights):
    up, down = 0.0, 0.0
    for b in np.argsort(np.abs(row)):
      if row[b] >= 0:
        _draw_letter(ax, "ACGT"[b], i, up, row[b]) if row[b] > 0 else None
        up += row[b]
      else:
        down += row[b]
        _draw_letter(ax, "ACGT"[b], i, down, -row[b])
  top = max(heights.clip(min=0).sum(1).max(), 1e-6)
  bottom = min(heights.clip(max=0).sum(1).min(), 0.0)
  ax.set_xlim(0, len(heights))
  ax.set_ylim(bottom * 1.05, top * 1.05)
  ax.set_ylabel(ylabel)
  ax.axhline(0, color="black", linewidth=0.5)
  if title:
    ax.set_title(title, fontsize=10)
  if fig is not None:
    return _finish(fig, path)
  return ax


def plot_sequence_maps(sequence: np.ndarray, maps: dict[str, np.ndarray],
                       logo_scores: dict[str, np.ndarray] | None = None,
                       path: str | None = None, title: str = ""):
  """For one DNA sequence: per map, a logo of the observed bases scaled by the map's score there,
  and a 4 x L heat map of every base.

  Args:
    sequence: one-hot [L, 4].
    maps: {name: [L, 4]} (saliency, integrated gradients, ISM deltas, ...).
    logo_scores: {name: [L]} heights of the observed bases; default (map * sequence) summed over
      bases. For ISM, whose value at the observed base is 0, pass e.g. minus the mean delta.
  """
  logo_scores = logo_scores or {}
  length = len(sequence)
  fig, axes = plt.subplots(2 * len(maps), 1, figsize=(max(8, 0.12 * length), 2.2 * len(maps)),
                           squeeze=False)
  for k, (name, values) in enumerate(maps.items()):
    heights = logo_scores.get(name, (values * sequence).sum(axis=1))
    plot_logo(heights[:, None] * sequence, ax=axes[2 * k, 0], title=f"{name}: observed bases",
              ylabel="")
    limit = np.abs(values).max() or 1.0
    heat = axes[2 * k + 1, 0]
    image = heat.imshow(values.T, aspect="auto", cmap=SIGNED_CMAP, vmin=-limit, vmax=limit,
                        interpolation="nearest", extent=(0, length, 4, 0))
    heat.set_yticks(np.arange(4) + 0.5, list("ACGT"))
    heat.set_title(f"{name}: every base", fontsize=10)
    fig.colorbar(image, ax=heat, fraction=0.02, pad=0.01)
  axes[-1, 0].set_xlabel("position")
  return _finish(fig, path, title)


def plot_attention(alpha: np.ndarray, beta: np.ndarray, channel_names: Sequence[str],
                   token_names: Sequence[str] | None = None, path: str | None = None,
                   title: str = ""):
  """Bin-level attention alpha [C, T] as a heat map beside the mark-level attention beta [K]."""
  fig, (left, right) = plt.subplots(1, 2, figsize=(12, 1.2 + 0.35 * len(channel_names)),
                                    gridspec_kw={"width_ratios": [4, 1]})
  image = left.imshow(alpha, aspect="auto", cmap="viridis", interpolation="nearest")
  left.set_yticks(range(len(channel_names)), channel_names, fontsize=8)
  left.set_xlabel("bin")
  left.set_title("bin-level attention (alpha)", fontsize=10)
  fig.colorbar(image, ax=left, fraction=0.02, pad=0.01)
  names = list(token_names or channel_names)[:len(beta)]
  right.barh(range(len(beta)), beta, color="#255C99")
  right.set_yticks(range(len(beta)), names, fontsize=8)
  right.invert_yaxis()
  right.set_title("mark-level attention (beta)", fontsize=10)
  return _finish(fig, path, title)


def plot_temporal(forward: np.ndarray, backward: np.ndarray, path: str | None = None,
                  title: str = "", marked: tuple[int, int] | None = None):
  """DeMo's temporal output values: P(bound) on each prefix (forward) and suffix (backward) [L]."""
  fig, ax = plt.subplots(figsize=(9, 2.6))
  positions = np.arange(1, len(forward) + 1)
  ax.plot(positions, forward, label="forward: prefix x[1..i]", color="#D62839")
  ax.plot(positions, backward, label="backward: suffix x[i..L]", color="#255C99")
  if marked is not None:
    ax.axvspan(marked[0] + 1, marked[1], color="gray", alpha=0.2, label="planted motif")
  ax.set_ylim(-0.02, 1.02)
  ax.set_xlabel("position i")
  ax.set_ylabel("P(bound)")
  ax.legend(fontsize=8, loc="best")
  if title:
    ax.set_title(title, fontsize=10)
  return _finish(fig, path)
