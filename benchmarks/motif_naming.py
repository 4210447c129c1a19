r"""What a DeepMotif model learned, named: class optimisation, first-layer filters and TF-MoDISco
patterns against JASPAR 2024, on real ChIP-seq (REST, CTCFL) and on the planted-CTCF simulation.

  pip install -e ".[motifs]"          # modisco-lite, for the MoDISco row (optional)
  python benchmarks/motif_naming.py [--sets REST,CTCFL,simulated] [--seeds 0] [--sequences 500]

Each (set, seed) is an ordinary training run of `configs/deepmotif_cnn.py` in
`--workdir/<set>/seed<k>` (reused when finished), then the ordinary `--mode=interpret` report on
up to `--sequences` bound test sequences (`regjax.interpret.report`), whose motif_matches.tsv is
read back. Prints, per run, the top JASPAR match (and its q-value) of the class-optimisation PWM,
of the best-matched first-layer filter, and of the first MoDISco pattern; the expected answer is
REST for REST, CTCF (or CTCFL) for CTCFL and the simulation.
"""

from __future__ import annotations

import argparse
import csv
import os
import pathlib
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from benchmarks.seed_table import run_seed, seed_list  # noqa: E402
from benchmarks.train_throughput import machine  # noqa: E402
from regjax import config_loader  # noqa: E402
from regjax.interpret import report  # noqa: E402

_DATA = {"REST": ["data.tf=REST"], "CTCFL": ["data.tf=CTCFL"],
         "simulated": ["data.name=simulated_motifs", "data.num_train=4000", "data.num_valid=500",
                       "train.batch_size=64", "train.learning_rate=0.003", "train.num_epochs=5"]}


def top_matches(path: str) -> dict[str, tuple[str, float]]:
  """{source: (motif name, q)} of the best JASPAR match per source (the first MoDISco pattern,
  the best-matched filter)."""
  best: dict[str, tuple[str, float]] = {}
  with open(path) as f:
    for row in csv.DictReader(f, delimiter="\t"):
      if row["database"] != "jaspar" or row["rank"] != "1":
        continue
      source, q = row["source"], float(row["q_value"])
      if source == "modisco" and source in best:
        continue   # patterns are listed in MoDISco's order: keep the first
      if source not in best or q < best[source][1]:
        best[source] = (row["motif_name"], q)
  return best


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--sets", default="REST,CTCFL,simulated")
  parser.add_argument("--seeds", default="0")
  parser.add_argument("--sequences", type=int, default=500, help="bound test sequences explained")
  parser.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE")
  parser.add_argument("--workdir", default="runs/motif_naming")
  args = parser.parse_args()
  print(machine())
  rows = []
  for name in args.sets.split(","):
    for seed in seed_list(args.seeds):
      workdir = os.path.join(args.workdir, name, f"seed{seed}")
      overrides = [*_DATA[name], *args.set]
      results, wall = run_seed("configs/deepmotif_cnn.py", None, seed, overrides, workdir)
      config = config_loader.load_config(
          "configs/deepmotif_cnn.py", [f"interpret.num_sequences={args.sequences}",
                                       "interpret.num_plots=1"])
      folder = os.path.join(workdir, "interpret")
      if not os.path.exists(os.path.join(folder, "motif_matches.tsv")):
        start = time.time()
        report.interpret_workdir(config, workdir)
        print(f"  interpreted in {time.time() - start:.0f} s")
      best = top_matches(os.path.join(folder, "motif_matches.tsv"))
      rows.append((name, seed, results["test"]["auroc"], best))
  print(f"\n{'set':10s} {'seed':>4s} {'test AUROC':>10s}  {'class optimisation':34s} "
        f"{'best filter':34s} {'MoDISco pattern 0':34s}")
  for name, seed, auroc, best in rows:
    cells = [f"{best[s][0]} (q {best[s][1]:.1g})" if s in best else "-"
             for s in ("class_optimization", "filter", "modisco")]
    print(f"{name:10s} {seed:4d} {auroc:10.4f}  " + " ".join(f"{c:34s}" for c in cells))


if __name__ == "__main__":
  main()
