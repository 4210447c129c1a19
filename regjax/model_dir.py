"""A model directory: everything needed to use a trained model, nothing of its training data.

Layout:
* `model.json`: {"format": "regjax-model", "format_version": 1, "model": the model config
  (architecture fields and input_transform), "task": {"name", "target_mean", "target_std"},
  "inputs": {"keys": [...], "mark_names": [...], "num_bins": T} (or "length" for DNA),
  "classes": what the score means, "provenance": where it came from, "regjax_version"};
* `params.npz`: every parameter, keyed by its path in the parameter tree (`a/b/c`).

An exported many-model run is a folder of member model directories (`<member>/`) with a
`model.json` of its own: {"format", "format_version", "ensemble": {"kind": "seeds" | "folds" |
"cells", "members": [...], "combine": "mean" | null}, "provenance", "regjax_version"}.
Seeds and folds combine into the ensemble the run scored (the mean of the members' scores); cells
do not combine (one model per cell: load `DIR/<cell>`).

`load_model(DIR)` (also `regjax.load_model`) returns a `LoadedModel` with `predict(inputs)`
(batched, jitted), `apply_fn` / `params` for the interpretation functions, and `describe()`; for
an ensemble an `EnsembleModel` (`predict`, `log_odds`, `describe`, `members`: interpret a member).
`pretrained:NAME` names a model directory shipped in the package (`regjax/pretrained/models/`).
"""

from __future__ import annotations

import json
import os
import pathlib

import jax
import jax.numpy as jnp
import numpy as np

import regjax
from regjax import models, steps, tasks
from regjax.errors import DataFormatError, UserError
from regjax.workdir import os_error
from regjax.writing import atomic_text_file, refuse_existing

FORMAT = "regjax-model"
FORMAT_VERSION = 1
PRETRAINED_DIR = pathlib.Path(__file__).parent / "pretrained" / "models"


def _flatten(tree, prefix="") -> dict:
  """{"a/b/c": leaf} of a nested dict of parameters (arrays or shape structs)."""
  out = {}
  for key, value in tree.items():
    path = f"{prefix}/{key}" if prefix else key
    out.update(_flatten(value, path) if hasattr(value, "items") else {path: value})
  return out


def _unflatten(flat: dict[str, np.ndarray]) -> dict:
  tree: dict = {}
  for path, value in flat.items():
    node = tree
    *parents, leaf = path.split("/")
    for part in parents:
      node = node.setdefault(part, {})
    node[leaf] = value
  return tree


def write_model_dir(path: str | os.PathLike, model_config: dict, params, task: dict,
                    inputs: dict, classes: dict, provenance: dict) -> pathlib.Path:
  """Writes a model directory (refusing an existing non-empty folder); returns its path."""
  path = pathlib.Path(path)
  refuse_existing(path)
  spec = {"format": FORMAT, "format_version": FORMAT_VERSION, "model": dict(model_config),
          "task": task, "inputs": inputs, "classes": classes, "provenance": provenance,
          "regjax_version": regjax.__version__}
  try:
    path.mkdir(parents=True, exist_ok=True)
    np.savez(path / "params.npz", **_flatten(jax.tree.map(np.asarray, params)))
  except OSError as e:
    raise os_error(str(path), e) from None
  with atomic_text_file(path / "model.json") as f:  # last: a folder without it is no model
    f.write(json.dumps(spec, indent=2) + "\n")
  return path


def write_ensemble_dir(path: str | os.PathLike, members: list[str], kind: str,
                       combine: str | None, provenance: dict) -> pathlib.Path:
  """Writes the ensemble's model.json into `path`, whose member folders are already written."""
  path = pathlib.Path(path)
  for name in members:
    if not (path / name / "model.json").is_file():
      raise UserError(f"{path / name} is not a model directory")
  spec = {"format": FORMAT, "format_version": FORMAT_VERSION,
          "ensemble": {"kind": kind, "members": list(members), "combine": combine},
          "provenance": provenance, "regjax_version": regjax.__version__}
  with atomic_text_file(path / "model.json") as f:
    f.write(json.dumps(spec, indent=2) + "\n")
  return path


def resolve(spec: str) -> pathlib.Path:
  """A model directory path, or `pretrained:NAME` -> the shipped one."""
  if spec.startswith("pretrained:"):
    name = spec.split(":", 1)[1]
    path = PRETRAINED_DIR / name
    if not (path / "model.json").is_file():
      shipped = sorted(p.name for p in PRETRAINED_DIR.iterdir() if (p / "model.json").is_file())
      raise UserError(f"no pretrained model {name!r}; shipped: {', '.join(shipped)}")
    return path
  return pathlib.Path(os.path.expanduser(spec))


class LoadedModel:
  """A model read from a model directory (module docstring)."""

  def __init__(self, path: pathlib.Path, spec: dict, params: dict):
    self.path, self.spec, self.params = path, spec, params
    self.module = models.create_model(spec["model"])
    self.task = tasks.Task(spec["task"]["name"], target_mean=spec["task"].get("target_mean", 0.0),
                           target_std=spec["task"].get("target_std", 1.0))
    self.apply_fn = self.module.apply
    self.input_keys = tuple(spec["inputs"]["keys"])
    self._score = jax.jit(lambda params, *inputs: self.task.score(
        self.module.apply({"params": params}, *inputs, train=False)))
    self._log_odds = jax.jit(lambda params, *inputs: steps.log_odds_step(
        params, dict(zip(self.input_keys, inputs)), apply_fn=self.module.apply,
        input_keys=self.input_keys))

  def predict(self, *inputs: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """Scores [N] (P(on), or the regression prediction) of inputs [N, ...] in `input_keys` order,
    in batches of `batch_size` (the last one padded, so one program serves every batch)."""
    return self._batched(self._score, inputs, batch_size)

  def log_odds(self, *inputs: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """log P(on) / P(off) [N] from the logits (classification models)."""
    if self.task.name != "classification":
      raise UserError(f"log-odds need a classification model; this one does {self.task.name}")
    return self._batched(self._log_odds, inputs, batch_size)

  def _batched(self, fn, inputs, batch_size: int) -> np.ndarray:
    if len(inputs) != len(self.input_keys):
      raise UserError(f"this model takes {len(self.input_keys)} input(s): "
                      f"{', '.join(self.input_keys)}")
    n = len(inputs[0])
    scores = []
    for start in range(0, n, batch_size):
      chunk = [np.asarray(x[start:start + batch_size], np.float32) for x in inputs]
      fill = batch_size - len(chunk[0]) if n > batch_size else 0
      if fill:
        chunk = [np.concatenate([c, np.repeat(c[:1], fill, axis=0)]) for c in chunk]
      out = np.asarray(fn(self.params, *map(jnp.asarray, chunk)))
      scores.append(out[:len(out) - fill] if fill else out)
    return np.concatenate(scores) if scores else np.zeros(0, np.float32)

  def describe(self) -> str:
    spec = self.spec
    inputs = spec["inputs"]
    shape = (f"{inputs['num_bins']} bins x {len(inputs['mark_names'])} marks "
             f"({', '.join(inputs['mark_names'])})" if "mark_names" in inputs
             else f"{inputs.get('length')} bp")
    lines = [f"{spec['model']['name']} ({spec['task']['name']}), input {shape}, "
             f"input transform {spec['model'].get('input_transform', 'none')}",
             f"score: {spec['classes'].get('score', '')}"]
    lines += [f"{k}: {v}" for k, v in spec["provenance"].items()]
    return "\n".join(lines)


class EnsembleModel:
  """Members of a many-model run whose scores average into the ensemble's (module docstring)."""

  def __init__(self, path: pathlib.Path, spec: dict, members: list[LoadedModel]):
    self.path, self.members = path, members
    first = members[0]
    self.task, self.input_keys = first.task, first.input_keys
    self.spec = {**spec, "inputs": first.spec["inputs"], "model": first.spec["model"],
                 "task": first.spec["task"], "classes": first.spec["classes"]}

  def predict(self, *inputs: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """The mean of the members' scores [N]."""
    return np.mean([m.predict(*inputs, batch_size=batch_size) for m in self.members], axis=0)

  def log_odds(self, *inputs: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """log p / (1 - p) [N] of the ensemble's P(on) p (classification)."""
    if self.task.name != "classification":
      raise UserError(f"log-odds need a classification model; this one does {self.task.name}")
    p = np.clip(self.predict(*inputs, batch_size=batch_size).astype(np.float64), 1e-12, 1 - 1e-12)
    return np.log(p) - np.log1p(-p)

  def describe(self) -> str:
    ensemble = self.spec["ensemble"]
    lines = [f"ensemble ({ensemble['combine']}) of {len(self.members)} {ensemble['kind']}: "
             f"{', '.join(ensemble['members'])}"]
    lines += [f"{k}: {v}" for k, v in self.spec["provenance"].items()]
    return "\n".join(lines + ["first member: " + self.members[0].describe()])


def _read_spec(path: pathlib.Path) -> dict:
  meta = path / "model.json"
  if not meta.is_file():
    raise DataFormatError(path, "not a regjax model directory (no model.json)")
  try:
    spec = json.loads(meta.read_text())
  except (json.JSONDecodeError, UnicodeDecodeError) as e:
    raise DataFormatError(meta, f"not readable JSON ({e})") from None
  if not isinstance(spec, dict) or spec.get("format") != FORMAT:
    raise DataFormatError(meta, f"not a {FORMAT} description")
  if spec.get("format_version") != FORMAT_VERSION:
    raise DataFormatError(meta, f"format version {spec.get('format_version')}; this regjax "
                          f"reads version {FORMAT_VERSION}")
  return spec


def load_model(spec: str | os.PathLike) -> LoadedModel | EnsembleModel:
  """Reads a model directory (or `pretrained:NAME`, or an exported many-model run).

  Raises:
    DataFormatError: the folder is not a model directory, of another format version, or its
      parameters do not fit its architecture.
  """
  path = resolve(os.fspath(spec))
  spec_ = _read_spec(path)
  if "ensemble" in spec_:
    ensemble = spec_["ensemble"]
    if not ensemble.get("combine"):
      raise UserError(f"{path} holds one model per {ensemble['kind'][:-1]} "
                      f"({', '.join(ensemble['members'])}); load one of them, e.g. "
                      f"{path / ensemble['members'][0]}")
    return EnsembleModel(path, spec_, [load_model(path / name) for name in ensemble["members"]])
  try:
    with np.load(path / "params.npz") as data:
      params = _unflatten({k: data[k] for k in data.files})
  except (OSError, ValueError) as e:
    raise DataFormatError(path / "params.npz", f"unreadable parameters ({e})") from None
  model = LoadedModel(path, spec_, params)
  _check_params(model, path)
  return model


def _check_params(model: LoadedModel, path: pathlib.Path) -> None:
  inputs = model.spec["inputs"]
  if "mark_names" in inputs:
    example = [jnp.zeros((1, inputs["num_bins"], len(inputs["mark_names"])))] * len(
        model.input_keys)
  else:
    example = [jnp.zeros((1, inputs["length"], 4))]
  expected = jax.eval_shape(lambda: model.module.init(
      {"params": jax.random.key(0), "dropout": jax.random.key(0)}, *example, train=False))["params"]
  want = {k: tuple(s.shape) for k, s in _flatten(expected).items()}
  have = {k: tuple(v.shape) for k, v in _flatten(model.params).items()}
  if want != have:
    diff = sorted(set(want.items()) ^ set(have.items()))[:3]
    raise DataFormatError(path / "params.npz", "parameters do not fit the architecture in "
                          f"model.json, e.g. {diff}")
