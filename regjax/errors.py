"""Errors that reach the user as one clear message instead of a traceback.

`regjax.main` catches `UserError` and prints its message; everything else is a bug and keeps its
traceback.
"""

from __future__ import annotations

import os


class UserError(Exception):
  """A problem the user can fix: bad input data, a bad config value, a missing file or workdir."""


class ConfigError(UserError):
  """A config field has a value regjax cannot use."""


class DataFormatError(UserError, ValueError):
  """An input file does not have the expected format.

  The message always names the file, and the line when there is one, then says what was expected.
  """

  def __init__(self, path: str | os.PathLike, message: str, line: int | None = None):
    self.path = os.fspath(path)
    self.line = line
    self.detail = message
    where = self.path if line is None else f"{self.path}, line {line}"
    super().__init__(f"{where}: {message}")
