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

import contextlib
import logging
import os
import re
import sys
import threading
import time
from typing import Any

import orbax.checkpoint as ocp

from regjax.errors import UserError


def _os_cause(error: BaseException) -> str | None:
  """The OS failure behind an orbax exception, in words: an OSError in the chain (orbax wraps
  them in its own and asyncio's exceptions), or tensorstore's "[os_error_code='28']" text."""
  seen = set()
  while error is not None and id(error) not in seen:
    if isinstance(error, OSError):
      return error.strerror or str(error)
    code = re.search(r"os_error_code='(\d+)'", str(error))
    if code:
      return os.strerror(int(code.group(1)))
    seen.add(id(error))
    error = error.__cause__ or error.__context__
  return None


@contextlib.contextmanager
def _quiet_orbax():
  """Holds back what a save writes to stderr, and replays it unless the save fails.

  A failed save (a full disk) makes orbax log the error from each of its threads and tensorstore
  print tracebacks of callbacks into orbax's closed event loop, some 100-300 lines; regjax reports
  the failure itself in one line (`_raise_os_error`). Everything goes to an in-memory file while
  the save runs (the disk may be the full one).
  """
  logger = logging.getLogger("absl")
  level = logger.level
  sys.stderr.flush()
  held = os.memfd_create("regjax-checkpoint-stderr") if hasattr(os, "memfd_create") else None
  saved_fd = os.dup(2) if held is not None else None
  if held is not None:
    os.dup2(held, 2)
  logger.setLevel(logging.CRITICAL)
  failed = False
  try:
    yield
  except BaseException:
    failed = True
    raise
  finally:
    logger.setLevel(level)
    if held is not None:
      sys.stderr.flush()
      os.dup2(saved_fd, 2)
      os.close(saved_fd)
      if not failed:
        os.lseek(held, 0, os.SEEK_SET)
        while chunk := os.read(held, 1 << 16):
          os.write(2, chunk)
      os.close(held)


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
      raise UserError(f"{doing} {self.root}: {cause}; the last complete checkpoint is kept, so "
                      "the same command resumes once this is fixed") from None

  def _save(self, manager, step: int, **items) -> None:
    args = ocp.args.Composite(**{k: ocp.args.JsonSave(v) if k == "record"
                                 else ocp.args.StandardSave(v) for k, v in items.items()})
    try:
      with _quiet_orbax():
        try:
          manager.save(step, args=args)
        except Exception:
          self._close_quietly()   # let orbax's threads end while their output is held back
          raise
    except Exception as e:  # noqa: BLE001
      self._raise_os_error(e, "cannot write a checkpoint in")
      raise

  def _close_quietly(self) -> None:
    for manager in (self._latest, self._best):
      try:
        manager.close()
      except Exception:  # noqa: BLE001 (already failing; the first error is the one reported)
        pass
    # Orbax's writer threads may still be unwinding; give them a moment while their output is held.
    deadline = time.monotonic() + 3.0
    for thread in threading.enumerate():
      if thread is not threading.current_thread() and thread.is_alive():
        thread.join(timeout=max(0.0, deadline - time.monotonic()))

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
