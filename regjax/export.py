"""`--mode=export --output=DIR`: a trained workdir's best checkpoint -> a model directory.

The directory (`regjax.model_dir`) keeps the architecture, the parameters, the input spec (marks
and their order, bins or sequence length; the input transform is part of the model config), the
target statistics a regression or DeepDiff model needs to give predictions on the original scale,
what the score means, and provenance (data set, cell, test metrics, regjax version), so that
`--mode=predict --model=DIR` and `regjax.load_model(DIR)` need none of the training data.
A many-model run exports each member into a folder of its own beside an ensemble description
(`regjax.model_dir.write_ensemble_dir`).
"""

from __future__ import annotations

import os

import jax
import numpy as np

from regjax import checkpoint, evaluation, many, model_dir, reporting
from regjax.errors import UserError
from regjax.interpret.class_optimization import mark_scale
from regjax.writing import refuse_existing

_SCORES = {
    "classification": "P(on) (expressed / bound)",
    "regression": "predicted log(expression + 1)",
    "differential": "predicted log2 fold change (B over A)",
}


def model_spec(trainer) -> dict:
  """The `inputs` entry of a trainer's model: its input keys and their shape (and, for histone
  classifiers, each mark's 99th-percentile training count: the class-optimisation scale)."""
  train = trainer.dataset.splits["train"]
  keys = list(trainer.dataset.input_keys)
  if keys == ["sequence"]:
    return {"keys": keys, "length": int(train["sequence"].shape[1]), "alphabet": "ACGT"}
  first = train[keys[0]]
  spec = {"keys": keys, "mark_names": list(trainer.dataset.info["mark_names"]),
          "num_bins": int(first.shape[1])}
  if keys == ["marks"] and trainer.task.name == "classification":
    spec["input_scale"] = [float(v) for v in mark_scale(first)]
  return spec


def _write(trainer, params, output, provenance: dict):
  task = trainer.task
  provenance = {"dataset": trainer.dataset.name, **provenance, "seed": trainer.config.seed}
  provenance.update({k: v for k, v in trainer.dataset.info.items()
                     if k in ("cell", "cell_a", "cell_b", "tf", "motif", "source")})
  classes = {"score": _SCORES[task.name]}
  if task.name == "classification":
    classes.update({"0": "off", "1": "on"})
  return model_dir.write_model_dir(
      output, trainer.config.model.to_dict(), params,
      {"name": task.name, "target_mean": float(task.target_mean),
       "target_std": float(task.target_std)},
      model_spec(trainer), classes, provenance)


def export_workdir(workdir: str, output: str) -> str:
  """Writes the model directory of `workdir`'s selected checkpoint to `output` (new); for a
  many-model run (`regjax.many`) one per member and, for seeds and folds, the ensemble."""
  from regjax.baselines import gkm_model
  if gkm_model.exists(workdir):
    return export_gkm(workdir, output)
  config = evaluation.saved_config(workdir)
  if many.is_many(config):
    return _export_many(config, workdir, output)
  trainer, params = evaluation.load_trained(workdir, config)
  results_path = os.path.join(workdir, "results.json")
  results = reporting.read_json(results_path) if os.path.exists(results_path) else {}
  path = _write(trainer, params, output, {
      "trained_in": os.path.abspath(workdir), "selected_epoch": results.get("selected_epoch"),
      "test_metrics": results.get("test")})
  print(f"Exported {trainer.config.model.name} ({trainer.task.name}) -> {path}")
  return str(path)


def export_gkm(workdir: str, output: str) -> str:
  """Writes a gkm-SVM workdir's model as lsgkm's model file (`output` must end in .txt), for
  lsgkm's own gkmpredict and gkmexplain (`regjax.baselines.lsgkm_model.from_gkm_model`)."""
  from regjax.baselines import gkm_model, lsgkm_model
  if not output.endswith(".txt"):
    raise UserError(f"{workdir} holds a gkm-SVM, which exports as lsgkm's model file: give "
                    "--output=NAME.model.txt")
  model = lsgkm_model.from_gkm_model(gkm_model.load(workdir))
  path = lsgkm_model.write(os.path.abspath(os.path.expanduser(output)), model)
  print(f"Exported the gkm-SVM ({len(model.support_vectors)} support vectors, kernel gkm_cnt "
        f"L={model.L} k={model.k} d={model.d}, one strand) -> {path}")
  return path


def _export_many(config, workdir: str, output: str) -> str:
  """OUTPUT/<member>/ for every member (its selected epoch's parameters) and OUTPUT/model.json:
  the ensemble (mean of the members' scores, as the run's ensemble_test.tsv) for seeds and folds,
  a list of the members for cells."""
  refuse_existing(output)
  results_path = os.path.join(workdir, "results.json")
  if not os.path.exists(results_path):
    raise UserError(f"{workdir} has not finished training (no results.json): every member's "
                    "selected epoch is known only at the end")
  results = reporting.read_json(results_path)
  trainer = many.ManyTrainer(config)
  states, _ = trainer.init_states()
  ckpts = checkpoint.RunCheckpoints(workdir)
  try:
    restored = ckpts.restore_latest({"state": states, "best_params": states.params})
  finally:
    ckpts.close()
  if restored is None:
    raise UserError(f"{workdir} has no checkpoint")
  best = restored[0]["best_params"]
  names = trainer.names
  for k, (name, member, record) in enumerate(zip(names, trainer.trainers, results["members"])):
    params = jax.tree.map(lambda x: np.asarray(x[k]), best)
    _write(member, params, os.path.join(output, name), {
        "trained_in": os.path.abspath(workdir), "member": name,
        "selected_epoch": record["selected_epoch"], "test_metrics": record["test"]})
  combine = "mean" if trainer.kind in ("seeds", "folds") else None
  path = model_dir.write_ensemble_dir(output, names, trainer.kind, combine, {
      "dataset": trainer.lead.dataset.name, "trained_in": os.path.abspath(workdir),
      "test_metrics": (results.get("ensemble") or {}).get("test")})
  what = "and their ensemble" if combine else "(one per cell; no ensemble)"
  print(f"Exported {len(names)} {config.model.name} models {what} -> {path}")
  return str(path)
