r"""The papers' 56-cell table at full size, timed end to end, on a SYNTHETIC archive.

  python benchmarks/papers_scale.py [--cells 56] [--genes_per_split 6601] \
      [--configs configs/deepchrome.py,configs/baseline_one_mark.py] [--program_configs ...]

The published archive (56 REMC cells x 6,601 / 6,601 / 6,600 genes, 100 bins x 5 marks) cannot be
downloaded here; `regjax.datasets.synthetic_archive` writes one of the same shape whose counts follow
the bundled sample's statistics, so that the *cost* of the table is measured honestly (its AUROCs
are those of a synthetic rule, not of biology). Phases, each a fresh process (its wall time and
peak resident memory, from wait4, are printed):

1. writing the synthetic archive (skipped when it is complete);
2. data preparation of every cell (first use: CSV -> TFDS array_record), then reading them back;
3. one command per cell, one after another: `python -m regjax.compare --archive_dir=...
   --configs=...` (per (config, cell) the ordinary training run);
4. all cells as one program: `python -m regjax.main --config=... --config.data.cells=E001,...`
   for each of --program_configs.
With --jobs=N, phases 2 and 3 run N processes at once, each pinned to its own share of the cores.
Targets (printed beside the figures): DeepChrome's 56 cells in under 30 minutes on 2 CPU cores;
on one H100/H200-class GPU AttentiveChrome's 56 cells in under 5 minutes, DeepChrome's under 1.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import subprocess
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from benchmarks.train_throughput import machine  # noqa: E402
from regjax import local_jobs  # noqa: E402

REPO = pathlib.Path(__file__).resolve().parents[1]
_PREPARE = """
import sys, time
from regjax import config_loader, datasets
archive, cells = sys.argv[1], sys.argv[2].split(",")
for cell in cells:
  config = config_loader.load_config("configs/deepchrome.py",
                                     [f"data.archive_dir={archive}", f"data.cell={cell}"])
  start = time.time()
  dataset = datasets.create_dataset(config.data)
  print(f"  {cell}: {sum(len(s['label']) for s in dataset.splits.values())} genes "
        f"{time.time() - start:.1f} s", flush=True)
"""


def timed(args: list[str], env=None, quiet: bool = False) -> tuple[float, float]:
  """(wall seconds, peak resident MiB) of one child process."""
  return timed_together([args], env, quiet)


def timed_together(commands: list[list[str]], env=None, quiet: bool = False,
                   cpu_groups=None) -> tuple[float, float]:
  """(wall seconds until all end, peak resident MiB of the largest) of child processes run at
  once, child i pinned to cpu_groups[i] when given."""
  start = time.perf_counter()
  children = [local_jobs.spawn_pinned(args, None if cpu_groups is None else cpu_groups[i],
                                      cwd=REPO, env=env,
                                      stdout=subprocess.DEVNULL if quiet else None)
              for i, args in enumerate(commands)]
  peak = 0.0
  for child, args in zip(children, commands):
    _, status, usage = os.wait4(child.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
      raise SystemExit(f"failed: {' '.join(args)}")
    peak = max(peak, usage.ru_maxrss / 1024)
  return time.perf_counter() - start, peak


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--cells", type=int, default=56)
  parser.add_argument("--genes_per_split", type=int, default=6601)
  parser.add_argument("--configs", default="configs/deepchrome.py,configs/baseline_one_mark.py",
                      help="configs of the per-cell table (phase 3)")
  parser.add_argument("--program_configs", default="configs/deepchrome.py",
                      help="configs run as one program over all cells (phase 4); '' skips it")
  parser.add_argument("--workdir", default="runs/papers_scale")
  parser.add_argument("--jobs", type=int, default=1,
                      help="processes at once, each on its own share of the cores: preparation "
                           "splits the cells among them, phase 3 is `regjax.compare --jobs`")
  parser.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                      help="override a field of every config (e.g. train.num_epochs=2)")
  args = parser.parse_args()
  print(machine(), flush=True)
  workdir = pathlib.Path(args.workdir).resolve()
  archive = workdir / f"archive_{args.cells}x{args.genes_per_split}"
  data_dir = workdir / "tfds"
  env = {**os.environ, "REGJAX_DATA_DIR": str(data_dir)}
  cells = [f"E{i:03d}" for i in range(1, args.cells + 1)]
  figures = {}
  print(f"1. SYNTHETIC archive: {args.cells} cells x {3 * args.genes_per_split - 1} genes -> "
        f"{archive}", flush=True)
  figures["write archive"] = timed([sys.executable, "-m", "regjax.datasets.synthetic_archive",
                                    f"--out={archive}", f"--cells={args.cells}",
                                    f"--genes_per_split={args.genes_per_split}"], env)
  groups = local_jobs.cpu_groups(args.jobs)
  shares = [share for share in (cells[i::args.jobs] for i in range(args.jobs)) if share]
  prepare = [[sys.executable, "-c", _PREPARE, str(archive), ",".join(share)] for share in shares]
  together = f", {args.jobs} processes at once" if args.jobs > 1 else ""
  print(f"2. data preparation (first use), then reading back{together}", flush=True)
  figures["prepare every cell (first use)"] = timed_together(prepare, env, cpu_groups=groups)
  figures["read every cell back"] = timed_together(prepare, env, quiet=True, cpu_groups=groups)
  overrides = [f"--override={o}" for o in args.set]
  print(f"3. one run per (config, cell){together}: {args.configs}", flush=True)
  figures[f"per-cell runs (regjax.compare --jobs={args.jobs})"] = timed(
      [sys.executable, "-m", "regjax.compare", f"--workdir={workdir / 'compare'}",
       f"--configs={args.configs}", f"--archive_dir={archive}", f"--jobs={args.jobs}",
       *overrides], env)
  for spec in [s for s in args.program_configs.split(",") if s]:
    print(f"4. all cells as one program: {spec}", flush=True)
    name = pathlib.Path(spec).stem
    figures[f"{name}, all cells in one program"] = timed(
        [sys.executable, "-m", "regjax.main", f"--config={spec}",
         f"--workdir={workdir / ('program_' + name)}", f"--config.data.archive_dir={archive}",
         f"--config.data.cells={','.join(cells)}", *[f"--config.{o}" for o in args.set]], env)
  print(f"\n{machine()}\nSYNTHETIC archive, {args.cells} cells x {args.genes_per_split} genes "
        "per split")
  print(f"{'phase':44s} {'wall':>10s} {'peak RSS':>10s}")
  for phase, (wall, rss) in figures.items():
    print(f"{phase:44s} {wall / 60:8.1f} min {rss / 1024:7.2f} GiB")
  table = workdir / "compare" / "comparison.md"
  if table.exists():
    lines = table.read_text().splitlines()
    # the header and the mean / median rows (every row of a small table)
    print("\n" + "\n".join(lines if len(lines) <= 6 else lines[:2] + lines[-2:]))
  print("target: DeepChrome's 56 cells in under 30 minutes on 2 CPU cores (phases 2-3 or 2 + 4)")


if __name__ == "__main__":
  main()
