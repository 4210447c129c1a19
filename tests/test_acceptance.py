"""The issues' headline numbers, trained end to end with the default configs on the bundled data.

Each run is a real training run (10-45 s on 2 CPU cores); the targets come from the issues.
"""

from __future__ import annotations

import pytest

from regjax import train
from tests.conftest import load_config


@pytest.mark.slow
@pytest.mark.parametrize("config_name,cell,target", [
    ("deepchrome", "E123", 0.92),
    ("deepchrome", "E003", 0.84),
    ("attentivechrome", "E123", 0.93),
    # AttentiveChrome on E003 (target 0.86, measured 0.882) takes another 45 s; the README's table
    # gives the command.
])
def test_default_config_reaches_the_target_test_auroc(config_name, cell, target, tmp_path):
  config = load_config(config_name)
  config.data.cell = cell
  results = train.train_and_evaluate(config, str(tmp_path))
  print(config_name, cell, results["test"])
  assert results["test"]["auroc"] >= target
