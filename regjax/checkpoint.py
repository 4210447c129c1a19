"""Checkpoints of a training run (the only module that imports orbax).

A workdir holds two orbax `CheckpointManager`s:
* `checkpoints/latest`: the full train state after the last finished epoch plus a small JSON record
  (epoch, best metric so far, ...) so that a killed run resumes where it stopped;
* `checkpoints/best`: the parameters of the epoch with the best validation metric, which evaluation,
  interpretation and prediction restore.
Each keeps one step; saves are synchronous so a finished epoch is on disk before the next starts.
Orbax writes a step into a temporary folder and renames it when complete, and removes the previous
step only after that, so a save that fails (a full disk) leaves the last complete checkpoint; the
failure reaches the user as one `UserError` line naming the folder and the cause.
"""

from __future__ import annotations

import os
from typing import Any

import orbax.checkpoint as ocp

from regjax.errors import UserError


def _os_cause(error: BaseException) -> OSError | None:
  """The OSError behind an orbax exception (orbax wraps them in its own and in asyncio's)."""
  seen = set()
  while error is not None and id(error) not in seen:
    if isinstance(error, OSError):
      return error
    seen.add(id(error))
    error = error.__cause__ or error.__context__
  return None


class RunCheckpoints:
  """The latest and best checkpoints of one workdir."""

  def __init__(self, workdir: str | os.PathLike):
    self.root = os.path.join(os.path.abspath(os.fspath(workdir)), "checkpoints")
    options = ocp.CheckpointManagerOptions(max_to_keep=1, create=True,
                                           enable_async_checkpointing=False,
                                           cleanup_tmp_directories=True)
    try:
      self._latest = ocp.CheckpointManager(os.path.join(self.root, "latest"), options=options)
      self._best = ocp.CheckpointManager(os.path.join(self.root, "best"), options=options)
    except Exception as e:  # noqa: BLE001 (orbax raises many kinds; only OS failures are ours)
      self._raise_os_error(e, "cannot create checkpoints in")
      raise

  def _raise_os_error(self, error: BaseException, doing: str) -> None:
    cause = _os_cause(error)
    if cause is not None:
      raise UserError(f"{doing} {self.root}: {cause.strerror or cause}; the last complete "
                      "checkpoint is kept, so the same command resumes once this is fixed") from None

  def _save(self, manager, step: int, **items) -> None:
    args = ocp.args.Composite(**{k: ocp.args.JsonSave(v) if k == "record"
                                 else ocp.args.StandardSave(v) for k, v in items.items()})
    try:
      manager.save(step, args=args)
    except Exception as e:  # noqa: BLE001
      self._raise_os_error(e, "cannot write a checkpoint in")
      raise

  def save_latest(self, step: int, state: Any, record: dict) -> None:
    self._save(self._latest, step, state=state, record=record)

  def restore_latest(self, state_template: Any) -> tuple[Any, dict] | None:
    """Returns (state, record) of the latest save, or None when there is none."""
    step = self._latest.latest_step()
    if step is None:
      return None
    restored = self._latest.restore(step, args=ocp.args.Composite(
        state=ocp.args.StandardRestore(state_template), record=ocp.args.JsonRestore()))
    return restored.state, restored.record

  def latest_record(self) -> dict | None:
    """The record of the latest save (epoch, best epoch so far, ...), or None."""
    step = self._latest.latest_step()
    if step is None:
      return None
    return self._latest.restore(step, args=ocp.args.Composite(
        record=ocp.args.JsonRestore())).record

  def save_best(self, step: int, params: Any, record: dict) -> None:
    self._save(self._best, step, params=params, record=record)

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
