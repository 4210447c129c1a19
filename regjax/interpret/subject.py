"""What `--mode=interpret` explains: one model and the examples it is shown.

A `Subject` holds the model (Flax module and parameters), the task, the input spec (input keys,
mark names, DeepDiff variant) and the examples (arrays [N, ...] keyed like a data split: the
inputs, `id`, and the targets when they are known), with the per-example groups the report
averages over. Two sources build one:

* a trained workdir (`from_workdir`): the test split of its own data, grouped by the true targets;
  or, with `input_paths`, the genes or sequences of those files;
* a model directory (`from_model_dir`, `regjax.model_dir`): the examples of input files, nothing
  of the training data.

Groups of file examples: the file's labels when it has them (histone CSV Label column, DeepBind
TSV / FASTA labels); otherwise the model's own calls (P(on) >= 0.5; predictions above their
median for regression; predicted lfc >= 2 / <= -2 for DeepDiff), and the report says so.
The class-optimisation input scale of histone classifiers (each mark's 99th-percentile training
count) comes from the workdir's training split, or from `model.json` (written at export); a model
without one (imported weights) uses the 99th percentile of the interpreted examples, and says so.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from regjax.errors import UserError
from regjax.interpret.class_optimization import mark_scale


@dataclasses.dataclass
class Subject:
  """A model and the examples to explain (module docstring).

  Attributes:
    name: the model's name (e.g. "deepchrome").
    source: what the examples are (data set and split, or the input file).
    module, params: the Flax model and its parameters.
    task: "classification", "regression" or "differential".
    input_keys: the model's inputs in call order ("marks"; "marks_a", "marks_b"; "sequence").
    mark_names: histone marks in input order (histone models).
    variant: DeepDiff's variant (channel names of its attention maps).
    examples: arrays [N, ...]: the inputs, "id", for DNA "codes" [N, L] (A,C,G,T = 0..3, N = 4);
      "motif_start" on simulated data.
    groups: int [N] group of every example; group_names {group: name}; grouped_by: in words.
    input_scale: float [marks] (histone class optimisation), input_scale_from: where it came from.
    motif: the planted motif's name (simulated DNA data).
  """

  name: str
  source: str
  module: object
  params: object
  task: str
  input_keys: tuple[str, ...]
  examples: dict
  groups: np.ndarray
  group_names: dict
  grouped_by: str
  mark_names: tuple[str, ...] = ()
  variant: str | None = None
  input_scale: np.ndarray | None = None
  input_scale_from: str = ""
  motif: str | None = None

  @property
  def inputs(self) -> tuple[np.ndarray, ...]:
    return tuple(self.examples[k] for k in self.input_keys)


def _groups(task: str, input_keys, targets: np.ndarray | None, scores: np.ndarray,
            truth: str) -> tuple[np.ndarray, dict, str]:
  """(groups [N], names, how) from the true targets when known, else from the model's scores."""
  known = targets is not None
  values = np.asarray(targets if known else scores)
  how = truth if known else "the model's predictions (the input has no targets)"
  if task == "differential":
    groups = np.where(values >= 2, 1, np.where(values <= -2, -1, 0))
    return groups, {1: "genes up in B", -1: "genes down in B", 0: "unchanged genes"}, how
  if input_keys == ("sequence",):
    groups = (values >= 0.5).astype(int) if not known else values.astype(int)
    return groups, {1: "bound", 0: "unbound"}, how
  if task == "classification":
    groups = (values >= 0.5).astype(int) if not known else values.astype(int)
    return groups, {1: "ON genes", 0: "OFF genes"}, how
  return (values > np.median(values)).astype(int), {1: "high expression",
                                                    0: "low expression"}, how


def from_workdir(workdir: str, input_paths: str | None = None) -> Subject:
  """The best checkpoint of a workdir and its test split (or the examples of `input_paths`)."""
  from regjax import evaluation, export, predict
  trainer, params = evaluation.load_trained(workdir)
  dataset, task = trainer.dataset, trainer.task
  info = dataset.info
  common = dict(name=trainer.config.model.name, module=trainer.model, params=params,
                task=task.name, input_keys=tuple(dataset.input_keys),
                mark_names=tuple(info.get("mark_names", ())),
                variant=trainer.config.model.get("variant"), motif=info.get("motif"))
  if "marks" in dataset.input_keys and task.name == "classification":
    common.update(input_scale=mark_scale(dataset.splits["train"]["marks"]),
                  input_scale_from="the training split")
  if input_paths:
    paths = predict.input_files(input_paths)
    arrays, labels = predict.read_inputs(paths, dataset.input_keys, export.model_spec(trainer))
    scores = trainer.predict(params, {k: arrays[k] for k in dataset.input_keys})
    groups = _groups(task.name, dataset.input_keys, labels, scores, f"the labels of {paths[0]}")
    return Subject(source=", ".join(paths), examples=arrays, groups=groups[0],
                   group_names=groups[1], grouped_by=groups[2], **common)
  test = dict(dataset.splits["test"])
  test["id"] = test[dataset.id_key]
  groups = _groups(task.name, dataset.input_keys, test[task.target_key], None,
                   f"the test split's {task.target_key}")
  return Subject(source=f"{dataset.name}, test split", examples=test,
                 groups=groups[0], group_names=groups[1], grouped_by=groups[2], **common)


def from_model_dir(model, input_paths: str) -> Subject:
  """A model directory (`regjax.model_dir.LoadedModel`, or a path / pretrained:NAME) and the
  examples of `input_paths` (comma-separated pair for DeepDiff)."""
  from regjax import model_dir, predict
  if not hasattr(model, "spec"):
    model = model_dir.load_model(model)
  if not hasattr(model, "module"):
    raise UserError(f"{model.path} is an ensemble of {len(model.members)} models; interpret one "
                    f"of its members (e.g. {model.members[0].path})")
  paths = predict.input_files(input_paths)
  spec = model.spec
  arrays, labels = predict.read_inputs(paths, model.input_keys, spec["inputs"])
  scores = model.predict(*[arrays[k] for k in model.input_keys])
  groups = _groups(model.task.name, model.input_keys, labels, scores, f"the labels of {paths[0]}")
  subject = Subject(name=spec["model"]["name"], source=", ".join(paths), module=model.module,
                    params=model.params, task=model.task.name, input_keys=model.input_keys,
                    examples=arrays, groups=groups[0], group_names=groups[1],
                    grouped_by=groups[2], mark_names=tuple(spec["inputs"].get("mark_names", ())),
                    variant=spec["model"].get("variant"), motif=spec["provenance"].get("motif"))
  if "marks" in model.input_keys and model.task.name == "classification":
    if spec["inputs"].get("input_scale"):
      subject.input_scale = np.asarray(spec["inputs"]["input_scale"], np.float64)
      subject.input_scale_from = "the training split (model.json)"
    else:
      subject.input_scale = mark_scale(arrays["marks"])
      subject.input_scale_from = f"the interpreted genes of {paths[0]} (model.json has none)"
  return subject
