"""Runs one experiment config in a workdir: a baseline runner or the neural trainer."""

from __future__ import annotations

from regjax import baselines, evaluation, many, train
from regjax.errors import ConfigError


def run(mode: str, config, workdir: str) -> dict:
  """mode "train" trains (or resumes) and evaluates; "evaluate" re-evaluates the best checkpoint.

  Returns:
    The results record (results.json / evaluation.json).
  """
  baseline = baselines.runner_for(config.model.name)
  if baseline is not None:
    return baseline(config, workdir)  # cheap: "evaluate" simply runs it again
  if "train" in config and many.is_many(config):
    if mode == "evaluate":
      raise ConfigError("--mode=evaluate of a many-model run: its results.json already holds every "
                        "member's and the ensemble's metrics")
    return many.train_many(config, workdir)
  if mode == "evaluate":
    return evaluation.evaluate_workdir(config, workdir)
  return train.train_and_evaluate(config, workdir)
