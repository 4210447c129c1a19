"""A run's folder: creating it, one writer at a time, and whether a config may resume it.

A workdir holds `config.json` (written once training starts), `metrics.jsonl`, `checkpoints/`,
`results.json` and `predictions/`. `open_workdir` makes the folder and takes its lock
(`WORKDIR/.lock`, an OS file lock: released when the process exits, however it exits, so a crashed
run never blocks the next one); a second run on the same workdir stops at once with the holder's
pid and host.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import socket
import time

import ml_collections

from regjax import config_loader, reporting
from regjax.errors import UserError

# Config fields a resumed run may change without invalidating its checkpoints (and interpret.*,
# speed.*): they change how long it runs or how a step is computed, not what it computes.
RESUMABLE_FIELDS = ("train.num_epochs", "train.eval_batch_size", "data.data_dir")
_RESUMABLE_SECTIONS = ("interpret.", "speed.")


def os_error(path: str, error: OSError, doing: str = "cannot write") -> UserError:
  """A one-line UserError for an OS failure at `path` (its cause in words)."""
  cause = error.strerror or (errno.errorcode.get(error.errno) if error.errno else None) or str(error)
  return UserError(f"{doing} {error.filename or path}: {cause}")


def make_dirs(path: str) -> str:
  """`os.makedirs(path)`, an OS failure as one UserError line; returns the absolute path."""
  path = os.path.abspath(os.path.expanduser(path))
  try:
    os.makedirs(path, exist_ok=True)
  except OSError as e:
    raise os_error(path, e, "cannot create folder") from None
  return path


class WorkdirLock:
  """An exclusive lock on a workdir (see the module docstring); a context manager."""

  def __init__(self, workdir: str):
    self.path = os.path.join(workdir, ".lock")
    self._file = None

  def acquire(self) -> None:
    try:
      handle = open(self.path, "a+")
    except OSError as e:
      raise os_error(self.path, e) from None
    try:
      fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
      handle.seek(0)
      holder = handle.read().strip() or "another process"
      handle.close()
      raise UserError(f"workdir {os.path.dirname(self.path)} is in use by {holder}; wait for it "
                      "to finish or use another --workdir") from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"pid {os.getpid()} on host {socket.gethostname()} "
                 f"(since {time.strftime('%Y-%m-%d %H:%M:%S')})\n")
    handle.flush()
    self._file = handle

  def release(self) -> None:
    if self._file is not None:
      self._file.close()   # closing drops the flock; the file stays, unlocked
      self._file = None

  def __enter__(self):
    self.acquire()
    return self

  def __exit__(self, *exc):
    self.release()


@contextlib.contextmanager
def open_workdir(workdir: str):
  """Creates `workdir` and holds its lock (process 0 only in multi-process runs) while the
  block runs; yields the absolute path."""
  path = make_dirs(workdir)
  if not reporting.is_writer():
    yield path
    return
  with WorkdirLock(path):
    yield path


def check_resumable(config: ml_collections.ConfigDict, workdir: str) -> None:
  """Refuses to resume a workdir that was started with a different config."""
  path = os.path.join(workdir, "config.json")
  if not os.path.exists(path):
    return
  old = config_loader.flat_fields(reporting.read_json(path))
  new = config_loader.flat_fields(reporting.json_roundtrip(config.to_dict()))
  changed = [k for k in sorted(set(old) | set(new))
             if old.get(k) != new.get(k) and k not in RESUMABLE_FIELDS
             and not k.startswith(_RESUMABLE_SECTIONS)]
  if changed:
    details = "; ".join(f"{k}: {old.get(k)!r} -> {new.get(k)!r}" for k in changed[:5])
    raise UserError(f"workdir {workdir} holds a run with a different config ({details}). "
                    "Use a new --workdir, or the original config to resume it.")


def check_epochs(workdir: str, epochs_run: int, num_epochs: int) -> None:
  """Refuses a train.num_epochs below what the workdir already ran (its results would contradict
  the config)."""
  if epochs_run > num_epochs:
    raise UserError(f"{workdir} already trained {epochs_run} epochs, more than "
                    f"train.num_epochs={num_epochs}; use --config.train.num_epochs={epochs_run} "
                    "(or more) to finish it, or a new --workdir")


def write_config(workdir: str, config: ml_collections.ConfigDict) -> None:
  """Writes `config.json`, the config a resumed run must match."""
  write_json(os.path.join(workdir, "config.json"), config.to_dict())


def write_json(path: str, payload: dict) -> None:
  """`reporting.write_json`, an OS failure as one UserError line."""
  try:
    reporting.write_json(path, payload)
  except OSError as e:
    raise os_error(path, e) from None
