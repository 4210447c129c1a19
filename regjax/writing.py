"""Writing results: never over an existing one, never half a file, OS failures in words."""

from __future__ import annotations

import contextlib
import gzip
import os
import pathlib

from regjax.errors import UserError
from regjax.workdir import os_error


def refuse_existing(path: str | os.PathLike) -> None:
  """A UserError when `path` exists and is not an empty folder (nothing is overwritten)."""
  path = pathlib.Path(path)
  if path.is_file() or (path.is_dir() and any(path.iterdir())):
    raise UserError(f"{path} already exists; choose another output or remove it first")


@contextlib.contextmanager
def atomic_text_file(path: str | os.PathLike):
  """Opens `path.tmp` for writing (gzipped when `path` ends in .gz) and renames it to `path` once
  the block ends without error.

  Raises:
    UserError: naming the path and the cause when the OS refuses (missing folder, full disk).
  """
  path = pathlib.Path(path)
  tmp = path.with_name(path.name + ".tmp")
  try:
    path.parent.mkdir(parents=True, exist_ok=True)
    opener = gzip.open(tmp, "wt") if path.name.endswith(".gz") else open(tmp, "w", newline="\n")
    with opener as f:
      yield f
    os.replace(tmp, path)
  except OSError as e:
    with contextlib.suppress(OSError):
      tmp.unlink()
    raise os_error(str(path), e) from None
  except BaseException:
    with contextlib.suppress(OSError):
      tmp.unlink()
    raise
