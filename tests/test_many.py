"""Many models in one program: each member equals its own single run; ensembles; folds."""

from __future__ import annotations

import numpy as np
import pytest

from regjax import export, many, model_dir, steps, train
from regjax.trainer import Trainer
from regjax.errors import ConfigError, UserError
from tests.conftest import TEST_SEED, load_config

pytestmark = pytest.mark.slow


def _config(**train_fields):
  config = load_config("deepchrome", "runlocal")
  config.train.batch_size = 32
  for key, value in train_fields.items():
    config.train[key] = value
  return config


@pytest.mark.parametrize("members_map", ["vmap", "map"])
def test_seed_members_equal_single_runs(members_map, tmp_path):
  results = many.train_many(_config(num_seeds=2, members_map=members_map), str(tmp_path / "many"))
  for k, member in enumerate(results["members"]):
    single_config = _config()
    single_config.seed = TEST_SEED + k
    single = train.train_and_evaluate(single_config, str(tmp_path / f"single{k}"))
    assert member["selected_epoch"] == single["selected_epoch"]
    for split in ("valid", "test"):
      assert member[split]["auroc"] == pytest.approx(single[split]["auroc"], abs=1e-6)
  scores = results["ensemble"]["test"]
  assert scores["num_examples"] == 200 and 0.5 < scores["auroc"] <= 1.0
  if members_map == "vmap":
    _check_exported_seeds(str(tmp_path / "many"), str(tmp_path / "model"))


def _check_exported_seeds(workdir, output):
  """The export of a seeds run: each member and the ensemble predict the run's test scores."""
  export.export_workdir(workdir, output)
  marks = Trainer(load_config("deepchrome", "runlocal")).dataset.splits["test"]["marks"]
  ensemble = model_dir.load_model(output)
  assert [m.path.name for m in ensemble.members] == [f"seed{TEST_SEED}", f"seed{TEST_SEED + 1}"]

  def run_scores(name):
    rows = open(f"{workdir}/predictions/{name}").read().splitlines()[1:]
    return [float(r.split("\t")[1]) for r in rows]
  np.testing.assert_allclose(ensemble.predict(marks), run_scores("ensemble_test.tsv"), atol=2e-6)
  for member in ensemble.members:
    np.testing.assert_allclose(member.predict(marks),
                               run_scores(f"{member.path.name}/test.tsv"), atol=2e-6)


def test_patience_stops_each_member_where_its_single_run_stops(tmp_path):
  """Two seeds for 8 epochs with patience 1: each member's selected epoch and metrics are those of
  its early-stopped single run, and the many-model run reports the epochs it ran."""
  results = many.train_many(_config(num_seeds=2, num_epochs=8, patience=1), str(tmp_path / "m"))
  singles = []
  for k in range(2):
    config = _config(num_epochs=8, patience=1)
    config.seed = TEST_SEED + k
    singles.append(train.train_and_evaluate(config, str(tmp_path / f"single{k}")))
    assert results["members"][k]["selected_epoch"] == singles[k]["selected_epoch"]
    assert results["members"][k]["test"]["auroc"] == pytest.approx(singles[k]["test"]["auroc"],
                                                                   abs=1e-6)
  assert results["epochs_run"] == max(s["epochs_run"] for s in singles)


def test_cell_members_and_folds(tmp_path):
  config = _config()
  config.data.cells = "E003,E123"
  results = many.train_many(config, str(tmp_path / "cells"))
  assert [m["name"] for m in results["members"]] == ["E003", "E123"]
  assert "ensemble" not in results  # different test sets
  single = _config()
  single.data.cell = "E003"
  alone = train.train_and_evaluate(single, str(tmp_path / "e003"))
  assert results["members"][0]["test"]["auroc"] == pytest.approx(alone["test"]["auroc"], abs=1e-6)
  export.export_workdir(str(tmp_path / "cells"), str(tmp_path / "cell_models"))
  with pytest.raises(UserError, match="one model per cell .E003, E123.; load one of them"):
    model_dir.load_model(tmp_path / "cell_models")
  assert model_dir.load_model(tmp_path / "cell_models" / "E123").spec["provenance"]["cell"] == "E123"

  folds = many.train_many(_config(num_folds=4), str(tmp_path / "folds"))
  validation_sizes = [m["valid"]["num_examples"] for m in folds["members"]]
  assert sum(validation_sizes) == 400 and set(validation_sizes) == {100}
  assert folds["ensemble"]["test"]["num_examples"] == 200


def test_exactly_one_kind_of_members():
  config = _config(num_seeds=2, num_folds=3)
  with pytest.raises(ConfigError, match="exactly one of"):
    many.member_setups(config)


@pytest.mark.slow
def test_differential_seed_members_equal_single_runs(tmp_path):
  """Regression-type tasks (standardised targets) train as seed members too; folds/cells refuse."""
  def deepdiff(seed=TEST_SEED, **train_fields):
    config = load_config("deepdiff", "runlocal")
    config.train.num_epochs, config.train.batch_size, config.seed = 1, 40, seed
    for key, value in train_fields.items():
      config.train[key] = value
    return config

  results = many.train_many(deepdiff(num_seeds=2), str(tmp_path / "many"))
  member = results["members"][1]  # not the lead trainer: its own seed, the lead's task object
  single = train.train_and_evaluate(deepdiff(seed=TEST_SEED + 1), str(tmp_path / "single"))
  for split in ("valid", "test"):
    for metric in ("pearson_r", "mse"):
      assert member[split][metric] == pytest.approx(single[split][metric], rel=1e-4, abs=1e-5)
  assert set(results["ensemble"]["test"]) == {"pearson_r", "mse", "num_examples"}
  with pytest.raises(ConfigError, match="num_seeds only"):
    many.member_setups(deepdiff(num_folds=3))


def test_an_all_masked_batch_leaves_a_member_untouched():
  """A smaller member out of data gets all-masked batches: no step, no optimizer-moment update."""
  import jax

  trainer = Trainer(_config())
  state, key = trainer.init_state()
  step = jax.jit(steps.skip_empty_batches(trainer.step_fn))
  arrays = trainer.dataset.splits["train"]
  batch = {k: arrays[k][:32] for k in trainer.batch_keys}
  batch["mask"] = np.zeros(32, np.float32)
  same, _ = step(state, batch, key)
  for a, b in zip(jax.tree.leaves(same), jax.tree.leaves(state)):
    np.testing.assert_array_equal(a, b)
  batch["mask"] = np.ones(32, np.float32)
  moved, _ = step(state, batch, key)
  assert int(moved.step) == int(state.step) + 1
  assert any(not np.array_equal(a, b) for a, b in
             zip(jax.tree.leaves(moved.params), jax.tree.leaves(state.params)))
