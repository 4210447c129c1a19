"""Experiment configs from files: `load_config("configs/deepchrome.py:faithful", overrides)`.

The one way regjax turns a config spec and `field=value` overrides into a ConfigDict; used by
`regjax.main` (`--config=... --config.train.num_epochs=5`), `regjax.compare`, the benchmarks and
the tests.

* spec: `path/to/config.py[:arg]`, or a bare name (`deepchrome[:arg]`) for `configs/<name>.py`
  of this checkout; `get_config(arg)` of that file builds the config.
* override: `section.field=value`. The value is read by the field's current type: `true`/`false`
  (also 1/0, yes/no) for booleans, numbers for int and float fields, text as it is for string
  fields, a Python literal for tuples and for fields that are None. An unknown field is an error
  that names the closest existing field (`train.seed` -> "seed is a top-level field").
"""

from __future__ import annotations

import ast
import difflib
import importlib.util
import os
import pathlib

import ml_collections

from regjax.errors import ConfigError

CONFIG_DIR = pathlib.Path(__file__).resolve().parents[1] / "configs"
_TRUE, _FALSE = {"true", "1", "yes"}, {"false", "0", "no"}


def config_path(spec: str) -> str:
  """The file of a spec (without its `:arg`): a path as given, or configs/<name>.py for a name."""
  path = spec.partition(":")[0]
  if not path.endswith(".py") and os.sep not in path and "/" not in path:
    return str(CONFIG_DIR / f"{path}.py")
  return path


def load_config(spec: str, overrides=()) -> ml_collections.ConfigDict:
  """The ConfigDict of `spec` with `overrides` ("a.b=value" strings) applied, locked.

  Raises:
    ConfigError: missing file, a file without get_config, a bad arg or override.
  """
  path = config_path(spec)
  arg = spec.partition(":")[2] or None
  if not os.path.isfile(path):
    raise ConfigError(f"config file {path} not found")
  module_spec = importlib.util.spec_from_file_location(
      f"regjax_config_{pathlib.Path(path).stem}", path)
  module = importlib.util.module_from_spec(module_spec)
  try:
    module_spec.loader.exec_module(module)
  except SyntaxError as e:
    raise ConfigError(f"config file {path}, line {e.lineno}: {e.msg}") from None
  if not hasattr(module, "get_config"):
    raise ConfigError(f"config file {path} defines no get_config(arg=None)")
  try:
    config = module.get_config(arg)
  except ValueError as e:   # configlib.parse_args: an unknown arg
    raise ConfigError(f"{path}: {e}") from None
  config = ml_collections.ConfigDict(config)
  for override in overrides:
    apply_override(config, override)
  config.lock()
  return config


def apply_override(config: ml_collections.ConfigDict, override: str,
                   skip_missing_sections: bool = False) -> None:
  """Sets `a.b.c=value` on `config` (see the module docstring for how values are read).

  Args:
    skip_missing_sections: leave a config without the override's top-level section alone (for
      overrides applied to several configs at once, e.g. `train.*` on a baseline without `train`).
  """
  field, sep, text = override.partition("=")
  if not sep or not field:
    raise ConfigError(f"override {override!r} is not of the form field=value")
  *parents, leaf = field.split(".")
  if skip_missing_sections and parents and parents[0] not in config:
    return
  node = config
  for depth, name in enumerate(parents):
    child = node.get(name) if isinstance(node, (dict, ml_collections.ConfigDict)) else None
    if not isinstance(child, (dict, ml_collections.ConfigDict)):
      raise ConfigError(_unknown_field(config, ".".join(parents[:depth + 1]), field))
    node = child
  if leaf not in node:
    raise ConfigError(_unknown_field(config, field, field))
  try:
    node[leaf] = parse_value(text, node[leaf])
  except (TypeError, ValueError) as e:
    raise ConfigError(f"{field}={text!r}: {e}") from None


def parse_value(text: str, current):
  """`text` read as a value of the type of `current` (a field's present value)."""
  if isinstance(current, bool):
    if text.lower() in _TRUE | _FALSE:
      return text.lower() in _TRUE
    raise ValueError("expected true or false")
  if isinstance(current, int):
    try:
      return int(text)
    except ValueError:
      raise ValueError(f"expected an integer, got {text!r}") from None
  if isinstance(current, float):
    try:
      return float(text)
    except ValueError:
      raise ValueError(f"expected a number, got {text!r}") from None
  if isinstance(current, str):
    return text
  try:
    return ast.literal_eval(text)
  except (ValueError, SyntaxError):
    if current is None:
      return text
    raise ValueError(f"expected a Python literal like {current!r}") from None


def flat_fields(config, prefix: str = "") -> dict:
  """{"section.field": value} of every leaf of a (nested) config; tuples as lists."""
  out = {}
  for key, value in config.items():
    name = f"{prefix}{key}"
    if isinstance(value, (dict, ml_collections.ConfigDict)):
      out.update(flat_fields(value, f"{name}."))
    else:
      out[name] = list(value) if isinstance(value, tuple) else value
  return out


def _unknown_field(config, missing: str, field: str) -> str:
  """The error for an override of a field the config does not have, with the likely one."""
  names = list(flat_fields(config))
  leaf = field.rsplit(".", 1)[-1]
  same_leaf = [n for n in names if n.rsplit(".", 1)[-1] == leaf]
  if same_leaf:
    where = same_leaf[0]
    hint = (f"{where} is a top-level field: use --config.{where}" if "." not in where
            else f"did you mean {where}?")
  else:
    close = difflib.get_close_matches(field, names, n=1, cutoff=0.6)
    hint = f"did you mean {close[0]}?" if close else "see the config file for its fields"
  return f"the config has no field {missing!r} ({hint})"
