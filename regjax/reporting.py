"""What a run writes into its workdir besides checkpoints: metrics.jsonl, results.json, predictions.

* `config.json`: the config the run was started with (a resumed run must match it);
* `metrics.jsonl`: one JSON object per epoch (train loss, validation metrics, time);
* `results.json`: the final record (selected epoch, train/valid/test metrics, time, devices, config);
* `predictions/<split>.tsv`: one row per example: id, score, target.
Only the first process writes (multi-host runs share one workdir).
"""

from __future__ import annotations

import json
import math
import os
import platform
import sys
from collections.abc import Sequence

import jax
import numpy as np

import regjax


def is_writer() -> bool:
  """Only process 0 writes metrics and results."""
  return jax.process_index() == 0


def _jsonable(value):
  if isinstance(value, float) and not math.isfinite(value):
    return None  # JSON has no NaN; null reads as "undefined" (e.g. AUROC of a one-class split)
  if isinstance(value, dict):
    return {k: _jsonable(v) for k, v in value.items()}
  if isinstance(value, (list, tuple)):
    return [_jsonable(v) for v in value]
  if isinstance(value, np.generic):
    return _jsonable(value.item())
  return value


def write_json(path: str, payload: dict) -> None:
  """Writes `payload` atomically (a killed run never leaves half a file)."""
  if not is_writer():
    return
  os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
  tmp = f"{path}.tmp"
  with open(tmp, "w") as f:
    json.dump(_jsonable(payload), f, indent=2, sort_keys=False)
    f.write("\n")
  os.replace(tmp, path)


def json_roundtrip(payload):
  """`payload` as it reads back from JSON (tuples become lists, NaN becomes None)."""
  return json.loads(json.dumps(_jsonable(payload)))


def read_json(path: str) -> dict:
  with open(path) as f:
    return json.load(f)


class MetricsLog:
  """Appends one JSON line per epoch to `metrics.jsonl`; a resumed run first drops later epochs."""

  def __init__(self, path: str):
    self.path = path

  def truncate_after(self, epoch: int) -> None:
    """Keeps only the lines of epochs <= `epoch` (those covered by the restored checkpoint)."""
    if not is_writer() or not os.path.exists(self.path):
      return
    with open(self.path) as f:
      kept = [line for line in f if line.strip() and json.loads(line)["epoch"] <= epoch]
    with open(self.path, "w") as f:
      f.writelines(kept)

  def append(self, record: dict) -> None:
    if not is_writer():
      return
    with open(self.path, "a") as f:
      f.write(json.dumps(_jsonable(record)) + "\n")

  def read(self) -> list[dict]:
    if not os.path.exists(self.path):
      return []
    with open(self.path) as f:
      return [json.loads(line) for line in f if line.strip()]


def write_predictions(path: str, ids: Sequence[str], scores: np.ndarray,
                      targets: np.ndarray | None, target_name: str,
                      extra: dict[str, np.ndarray] | None = None) -> None:
  """Writes `id<TAB>score[<TAB>target][<TAB>extra...]` rows (no target column when unknown)."""
  if not is_writer():
    return
  os.makedirs(os.path.dirname(path), exist_ok=True)
  extra = extra or {}
  with open(path, "w") as f:
    f.write("\t".join(["id", "score", *([target_name] if targets is not None else []), *extra])
            + "\n")
    for i, name in enumerate(ids):
      row = f"{name}\t{scores[i]:.6g}"
      if targets is not None:
        row += f"\t{targets[i]:.6g}" if np.issubdtype(targets.dtype, np.floating) else f"\t{targets[i]}"
      row += "".join(f"\t{values[i]}" for values in extra.values())
      f.write(row + "\n")


def environment() -> dict:
  """Versions and devices, recorded with every result."""
  return {
      "regjax": regjax.__version__,
      "jax": jax.__version__,
      "python": sys.version.split()[0],
      "platform": platform.platform(),
      "devices": [str(d) for d in jax.devices()],
      "process_count": jax.process_count(),
  }
