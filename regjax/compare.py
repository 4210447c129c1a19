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
"""

from __future__ import annotations

import csv
import os
import pathlib
import sys
import time

import numpy as np
from absl import app, flags, logging

from regjax import config_loader, reporting, runner
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


def run_one(spec: str, cell: str, workdir: str, archive_dir: str, overrides) -> dict:
  config = config_loader.load_config(spec)
  if config.data.name != "histone_bins":
    raise ConfigError(f"{spec}: only histone_bins configs have cells to compare")
  config.data.cell = cell
  config.data.archive_dir = archive_dir
  for override in overrides:
    config_loader.apply_override(config, override, skip_missing_sections=True)
  results_path = os.path.join(workdir, "results.json")
  if os.path.exists(results_path):
    previous = reporting.read_json(results_path)
    if previous.get("config") == reporting.json_roundtrip(config.to_dict()):
      return previous
  return runner.run("train", config, workdir)


def compare(specs: list[str], workdir: str, archive_dir: str = "", cells=(),
            overrides=()) -> dict[str, dict[str, float]]:
  """Runs every (config, cell) pair and writes comparison.csv / .md; returns {cell: {config: value}}."""
  archive_dir = os.path.abspath(archive_dir) if archive_dir else ""
  all_cells = available_cells(archive_dir)
  unknown = sorted(set(cells) - set(all_cells))
  if unknown:
    raise ConfigError(f"cells {', '.join(unknown)} are not available; available: "
                      f"{', '.join(all_cells)}")
  cells = [c for c in all_cells if not cells or c in cells]
  names = [pathlib.Path(s.partition(":")[0]).stem + (f":{s.partition(':')[2]}" if ":" in s else "")
           for s in specs]
  table: dict[str, dict[str, float]] = {cell: {} for cell in cells}
  metric_of: dict[str, str] = {}
  for spec, name in zip(specs, names):
    for cell in cells:
      start = time.time()
      print(f"=== {name} on {cell}")
      results = run_one(spec, cell, os.path.join(workdir, name.replace(":", "_"), cell),
                        archive_dir, overrides)
      metric = "pearson_r" if results["task"] == "regression" else "auroc"
      metric_of[name] = metric
      table[cell][name] = results["test"][metric]
      print(f"=== {name} on {cell}: test {metric} {table[cell][name]:.4f} "
            f"({time.time() - start:.0f} s)")
  _write_tables(workdir, table, names, metric_of)
  return table


def _summary_rows(table, names):
  values = {n: [table[c][n] for c in table if table[c].get(n) is not None] for n in names}
  return [("mean", {n: float(np.mean(v)) for n, v in values.items()}),
          ("median", {n: float(np.median(v)) for n, v in values.items()})]


def _write_tables(workdir: str, table, names, metric_of) -> None:
  os.makedirs(workdir, exist_ok=True)
  rows = list(table.items()) + (_summary_rows(table, names) if len(table) > 1 else [])
  with open(os.path.join(workdir, "comparison.csv"), "w", newline="") as f:
    writer = csv.writer(f)
    writer.writerow(["cell", *names])
    for cell, values in rows:
      writer.writerow([cell, *(f"{values[n]:.4f}" for n in names)])
  header = [f"{n} (test {metric_of[n]})" for n in names]
  lines = ["| cell | " + " | ".join(header) + " |", "|---" * (len(names) + 1) + "|"]
  for cell, values in rows:
    best = max(values[n] for n in names)
    cells = [f"**{values[n]:.3f}**" if values[n] == best and len(names) > 1 else f"{values[n]:.3f}"
             for n in names]
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
    compare(FLAGS.configs, os.path.abspath(FLAGS.workdir), FLAGS.archive_dir, FLAGS.cells,
            FLAGS.override)
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
