"""The comparison command: every config on every cell, one table, finished runs reused."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess

import pytest

from regjax import compare, local_jobs, slurm
from regjax.errors import ConfigError, UserError
from tests.conftest import REPO


@pytest.fixture
def two_cell_archive(toy_archive):
  shutil.copytree(toy_archive / "E000", toy_archive / "E001")
  return toy_archive


def test_table_over_archive_cells(two_cell_archive, tmp_path, monkeypatch):
  specs = [str(REPO / "configs" / "deepchrome.py"), str(REPO / "configs" / "baseline_one_mark.py")]
  table = compare.compare(specs, str(tmp_path), str(two_cell_archive),
                          overrides=["train.num_epochs=1", "train.batch_size=4"])
  assert set(table) == {"E000", "E001"}
  rows = list(csv.reader(open(tmp_path / "comparison.csv")))
  assert rows[0] == ["cell", "deepchrome", "baseline_one_mark"]
  assert [r[0] for r in rows[1:]] == ["E000", "E001", "mean", "median"]
  # Same toy files in both cells: same numbers.
  assert rows[1][1:] == rows[2][1:]
  assert (tmp_path / "comparison.md").read_text().startswith("| cell | deepchrome (test auroc)")

  def fail(*args, **kwargs):
    raise AssertionError("a finished run was trained again")
  monkeypatch.setattr(compare.runner, "run", fail)
  again = compare.compare(specs, str(tmp_path), str(two_cell_archive),
                          overrides=["train.num_epochs=1", "train.batch_size=4"])
  assert again == table


def test_bad_requests(two_cell_archive, tmp_path):
  spec = [str(REPO / "configs" / "deepchrome.py")]
  with pytest.raises(ConfigError, match="cells E999 are not available"):
    compare.compare(spec, str(tmp_path), str(two_cell_archive), cells=["E999"])
  with pytest.raises(ConfigError, match="no field 'train.num_epoch'"):
    compare.compare(spec, str(tmp_path), str(two_cell_archive), overrides=["train.num_epoch=1"])
  with pytest.raises(ConfigError, match="not found"):
    compare.compare(["configs/nope.py"], str(tmp_path))


def test_sbatch_missing_is_a_clear_error(tmp_path, monkeypatch):
  monkeypatch.setenv("PATH", str(tmp_path))
  with pytest.raises(UserError, match="sbatch is not on PATH"):
    slurm.submit(str(tmp_path / "array.sh"))


@pytest.mark.slow
def test_slurm_array_runs_the_ordinary_commands_and_collect_assembles_them(two_cell_archive,
                                                                           tmp_path):
  specs = [str(REPO / "configs" / "deepchrome.py"), str(REPO / "configs" / "baseline_one_mark.py")]
  overrides = ["train.num_epochs=1", "train.batch_size=4"]
  workdir = tmp_path / "array"
  script = compare.write_slurm_array(specs, str(workdir), str(two_cell_archive),
                                     overrides=overrides, options=["--time=00:30:00"])
  text = open(script).read()
  assert "#SBATCH --array=0-3" in text and "#SBATCH --time=00:30:00" in text
  rows = list(csv.DictReader(open(workdir / "slurm" / "tasks.tsv"), delimiter="\t"))
  assert [(r["config"].rsplit("/", 1)[-1], r["cell"]) for r in rows] == [
      ("deepchrome.py", "E000"), ("deepchrome.py", "E001"),
      ("baseline_one_mark.py", "E000"), ("baseline_one_mark.py", "E001")]
  assert "--config.train.num_epochs=1" in rows[0]["command"]
  assert "--config.train" not in rows[2]["command"]   # the baseline has no train section
  with pytest.raises(UserError, match="no finished runs"):
    compare.compare(specs, str(workdir), str(two_cell_archive), overrides=overrides, collect=True)
  env = {**os.environ, "SLURM_ARRAY_TASK_ID": "0"}
  done = subprocess.run(["bash", script], env=env, capture_output=True, text=True, cwd=REPO)
  assert done.returncode == 0, done.stderr[-2000:]
  partial = compare.compare(specs, str(workdir), str(two_cell_archive), overrides=overrides,
                            collect=True)
  assert partial["E000"]["deepchrome"] is not None and partial["E001"]["deepchrome"] is None
  for task in (1, 2, 3):
    env["SLURM_ARRAY_TASK_ID"] = str(task)
    done = subprocess.run(["bash", script], env=env, capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stderr[-2000:]
  collected = compare.compare(specs, str(workdir), str(two_cell_archive), overrides=overrides,
                              collect=True)
  local = compare.compare(specs, str(tmp_path / "local"), str(two_cell_archive),
                          overrides=overrides)
  for cell in local:
    for name in local[cell]:
      assert collected[cell][name] == pytest.approx(local[cell][name], abs=1e-6)


def test_cpu_groups_split_the_cores():
  assert local_jobs.cpu_groups(2, [0, 1]) == [[0], [1]]
  assert local_jobs.cpu_groups(3, list(range(8))) == [[0, 1, 2], [3, 4, 5], [6, 7]]
  assert local_jobs.cpu_groups(1, [3, 1]) == [[1, 3]]
  with pytest.raises(UserError, match="--jobs=3 needs at least 3 CPU cores"):
    local_jobs.cpu_groups(3, [0, 1])


def test_local_jobs_pin_each_run_and_report_failures(tmp_path, monkeypatch):
  """A stand-in for python records its arguments, compilation cache and CPU affinity; the E002
  run fails."""
  monkeypatch.delenv("JAX_COMPILATION_CACHE_DIR", raising=False)   # the suite's own cache
  fake = tmp_path / "fake_python"
  fake.write_text("#!/usr/bin/env python3\nimport os, sys, time\n"
                  "time.sleep(0.3)\n"
                  "print(' '.join(sys.argv[1:]), os.environ.get('JAX_COMPILATION_CACHE_DIR'),\n"
                  "      sorted(os.sched_getaffinity(0)))\n"
                  "sys.exit(1 if 'E002' in ' '.join(sys.argv) else 0)\n")
  fake.chmod(0o755)
  tasks = [slurm.Task("configs/deepchrome.py", cell, str(tmp_path / "runs" / "deepchrome" / cell),
                      (f"--config.data.cell={cell}",)) for cell in ("E001", "E002", "E003")]
  reports = []
  cpus = sorted(os.sched_getaffinity(0))
  jobs = min(2, len(cpus))
  failed = local_jobs.run_all(tasks, jobs, str(tmp_path / "logs"), python=str(fake),
                              cache_dir=str(tmp_path / "cache"), on_done=lambda task, code, s, done, total: reports.append(
                                  (task.cell, code, done, total)))
  assert [(task.cell, os.path.basename(log)) for task, log in failed] == [
      ("E002", "deepchrome_E002.log")]
  assert sorted(r[0] for r in reports) == ["E001", "E002", "E003"]
  assert [r[2:] for r in reports] == [(1, 3), (2, 3), (3, 3)]
  groups = local_jobs.cpu_groups(jobs)
  for cell in ("E001", "E002", "E003"):
    header, line = (tmp_path / "logs" / f"deepchrome_{cell}.log").read_text().splitlines()
    assert header.startswith("=== ") and header.endswith(tasks[0].command(str(fake)).replace(
        "E001", cell))
    assert line.startswith(f"-m regjax.main --config=configs/deepchrome.py --workdir=")
    assert f"--config.data.cell={cell}" in line
    assert any(line.endswith(str(group)) for group in groups)   # pinned to one CPU group
    assert f" {tmp_path / 'cache'} " in line                     # sharing one compilation cache
  # A rerun adds to the log: the failed attempt's output stays above it.
  local_jobs.run_all(tasks[1:2], 1, str(tmp_path / "logs"), python=str(fake))
  assert len((tmp_path / "logs" / "deepchrome_E002.log").read_text().splitlines()) == 4


def test_job_environment_keeps_a_cache_folder_the_user_chose():
  environment = local_jobs.job_environment("/c", {"PATH": "/bin"})
  assert environment == {"PATH": "/bin", "JAX_COMPILATION_CACHE_DIR": "/c",
                         "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0",
                         "JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES": "0"}
  mine = {"JAX_COMPILATION_CACHE_DIR": "/mine"}
  assert local_jobs.job_environment("/c", mine) == mine
  assert local_jobs.job_environment(None, {"PATH": "/bin"}) == {"PATH": "/bin"}


@pytest.mark.slow
def test_compare_with_jobs_runs_the_ordinary_commands_at_once(two_cell_archive, tmp_path):
  spec = [str(REPO / "configs" / "deepchrome.py")]
  overrides = ["train.num_epochs=1", "train.batch_size=4"]
  table = compare.compare(spec, str(tmp_path), str(two_cell_archive), overrides=overrides,
                          jobs=min(2, len(os.sched_getaffinity(0))))
  assert table["E000"] == table["E001"]   # the same toy files, each run on a core of its own
  assert (tmp_path / "logs" / "deepchrome_E000.log").exists()
  for cell in ("E000", "E001"):   # each run is exactly the in-process config
    config, _ = compare.member_config(spec[0], cell, str(two_cell_archive), overrides)
    assert compare.finished(config, str(tmp_path / "deepchrome" / cell)) is not None
