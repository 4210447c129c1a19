"""The command line, end to end: a run, a killed-and-resumed run, and one-line errors."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from regjax import train
from tests.conftest import REPO, TEST_SEED, load_config


def _cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
  return subprocess.run([sys.executable, "-m", "regjax.main", *args], cwd=REPO,
                        capture_output=True, text=True, timeout=timeout)


def _main_in_process(capsys, *args: str) -> tuple[int, str]:
  """(exit code, stderr) of `python -m regjax.main ARGS` for a command that fails, run in this
  process (a subprocess per case would spend seconds importing JAX)."""
  from regjax import main
  main.FLAGS.unparse_flags()
  with pytest.raises(SystemExit) as exit_info:
    main.main(main.parse_flags(["regjax.main", *args]))
  return exit_info.value.code, capsys.readouterr().err


@pytest.mark.slow
def test_runlocal_run_and_evaluate(tmp_path):
  workdir = str(tmp_path / "run")
  done = _cli("--config=configs/deepchrome.py:runlocal", f"--workdir={workdir}",
              "--config.train.batch_size=32")
  assert done.returncode == 0, done.stderr
  assert "Selected epoch" in done.stdout
  results = json.load(open(os.path.join(workdir, "results.json")))
  assert results["num_epochs"] == 3 and results["config"]["train"]["batch_size"] == 32
  evaluated = _cli("--config=configs/deepchrome.py:runlocal", f"--workdir={workdir}",
                   "--config.train.batch_size=32", "--mode=evaluate")
  assert evaluated.returncode == 0, evaluated.stderr
  assert json.load(open(os.path.join(workdir, "evaluation.json")))["test"] == results["test"]


def test_one_mark_baseline_config(tmp_path):
  done = _cli("--config=configs/baseline_one_mark.py", f"--workdir={tmp_path}",
              "--config.data.cell=E003")
  assert done.returncode == 0, done.stderr
  results = json.load(open(tmp_path / "results.json"))
  assert results["test"]["auroc"] == pytest.approx(0.857, abs=0.001)  # the data README's figure


@pytest.mark.parametrize("args,message", [
    (["--config.data.cell=E999"], "unknown bundled cell 'E999'"),
    (["--config.train.num_epoch=3"], "did you mean train.num_epochs?"),
    (["--config.train.seed=1"], "seed is a top-level field: use --config.seed"),
    (["--config.train.num_epochs=abc"], "expected an integer, got 'abc'"),
    (["--config.train.optimizer=rmsprop"], "unknown train.optimizer 'rmsprop'"),
    (["--config.model.name=resnet"], "unknown model 'resnet'"),
    (["--config.train.batch_size=-4"], "train.batch_size must be a positive integer"),
    (["--config.data.archive_dir=/nonexistent"], "archive folder /nonexistent does not exist"),
])
def test_mistakes_end_with_one_clear_line(tmp_path, capsys, args, message):
  code, stderr = _main_in_process(capsys, "--config=configs/deepchrome.py",
                                  f"--workdir={tmp_path}", *args)
  assert code == 2
  assert stderr.startswith("error: ") and len(stderr.strip().splitlines()) == 1, stderr
  assert message in stderr


@pytest.mark.parametrize("args,message", [
    (["--config=configs/deepchrome.py"], "--workdir is required"),
    (["--workdir=x"], "--config is required"),
    (["--config=configs/nope.py", "--workdir=x"], "config file configs/nope.py not found"),
    (["--config=configs/deepchrome.py:bogus", "--workdir=x"], "unknown config arg(s) ['bogus']"),
    (["--config=configs/deepchrome.py", "--workdir=/nonexistent/x", "--mode=evaluate"],
     "does not exist; train into it first"),
])
def test_missing_or_bad_flags(capsys, args, message):
  code, stderr = _main_in_process(capsys, *args)
  assert code == 2
  assert stderr.startswith("error: ") and len(stderr.strip().splitlines()) == 1, stderr
  assert message in stderr


def test_a_mistake_in_a_real_process_is_one_line_without_traceback(tmp_path):
  done = _cli("--config=configs/deepchrome.py", f"--workdir={tmp_path}",
              "--config.model.name=resnet")
  assert done.returncode == 2
  assert done.stderr == "error: unknown model 'resnet'; expected one of: attentivechrome, " \
      "deepchrome, deepdiff, deepmotif_cnn, deepmotif_cnnrnn, deepmotif_rnn, lstm\n"


@pytest.mark.slow
def test_killed_run_resumes_and_ends_like_an_uninterrupted_one(tmp_path):
  overrides = ["--config.train.batch_size=4", "--config.train.num_epochs=5"]
  workdir = tmp_path / "killed"
  command = [sys.executable, "-m", "regjax.main", "--config=configs/deepchrome.py",
             f"--workdir={workdir}", f"--config.seed={TEST_SEED}", *overrides]
  process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
  metrics_file = workdir / "metrics.jsonl"
  deadline = time.time() + 240
  while time.time() < deadline and process.poll() is None:
    if metrics_file.exists() and len(metrics_file.read_text().splitlines()) >= 2:
      break
    time.sleep(0.02)
  assert process.poll() is None, "the run finished before it could be killed"
  process.send_signal(signal.SIGKILL)
  process.wait()
  assert not (workdir / "results.json").exists()

  resumed = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300)
  assert resumed.returncode == 0, resumed.stderr
  assert "Resuming" in resumed.stdout
  results = json.load(open(workdir / "results.json"))
  assert [h["epoch"] for h in results["history"]] == [1, 2, 3, 4, 5]

  config = load_config("deepchrome")
  config.train.batch_size, config.train.num_epochs = 4, 5
  uninterrupted = train.train_and_evaluate(config, str(tmp_path / "straight"))
  for split in ("train", "valid", "test"):
    assert results[split] == uninterrupted[split]
  assert results["selected_epoch"] == uninterrupted["selected_epoch"]
  assert [h["train_loss"] for h in results["history"]] == pytest.approx(
      [h["train_loss"] for h in uninterrupted["history"]], abs=0)
