r"""Test metrics of configs over several seeds: mean +/- sd, the figures of README.md's results.

  python benchmarks/seed_table.py --configs=configs/deepchrome.py --cells=E123,E003
  python benchmarks/seed_table.py --configs=configs/deepdiff.py --seeds=0-4 \
      --set=model.variant=aux_siamese

Every (config, cell, seed) is the ordinary training run (`regjax.runner.run`) in
`--workdir/<config>/<cell>/seed<k>`; a finished run is reused, so an interrupted table resumes.
Prints one line per run and, per (config, cell), the test value of the config's selection metric
(AUROC for classification, Pearson r otherwise) as mean +/- sd (sample sd, n - 1) with the range,
and the mean wall time per run. Histone configs take --cells; other configs run on their data.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import statistics
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from benchmarks.train_throughput import machine  # noqa: E402
from regjax import config_loader, reporting, runner  # noqa: E402


def seed_list(text: str) -> list[int]:
  """"0-4" -> [0, 1, 2, 3, 4]; "0,2" -> [0, 2]."""
  if "-" in text:
    first, last = text.split("-")
    return list(range(int(first), int(last) + 1))
  return [int(s) for s in text.split(",")]


def run_seed(spec: str, cell: str | None, seed: int, overrides, workdir: str) -> tuple[dict, float]:
  """(results, wall seconds) of one run; a finished run in `workdir` with the same config is
  read back (wall time as recorded)."""
  extra = [f"seed={seed}"] + ([f"data.cell={cell}"] if cell else [])
  config = config_loader.load_config(spec, [*overrides, *extra])
  results_path = os.path.join(workdir, "results.json")
  if os.path.exists(results_path):
    previous = reporting.read_json(results_path)
    if previous.get("config") == reporting.json_roundtrip(config.to_dict()):
      return previous, previous.get("train_time_s", float("nan"))
  start = time.time()
  results = runner.run("train", config, workdir)
  return results, time.time() - start


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--configs", required=True, help="config specs, comma-separated")
  parser.add_argument("--cells", default="", help="histone configs: cells, comma-separated")
  parser.add_argument("--seeds", default="0-4")
  parser.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                      help="override a config field of every run")
  parser.add_argument("--workdir", default="runs/seed_table")
  args = parser.parse_args()
  print(machine(), flush=True)
  summary = []
  for spec in args.configs.split(","):
    name = pathlib.Path(spec.partition(":")[0]).stem + spec.partition(":")[1] + spec.partition(":")[2]
    label = name + "".join(f" {s}" for s in args.set)
    for cell in args.cells.split(",") if args.cells else [None]:
      values, times = [], []
      for seed in seed_list(args.seeds):
        folder = os.path.join(args.workdir, name.replace(":", "_") + "".join(
            "_" + s.replace("=", "-") for s in args.set), cell or "data", f"seed{seed}")
        results, seconds = run_seed(spec, cell, seed, args.set, folder)
        metric = "auroc" if results["task"] == "classification" else "pearson_r"
        values.append(results["test"][metric])
        times.append(seconds)
        print(f"== {label} {cell or ''} seed {seed}: test {metric} {values[-1]:.4f} "
              f"({seconds:.0f} s)", flush=True)
      sd = statistics.stdev(values) if len(values) > 1 else float("nan")
      summary.append(f"{label} {cell or ''}: test {metric} {statistics.mean(values):.3f} +/- "
                     f"{sd:.3f} (range {min(values):.3f}-{max(values):.3f}, {len(values)} seeds; "
                     f"{statistics.mean(times):.0f} s per run)")
  print("\n".join(summary))


if __name__ == "__main__":
  main()
