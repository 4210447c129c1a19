"""Checkpoints of a training run (the only module that imports orbax).

A workdir holds two orbax `CheckpointManager`s:
* `checkpoints/latest`: the full train state after the last finished epoch plus a small JSON record
  (epoch, best metric so far, ...) so that a killed run resumes where it stopped;
* `checkpoints/best`: the parameters of the epoch with the best validation metric, which evaluation,
  interpretation and prediction restore.
Each keeps one step; saves are synchronous so a finished epoch is on disk before the next starts.
"""

from __future__ import annotations

import os
from typing import Any

import orbax.checkpoint as ocp


class RunCheckpoints:
  """The latest and best checkpoints of one workdir."""

  def __init__(self, workdir: str | os.PathLike):
    root = os.path.join(os.path.abspath(os.fspath(workdir)), "checkpoints")
    options = ocp.CheckpointManagerOptions(max_to_keep=1, create=True,
                                           enable_async_checkpointing=False)
    self._latest = ocp.CheckpointManager(os.path.join(root, "latest"), options=options)
    self._best = ocp.CheckpointManager(os.path.join(root, "best"), options=options)

  def save_latest(self, step: int, state: Any, record: dict) -> None:
    self._latest.save(step, args=ocp.args.Composite(state=ocp.args.StandardSave(state),
                                                    record=ocp.args.JsonSave(record)))

  def restore_latest(self, state_template: Any) -> tuple[Any, dict] | None:
    """Returns (state, record) of the latest save, or None when there is none."""
    step = self._latest.latest_step()
    if step is None:
      return None
    restored = self._latest.restore(step, args=ocp.args.Composite(
        state=ocp.args.StandardRestore(state_template), record=ocp.args.JsonRestore()))
    return restored.state, restored.record

  def save_best(self, step: int, params: Any, record: dict) -> None:
    self._best.save(step, args=ocp.args.Composite(params=ocp.args.StandardSave(params),
                                                  record=ocp.args.JsonSave(record)))

  def restore_best(self, params_template: Any) -> tuple[Any, dict] | None:
    """Returns (params, record) of the best epoch, or None when nothing was saved yet."""
    step = self._best.latest_step()
    if step is None:
      return None
    restored = self._best.restore(step, args=ocp.args.Composite(
        params=ocp.args.StandardRestore(params_template), record=ocp.args.JsonRestore()))
    return restored.params, restored.record

  def close(self) -> None:
    self._latest.close()
    self._best.close()
