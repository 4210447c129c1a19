"""The trainer: determinism, model selection, exact resume, evaluation, and the default run's targets."""

from __future__ import annotations

import json
import os

import jax
import numpy as np
import pytest

from regjax import evaluation, train
from regjax.trainer import Trainer
from regjax.errors import UserError
from tests.conftest import TEST_SEED, load_config


def _config(cell="E123", epochs=3, batch_size=32):
  config = load_config("deepchrome")
  config.data.cell = cell
  config.train.num_epochs = epochs
  config.train.batch_size = batch_size
  return config


def _same_results(a: dict, b: dict) -> None:
  for split in ("train", "valid", "test"):
    assert a[split] == b[split], split
  assert a["selected_epoch"] == b["selected_epoch"]
  assert [h["train_loss"] for h in a["history"]] == [h["train_loss"] for h in b["history"]]


@pytest.fixture(scope="module")
def three_epoch_run(tmp_path_factory):
  workdir = str(tmp_path_factory.mktemp("run3"))
  return workdir, train.train_and_evaluate(_config(), workdir)


def test_writes_results_metrics_and_predictions(three_epoch_run):
  workdir, results = three_epoch_run
  on_disk = json.load(open(os.path.join(workdir, "results.json")))
  assert on_disk["test"]["auroc"] == results["test"]["auroc"]
  assert set(on_disk["valid"]) == {"auroc", "auprc", "num_examples"}
  assert on_disk["test"]["num_examples"] == 200 and on_disk["num_params"] == 644_177
  assert on_disk["config"]["model"]["name"] == "deepchrome"
  lines = open(os.path.join(workdir, "metrics.jsonl")).read().splitlines()
  assert [json.loads(x)["epoch"] for x in lines] == [1, 2, 3]
  rows = open(os.path.join(workdir, "predictions", "test.tsv")).read().splitlines()
  assert rows[0] == "id\tscore\tlabel" and len(rows) == 201  # every gene, none dropped


def test_selects_the_best_validation_epoch(three_epoch_run):
  _, results = three_epoch_run
  history = results["history"]
  values = [h["valid_auroc"] for h in history]
  best = int(np.argmax(values))  # argmax takes the earliest of equal values, as the trainer does
  assert results["selected_epoch"] == history[best]["epoch"]
  assert results["valid"]["auroc"] == pytest.approx(values[best], abs=1e-12)


def test_same_seed_same_metrics(three_epoch_run, tmp_path):
  _, first = three_epoch_run
  _same_results(first, train.train_and_evaluate(_config(), str(tmp_path)))


def test_other_seed_other_model(three_epoch_run, tmp_path):
  _, first = three_epoch_run
  config = _config()
  config.seed = TEST_SEED + 1
  other = train.train_and_evaluate(config, str(tmp_path))
  assert other["history"][0]["train_loss"] != first["history"][0]["train_loss"]


def test_resuming_a_finished_run_with_more_epochs_matches_one_long_run(tmp_path):
  long_run = train.train_and_evaluate(_config(epochs=4), str(tmp_path / "long"))
  train.train_and_evaluate(_config(epochs=2), str(tmp_path / "resumed"))
  resumed = train.train_and_evaluate(_config(epochs=4), str(tmp_path / "resumed"))
  _same_results(long_run, resumed)


def test_evaluate_mode_reproduces_the_results(three_epoch_run):
  workdir, results = three_epoch_run
  again = evaluation.evaluate_workdir(_config(), workdir)
  for split in ("valid", "test"):
    assert again[split] == results[split]
  assert os.path.exists(os.path.join(workdir, "evaluation.json"))


def test_resume_with_another_config_is_refused(three_epoch_run):
  workdir, _ = three_epoch_run
  config = _config()
  config.model.num_filters = 20
  with pytest.raises(UserError, match=r"different config \(model.num_filters: 50 -> 20\)"):
    train.train_and_evaluate(config, workdir)


def test_evaluate_without_a_trained_run(tmp_path):
  with pytest.raises(UserError, match="no trained run"):
    evaluation.evaluate_workdir(_config(), str(tmp_path))


def test_bad_config_values(tmp_path):
  config = _config()
  config.train.batch_size = 0
  with pytest.raises(UserError, match="train.batch_size must be a positive integer"):
    train.train_and_evaluate(config, str(tmp_path))


def test_archive_toy_cell_trains(toy_archive, tmp_path):
  config = _config(cell="E000", epochs=2, batch_size=4)
  config.data.archive_dir = str(toy_archive)
  results = train.train_and_evaluate(config, str(tmp_path))
  assert results["test"]["num_examples"] == 10
  assert results["data"]["source"] == "archive"


def _one_step(config, batch_size: int = 16):
  """Loss and flat parameters after one SGD step on the first rows, the last 3 rows masked."""
  config.train.optimizer, config.train.learning_rate = "sgd", 1e-2
  config.train.batch_size = batch_size
  trainer = Trainer(config)
  state, key = trainer.init_state()
  rows = trainer.dataset.splits["train"]
  batch = {k: rows[k][:batch_size] for k in trainer.batch_keys}
  batch["mask"] = np.r_[np.ones(batch_size - 3), np.zeros(3)].astype(np.float32)
  state, loss = trainer._train_step(state, batch, key)
  return float(loss), np.concatenate([np.ravel(x) for x in jax.tree.leaves(state.params)])


@pytest.fixture(scope="module")
def whole_batch_steps():
  """One step on the whole batch of 16, and one on 8 rows (another batch) for scale."""
  def whole(batch_size):
    config = load_config("attentivechrome")
    config.speed.microbatch_size = 0   # the CPU default chunks batches above 32 only; be explicit
    return _one_step(config, batch_size)
  return whole(16), whole(8)


@pytest.mark.slow   # 17 s of compilation; chunk 4: no padding, 5: a padded last chunk
@pytest.mark.parametrize("chunk", [4, 5])
def test_chunked_gradients_make_the_same_step(chunk, whole_batch_steps):
  """speed.microbatch_size sums the gradient over chunks: same loss and update as the whole batch
  (every task's loss is a masked sum of per-example terms, so one model stands for all). Chunks of
  5 pad the batch of 16 to 20 with masked rows."""
  (whole_loss, whole_params), (_, other_params) = whole_batch_steps
  config = load_config("attentivechrome")
  config.speed.microbatch_size = chunk
  chunked_loss, chunked_params = _one_step(config)
  np.testing.assert_allclose(chunked_loss, whole_loss, rtol=1e-6)
  # Float sums in another order: measured differences up to ~1e-8 on parameters of size ~0.1.
  np.testing.assert_allclose(chunked_params, whole_params, atol=1e-7, rtol=0)
  # The tolerance tells batches apart: a step on other rows (a wrong chunk split or sum) moves the
  # parameters by far more.
  assert np.abs(other_params - whole_params).max() > 1e-5
