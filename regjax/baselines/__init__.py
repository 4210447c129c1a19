"""Non-neural baselines, run through the same CLI and results format as the deep models.

`runner_for(config.model.name)` is the function that fits/evaluates that baseline and writes
results.json (None for a neural model). Each baseline module is imported on first use, so a
neural run does not pay for scikit-learn's import (2-3 s of a DeepChrome run's start).
"""

from __future__ import annotations

import importlib

_MODULES = {
    "jeek": "regjax.graphs.runner",
    "one_mark": "regjax.baselines.one_mark",
    "classical": "regjax.baselines.classical",
    "gakco": "regjax.baselines.gakco",
}


def runner_for(model_name: str):
  """`run(config, workdir)` of the baseline called `model_name`, or None when it is not one."""
  module = _MODULES.get(model_name)
  return None if module is None else importlib.import_module(module).run
