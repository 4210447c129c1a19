"""Evaluating and loading trained runs: the selected epoch's metrics on every split, predictions,
`--mode=evaluate`, and `load_trained` for notebooks, interpretation and prediction."""

from __future__ import annotations

import os

import jax
import ml_collections
import numpy as np

from regjax import checkpoint, config_loader, parallel, reporting, workdir as workdirs
from regjax.errors import UserError
from regjax.trainer import Trainer


def evaluate_best(trainer: Trainer, ckpts: checkpoint.RunCheckpoints, workdir: str,
                  params_template) -> dict:
  """Restores the best parameters and evaluates them on every split; writes predictions."""
  restored = ckpts.restore_best(params_template)
  if restored is None:
    raise UserError(f"{workdir} has no best checkpoint yet (no epoch finished with a finite "
                    f"validation {trainer.task.selection_metric})")
  params, best_record = restored
  params = parallel.replicate(params, trainer.mesh)
  results = {
      "model": trainer.config.model.name,
      "task": trainer.task.name,
      "dataset": trainer.dataset.name,
      "data": trainer.dataset.info,
      "selection_metric": f"valid_{trainer.task.selection_metric}",
      "selected_epoch": best_record["epoch"],
      "num_params": num_params(params),
  }
  if trainer.task.name != "classification" and trainer.task.standardize_targets:
    results["target_standardisation"] = {"mean": trainer.task.target_mean,
                                         "std": trainer.task.target_std}
  for split in ("train", "valid", "test"):
    split_metrics, scores = trainer.evaluate(params, split)
    results[split] = split_metrics
    arrays = trainer.dataset.splits[split]
    path = os.path.join(workdir, "predictions", f"{split}.tsv")
    try:
      reporting.write_predictions(path, arrays[trainer.dataset.id_key], scores,
                                  arrays[trainer.task.target_key], trainer.task.target_key)
    except OSError as e:
      raise workdirs.os_error(path, e) from None
  test_attention = trainer.attention(params, trainer.dataset.splits["test"])
  if test_attention is not None and reporting.is_writer():
    path = os.path.join(workdir, "attention", "test.npz")
    try:
      os.makedirs(os.path.dirname(path), exist_ok=True)
      np.savez_compressed(path, ids=trainer.dataset.splits["test"][trainer.dataset.id_key],
                          **test_attention)
    except OSError as e:
      raise workdirs.os_error(path, e) from None
    results["attention_file"] = os.path.relpath(path, workdir)
  results["environment"] = reporting.environment()
  results["config"] = trainer.config.to_dict()
  return results


def saved_config(workdir: str) -> ml_collections.ConfigDict:
  """The config.json of a workdir (what was trained)."""
  path = os.path.join(workdir, "config.json")
  if not os.path.exists(path):
    raise UserError(f"{workdir} holds no trained run (no config.json); train it first with "
                    "--mode=train")
  return ml_collections.ConfigDict(reporting.read_json(path))


def evaluate_workdir(config: ml_collections.ConfigDict, workdir: str) -> dict:
  """Re-evaluates the best checkpoint of a finished or running workdir; writes evaluation.json.

  The model and data are those of the workdir's own config.json (what was trained). A `config`
  whose data or model differ from it is refused: to score other data use --mode=predict. A run
  that stopped before its last epoch is evaluated, and `evaluation.json` and the summary say so.
  """
  workdir = os.path.abspath(workdir)
  if not os.path.isdir(os.path.join(workdir, "checkpoints", "best")):
    raise UserError(f"{workdir} holds no trained run (no checkpoints/best); train it first with "
                    "--mode=train")
  saved = saved_config(workdir)
  differing = differing_fields(saved, config, ("data.", "model.", "task", "loss."))
  if differing:
    raise UserError(f"--mode=evaluate uses the data and model {workdir} was trained on, but the "
                    f"command asks for {differing}; to score other data with this model use "
                    "--mode=predict --input=FILE")
  trainer = Trainer(saved)
  state, _ = trainer.init_state()
  ckpts = checkpoint.RunCheckpoints(workdir)
  try:
    results = evaluate_best(trainer, ckpts, workdir, state.params)
    latest = ckpts.latest_record()
  except (ValueError, KeyError) as e:  # orbax's message for a tree or shape mismatch
    raise UserError(f"the checkpoint in {workdir} does not fit this config's model "
                    f"({saved.model.name}): {first_line(e)}") from None
  finally:
    ckpts.close()
  epochs_run = (latest or {}).get("epoch", 0)
  results["epochs_run"] = epochs_run
  results["num_epochs"] = saved.train.num_epochs
  results["complete"] = os.path.exists(os.path.join(workdir, "results.json")) and \
      reporting.read_json(os.path.join(workdir, "results.json")).get("epochs_run") == epochs_run
  if not results["complete"]:
    print(f"warning: {workdir} is an unfinished run (epoch {epochs_run} of "
          f"{saved.train.num_epochs}); these are the metrics of its best epoch so far")
  workdirs.write_json(os.path.join(workdir, "evaluation.json"), results)
  print_summary(results)
  return results


def differing_fields(saved, config, prefixes) -> str:
  """The fields (under `prefixes`) whose values differ between two configs, as "a: x -> y"."""
  if config is None:
    return ""
  old = config_loader.flat_fields(reporting.json_roundtrip(saved.to_dict()))
  new = config_loader.flat_fields(reporting.json_roundtrip(config.to_dict()))
  changed = [k for k in sorted(set(old) | set(new))
             if k.startswith(prefixes) and old.get(k) != new.get(k)
             and k not in workdirs.RESUMABLE_FIELDS]
  return "; ".join(f"{k}={new.get(k)!r} (trained: {old.get(k)!r})" for k in changed[:3])


def load_trained(workdir: str, config: ml_collections.ConfigDict | None = None):
  """(Trainer, best params) of a trained workdir, for notebooks, interpretation and prediction.

  Args:
    workdir: a workdir written by `train.train_and_evaluate`.
    config: defaults to the workdir's own config.json.
  """
  workdir = os.path.abspath(workdir)
  config = config or saved_config(workdir)
  trainer = Trainer(config)
  state, _ = trainer.init_state()
  ckpts = checkpoint.RunCheckpoints(workdir)
  try:
    restored = ckpts.restore_best(state.params)
  except (ValueError, KeyError) as e:  # orbax's message for a tree or shape mismatch
    raise UserError(f"the checkpoint in {workdir} does not fit the model of its config (trained "
                    f"with an older regjax?): {first_line(e)}") from None
  finally:
    ckpts.close()
  if restored is None:
    raise UserError(f"{workdir} has no best checkpoint yet")
  return trainer, restored[0]


def first_line(error: Exception) -> str:
  """Orbax's mismatch messages dump whole parameter trees; the first line says what is wrong."""
  return (str(error).strip().splitlines() or [""])[0][:200]


def num_params(params) -> int:
  return int(sum(np.prod(x.shape) for x in jax.tree.leaves(params)))


def print_summary(results: dict) -> None:
  def fmt(metrics):
    return "  ".join(f"{k} {v:.4f}" for k, v in metrics.items()
                     if k != "num_examples" and v is not None)
  print(f"Selected epoch {results['selected_epoch']} by {results['selection_metric']}")
  for split in ("train", "valid", "test"):
    print(f"  {split:5s}  {fmt(results[split])}  (n={results[split]['num_examples']})")
