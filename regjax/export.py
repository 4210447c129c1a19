"""`--mode=export --output=DIR`: a trained workdir's best checkpoint -> a model directory.

The directory (`regjax.model_dir`) keeps the architecture, the parameters, the input spec (marks
and their order, bins or sequence length; the input transform is part of the model config), the
target statistics a regression or DeepDiff model needs to give predictions on the original scale,
what the score means, and provenance (data set, cell, test metrics, regjax version), so that
`--mode=predict --model=DIR` and `regjax.load_model(DIR)` need none of the training data.
"""

from __future__ import annotations

import os

from regjax import evaluation, model_dir, reporting

_SCORES = {
    "classification": "P(on) (expressed / bound)",
    "regression": "predicted log(expression + 1)",
    "differential": "predicted log2 fold change (B over A)",
}


def model_spec(trainer) -> dict:
  """The `inputs` entry of a trainer's model: its input keys and their shape."""
  train = trainer.dataset.splits["train"]
  keys = list(trainer.dataset.input_keys)
  if keys == ["sequence"]:
    return {"keys": keys, "length": int(train["sequence"].shape[1]), "alphabet": "ACGT"}
  first = train[keys[0]]
  return {"keys": keys, "mark_names": list(trainer.dataset.info["mark_names"]),
          "num_bins": int(first.shape[1])}


def export_workdir(workdir: str, output: str) -> str:
  """Writes the model directory of `workdir`'s selected checkpoint to `output` (new)."""
  trainer, params = evaluation.load_trained(workdir)
  results_path = os.path.join(workdir, "results.json")
  results = reporting.read_json(results_path) if os.path.exists(results_path) else {}
  task = trainer.task
  provenance = {"dataset": trainer.dataset.name, "trained_in": os.path.abspath(workdir),
                "selected_epoch": results.get("selected_epoch"),
                "test_metrics": results.get("test"), "seed": trainer.config.seed}
  provenance.update({k: v for k, v in trainer.dataset.info.items()
                     if k in ("cell", "cell_a", "cell_b", "tf", "motif", "source")})
  classes = {"score": _SCORES[task.name]}
  if task.name == "classification":
    classes.update({"0": "off", "1": "on"})
  path = model_dir.write_model_dir(
      output, trainer.config.model.to_dict(), params,
      {"name": task.name, "target_mean": float(task.target_mean),
       "target_std": float(task.target_std)},
      model_spec(trainer), classes, provenance)
  print(f"Exported {trainer.config.model.name} ({task.name}) -> {path}")
  return str(path)
