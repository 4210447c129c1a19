r"""Real allele-specific CTCF binding: does a trained model score the binding allele higher?

  python benchmarks/ctcf_variants.py --configs=configs/deepmotif_cnn.py,configs/deepmotif_cnnrnn.py \
      --seeds=0-2 [--set=train.reverse_complement=true] [--set=train.num_epochs=12]

Trains each config on the real CTCF ChIP-seq set (`tests/data/ctcf_chipseq`: 19,544 sequences of
100 bp, shuffled negatives labelled by its .target file; validation and test on its 1,000-sequence
valid file), scores the 198 allele pairs of `tests/data/variants` with `--mode=variants`'s path
(paired FASTA), and prints per run and as mean +/- sd over seeds: the share of pairs where the
binding allele scores higher, ties counted as half, forward and averaged over both strands. The
peer, in the same run: a scan with the ENCODE CTCF motif (CTCF_known1, best log-odds window on
either strand).
"""

from __future__ import annotations

import argparse
import gzip
import os
import pathlib
import statistics
import sys

import numpy as np

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.seed_table import run_seed, seed_list  # noqa: E402
from benchmarks.train_throughput import machine  # noqa: E402
from regjax import variants  # noqa: E402
from regjax.datasets import sequences as seq_io, simulation  # noqa: E402

DATA = REPO / "tests" / "data"
PAIRS = (DATA / "variants" / "CTCF_binding_alleles.fa", DATA / "variants" / "CTCF_nonbinding_alleles.fa")


def labelled_fasta(name: str, folder: pathlib.Path) -> str:
  """The CTCF file with each header's 0/1 label appended from its .target file."""
  out = folder / f"CTCF_{name}.labelled.fa"
  if not out.exists():
    labels = [line.split()[0] for line in open(DATA / "ctcf_chipseq" / f"CTCF_{name}.target")]
    index, lines = 0, []
    for line in gzip.open(DATA / "ctcf_chipseq" / f"CTCF_{name}.fa.gz", "rt"):
      if line.startswith(">"):
        lines.append(f"{line.strip()} {labels[index]}\n")
        index += 1
      else:
        lines.append(line)
    folder.mkdir(parents=True, exist_ok=True)
    out.write_text("".join(lines))
  return str(out)


def share_binding_higher(binding: np.ndarray, other: np.ndarray) -> tuple[float, float]:
  """(share with the binding allele higher, ties counted as half; share of exact ties)."""
  return float(np.mean(binding > other) + 0.5 * np.mean(binding == other)), float(
      np.mean(binding == other))


def motif_scan() -> tuple[float, float]:
  pwm = simulation.read_motifs()["CTCF_known1"]             # [W, 4] probabilities
  log_odds = np.log((pwm + 1e-3) / 0.25)
  def best(path):
    data = seq_io.read_fasta(path)
    x = seq_io.one_hot(np.stack([seq_io.encode(s, 100) for s in data.sequences]))
    scores = []
    for strand in (x, x[:, ::-1, ::-1]):
      windows = np.lib.stride_tricks.sliding_window_view(strand, len(pwm), axis=1)
      scores.append(np.einsum("nlcw,wc->nl", windows, log_odds).max(1))
    return np.maximum(*scores)
  return share_binding_higher(best(PAIRS[0]), best(PAIRS[1]))


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--configs", default="configs/deepmotif_cnn.py,configs/deepmotif_cnnrnn.py")
  parser.add_argument("--seeds", default="0-2")
  parser.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE")
  parser.add_argument("--workdir", default="runs/ctcf_variants")
  args = parser.parse_args()
  print(machine())
  data = pathlib.Path(args.workdir) / "data"
  train_file, valid_file = labelled_fasta("train", data), labelled_fasta("valid", data)
  scan, scan_ties = motif_scan()
  print(f"motif scan (CTCF_known1): binding allele higher {scan:.3f} (ties as half; "
        f"ties {scan_ties:.2f})")
  overrides = [f"data.train_path={train_file}", f"data.test_path={valid_file}",
               "data.length=100", *args.set]
  for spec in args.configs.split(","):
    shares = {"forward": [], "both strands": []}
    deltas = {"forward": [], "both strands": []}
    aurocs = []
    for seed in seed_list(args.seeds):
      workdir = os.path.join(args.workdir, pathlib.Path(spec).stem, f"seed{seed}")
      results, seconds = run_seed(spec, None, seed, overrides, workdir)
      aurocs.append(results["test"]["auroc"])
      line = [f"{pathlib.Path(spec).stem} seed {seed}: valid-file AUROC "
              f"{results['test']['auroc']:.3f}, {seconds:.0f} s"]
      for label, both in (("forward", False), ("both strands", True)):
        out = os.path.join(workdir, f"pairs_{'both' if both else 'fwd'}.tsv")
        if os.path.exists(out):
          os.remove(out)
        variants.score_variants(workdir, out, ref_fasta=str(PAIRS[0]), alt_fasta=str(PAIRS[1]),
                                both_strands=both)
        rows = [r.split("\t") for r in open(out).read().splitlines()[1:]]
        delta = np.array([float(r[8]) for r in rows])       # log-odds(other) - log-odds(binding)
        share, ties = share_binding_higher(-delta, np.zeros_like(delta))
        shares[label].append(share)
        deltas[label].append(delta)
        line.append(f"{label} {share:.3f} (ties {ties:.2f})")
      print("; ".join(line), flush=True)
    sd = lambda v: statistics.stdev(v) if len(v) > 1 else float("nan")
    summary = ", ".join(f"{k} {statistics.mean(v):.3f} +/- {sd(v):.3f}" for k, v in shares.items())
    ensemble = ", ".join(
        f"{k} {share_binding_higher(-np.mean(v, axis=0), np.zeros(len(v[0])))[0]:.3f}"
        for k, v in deltas.items())
    print(f"{pathlib.Path(spec).stem} ({', '.join(args.set) or 'config as is'}), "
          f"{len(aurocs)} seeds: binding allele higher: {summary} (target 0.80); AUROC "
          f"{statistics.mean(aurocs):.3f} +/- {sd(aurocs):.3f}; the seeds' mean log-odds as one "
          f"ensemble: {ensemble}")


if __name__ == "__main__":
  main()
