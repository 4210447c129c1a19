r"""Train several configs on every available cell and tabulate their test metrics.

  python -m regjax.compare --workdir=runs/compare \
      --configs=configs/deepchrome.py,configs/attentivechrome.py,configs/baseline_svm.py

Cells: the bundled E003 and E123, or, with --archive_dir=DIR, every `E###/classification` folder of
a local copy of the 56-cell DeepChrome archive (the paper's per-cell table); --cells picks a subset.
Each (config, cell) run lives in `WORKDIR/<config>/<cell>` and is reused when its results.json
exists, so an interrupted comparison resumes. Writes `comparison.csv` and `comparison.md`: one row
per cell, one column per config, the test value of each config's selection metric (AUROC for
classification, Pearson r for regression), plus mean and median rows.
--override=train.num_epochs=3 (repeatable) changes a field of every config.
--jobs=N runs N of the (config, cell) runs at once, each the ordinary `regjax.main` command pinned
to its own share of the CPU cores, logging to WORKDIR/logs/ (`regjax.local_jobs`; for CPU
machines: on 2 cores --jobs=2 finishes DeepChrome's table about 1.4x sooner).

On a cluster: --launcher=slurm writes WORKDIR/slurm/array.sh, one SLURM job array with a task per
(config, cell) running the ordinary `regjax.main` command in that run's workdir (`regjax.slurm`;
--slurm_option=--time=02:00:00 adds #SBATCH lines, --submit calls sbatch), and --collect later
assembles comparison.csv / .md from the finished workdirs without training anything.
"""

from __future__ import annotations

import csv
import os
import pathlib
import sys
import time

import numpy as np
from absl import app, flags, logging

from regjax import config_loader, local_jobs, reporting, runner, slurm
from regjax.datasets import histone_sources
from regjax.errors import ConfigError, UserError

# Its own flag set: regjax.main defines --workdir too, and both can be imported in one process.
FLAGS = flags.FlagValues()
flags.DEFINE_list("configs", None, "Config files (path[:arg]) to compare.", flag_values=FLAGS)
flags.DEFINE_string("workdir", None, "Folder for the runs and the tables.", flag_values=FLAGS)
flags.DEFINE_string("archive_dir", "", "Local DeepChrome archive (E###/classification/*.csv).",
                    flag_values=FLAGS)
flags.DEFINE_list("cells", [], "Only these cells (default: every available one).",
                  flag_values=FLAGS)
flags.DEFINE_multi_string("override", [], "field=value applied to every config that has the "
                          "field's section (repeatable).", flag_values=FLAGS)
flags.DEFINE_enum("launcher", "local", ["local", "slurm"], "local: run every (config, cell) here, "
                  "one after another; slurm: write one SLURM job array instead.",
                  flag_values=FLAGS)
flags.DEFINE_bool("submit", False, "--launcher=slurm: also submit the array with sbatch.",
                  flag_values=FLAGS)
flags.DEFINE_bool("collect", False, "Only assemble the table from finished workdirs (after a "
                  "job array ran).", flag_values=FLAGS)
flags.DEFINE_integer("jobs", 1, "--launcher=local: runs at once, each pinned to its own share of "
                     "the CPU cores (CPU machines; keep 1 on a GPU).", flag_values=FLAGS)
flags.DEFINE_multi_string("slurm_option", [], "An #SBATCH option for the array, e.g. "
                          "--time=02:00:00 (repeatable).", flag_values=FLAGS)


def available_cells(archive_dir: str) -> list[str]:
  """Cells with data: the archive's E### folders, or the bundled cells."""
  if not archive_dir:
    return sorted(histone_sources.BUNDLED_CELLS)
  if not os.path.isdir(archive_dir):
    raise ConfigError(f"archive folder {archive_dir} does not exist")
  cells = sorted(d for d in os.listdir(archive_dir)
                 if os.path.isdir(os.path.join(archive_dir, d, "classification")))
  if not cells:
    raise ConfigError(f"{archive_dir} holds no E###/classification folders")
  return cells


def member_config(spec: str, cell: str, archive_dir: str, overrides):
  """The config of one (config, cell) run and the `regjax.main` arguments that give it."""
  config = config_loader.load_config(spec)
  if config.data.name != "histone_bins":
    raise ConfigError(f"{spec}: only histone_bins configs have cells to compare")
  config.data.cell = cell
  config.data.archive_dir = archive_dir
  arguments = [f"--config.data.cell={cell}"]
  if archive_dir:
    arguments.append(f"--config.data.archive_dir={archive_dir}")
  for override in overrides:
    if override.partition(".")[0] in config:   # as skip_missing_sections does
      config_loader.apply_override(config, override)
      arguments.append(f"--config.{override}")
  return config, arguments


def finished(config, workdir: str) -> dict | None:
  """The results of a finished run of exactly `config` in `workdir`, else None."""
  results_path = os.path.join(workdir, "results.json")
  if os.path.exists(results_path):
    previous = reporting.read_json(results_path)
    if previous.get("config") == reporting.json_roundtrip(config.to_dict()):
      return previous
  return None


def run_one(spec: str, cell: str, workdir: str, archive_dir: str, overrides) -> dict:
  config, _ = member_config(spec, cell, archive_dir, overrides)
  return finished(config, workdir) or runner.run("train", config, workdir)


def _plan(specs, workdir, archive_dir, cells):
  """[(spec, name, cell, run workdir)] of every run, and the cells, after checking them."""
  all_cells = available_cells(archive_dir)
  unknown = sorted(set(cells) - set(all_cells))
  if unknown:
    raise ConfigError(f"cells {', '.join(unknown)} are not available; available: "
                      f"{', '.join(all_cells)}")
  cells = [c for c in all_cells if not cells or c in cells]
  names = [pathlib.Path(s.partition(":")[0]).stem + (f":{s.partition(':')[2]}" if ":" in s else "")
           for s in specs]
  runs = [(spec, name, cell, os.path.join(workdir, name.replace(":", "_"), cell))
          for spec, name in zip(specs, names) for cell in cells]
  return runs, names, cells


def _task(run, archive_dir: str, overrides) -> tuple:
  """(config, `slurm.Task`) of one planned run (spec, name, cell, run_dir): its config and its
  ordinary `regjax.main` command."""
  spec, _, cell, run_dir = run
  config, arguments = member_config(spec, cell, archive_dir, overrides)
  return config, slurm.Task(spec, cell, run_dir, tuple(arguments))


def _run_jobs(runs, workdir: str, archive_dir: str, overrides, jobs: int) -> list[str]:
  """Runs the unfinished runs `jobs` at a time (`local_jobs`); returns the failed ones, each
  named with its log."""
  todo = []
  for run in runs:
    config, task = _task(run, archive_dir, overrides)
    if finished(config, task.workdir) is None:
      todo.append(task)
  print(f"{len(runs) - len(todo)} of {len(runs)} runs already finished; running {len(todo)}, "
        f"{jobs} at a time (logs in {os.path.join(workdir, 'logs')})")

  def report(task, returncode, seconds, done, total):
    outcome = "finished" if returncode == 0 else f"FAILED (exit {returncode})"
    print(f"=== [{done}/{total}] {task.spec} on {task.cell}: {outcome} ({seconds:.0f} s)",
          flush=True)

  failed = local_jobs.run_all(todo, jobs, os.path.join(workdir, "logs"), report,
                              cache_dir=os.path.join(os.path.abspath(workdir), "jax_cache"))
  return [f"{task.spec} on {task.cell} (log: {log})" for task, log in failed]


def compare(specs: list[str], workdir: str, archive_dir: str = "", cells=(),
            overrides=(), collect: bool = False, jobs: int = 1) -> dict[str, dict[str, float]]:
  """Runs every (config, cell) pair (or, with `collect`, reads the finished ones) and writes
  comparison.csv / .md; returns {cell: {config: value}} (None where a run is missing). With
  jobs > 1 the runs are `jobs` processes at a time (`local_jobs`), collected when all ended."""
  archive_dir = os.path.abspath(archive_dir) if archive_dir else ""
  runs, names, cells = _plan(specs, workdir, archive_dir, cells)
  failed = []
  if jobs > 1 and not collect:
    failed = _run_jobs(runs, workdir, archive_dir, overrides, jobs)
    collect = True
  table: dict[str, dict[str, float]] = {cell: {} for cell in cells}
  metric_of: dict[str, str] = {}
  missing = []
  for spec, name, cell, run_dir in runs:
    start = time.time()
    if collect:
      results = finished(member_config(spec, cell, archive_dir, overrides)[0], run_dir)
      if results is None:
        missing.append(f"{name} on {cell} ({run_dir})")
        table[cell][name] = None
        continue
    else:
      print(f"=== {name} on {cell}")
      results = run_one(spec, cell, run_dir, archive_dir, overrides)
    metric = "pearson_r" if results["task"] == "regression" else "auroc"
    metric_of[name] = metric
    table[cell][name] = results["test"][metric]
    if not collect:
      print(f"=== {name} on {cell}: test {metric} {table[cell][name]:.4f} "
            f"({time.time() - start:.0f} s)")
  if missing:
    print(f"{len(missing)} of {len(runs)} runs not finished (yet): " + "; ".join(missing[:5])
          + (" ..." if len(missing) > 5 else ""))
  failures = f"{len(failed)} run(s) failed: " + "; ".join(failed)
  if len(missing) == len(runs):
    raise UserError(failures if failed else f"no finished runs under {workdir} to collect")
  for name in names:
    metric_of.setdefault(name, "auroc")
  _write_tables(workdir, table, names, metric_of)
  if failed:
    raise UserError(failures)
  return table


def write_slurm_array(specs: list[str], workdir: str, archive_dir: str = "", cells=(),
                      overrides=(), options=(), submit: bool = False) -> str:
  """WORKDIR/slurm/array.sh: one task per (config, cell) (`regjax.slurm`); returns its path."""
  archive_dir = os.path.abspath(archive_dir) if archive_dir else ""
  runs, _, _ = _plan(specs, workdir, archive_dir, cells)
  tasks = [_task(run, archive_dir, overrides)[1] for run in runs]
  script = slurm.write_array(tasks, os.path.join(workdir, "slurm"), options)
  print(f"Wrote {script}: {len(tasks)} tasks (tasks.tsv beside it)")
  if submit:
    print(f"Submitted job array {slurm.submit(script)}; collect the table with --collect")
  else:
    print(f"Submit with: sbatch {script}; then collect the table with --collect")
  return script


def _summary_rows(table, names):
  values = {n: [table[c][n] for c in table if table[c].get(n) is not None] for n in names}
  return [("mean", {n: float(np.mean(v)) if v else None for n, v in values.items()}),
          ("median", {n: float(np.median(v)) if v else None for n, v in values.items()})]


def _format(value, bold: bool = False) -> str:
  if value is None:
    return "-"
  return f"**{value:.3f}**" if bold else f"{value:.3f}"


def _write_tables(workdir: str, table, names, metric_of) -> None:
  os.makedirs(workdir, exist_ok=True)
  rows = list(table.items()) + (_summary_rows(table, names) if len(table) > 1 else [])
  with open(os.path.join(workdir, "comparison.csv"), "w", newline="") as f:
    writer = csv.writer(f)
    writer.writerow(["cell", *names])
    for cell, values in rows:
      writer.writerow([cell, *("" if values[n] is None else f"{values[n]:.4f}" for n in names)])
  header = [f"{n} (test {metric_of[n]})" for n in names]
  lines = ["| cell | " + " | ".join(header) + " |", "|---" * (len(names) + 1) + "|"]
  for cell, values in rows:
    present = [values[n] for n in names if values[n] is not None]
    best = max(present) if present else None
    cells = [_format(values[n], values[n] == best and len(names) > 1) for n in names]
    lines.append(f"| {cell} | " + " | ".join(cells) + " |")
  with open(os.path.join(workdir, "comparison.md"), "w") as f:
    f.write("\n".join(lines) + "\n")
  print("\n".join(lines))


def main(argv):
  del argv
  if not FLAGS.configs or not FLAGS.workdir:
    print("error: --configs and --workdir are required", file=sys.stderr)
    return 2
  logging.set_verbosity(logging.WARNING)
  try:
    if FLAGS.jobs < 1 or (FLAGS.jobs > 1 and FLAGS.launcher != "local"):
      raise ConfigError(f"--jobs={FLAGS.jobs}: --jobs is a positive number of runs at once "
                        "for --launcher=local")
    if FLAGS.launcher == "slurm" and not FLAGS.collect:
      write_slurm_array(FLAGS.configs, os.path.abspath(FLAGS.workdir), FLAGS.archive_dir,
                        FLAGS.cells, FLAGS.override, FLAGS.slurm_option, FLAGS.submit)
    else:
      compare(FLAGS.configs, os.path.abspath(FLAGS.workdir), FLAGS.archive_dir, FLAGS.cells,
              FLAGS.override, FLAGS.collect, FLAGS.jobs)
  except UserError as e:
    print(f"error: {e}", file=sys.stderr)
    return 2
  return 0


def parse_flags(argv: list[str]) -> list[str]:
  """This command's flags; absl's own (global) flag set is parsed empty, as app.run expects."""
  flags.FLAGS(argv[:1])
  try:
    return FLAGS(argv)
  except flags.Error as e:
    print(f"error: bad command line: {e}", file=sys.stderr)
    sys.exit(2)


if __name__ == "__main__":
  app.run(main, flags_parser=parse_flags)
