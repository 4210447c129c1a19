r"""A SYNTHETIC stand-in for the 56-cell DeepChrome archive, at full size, for timing and scale.

  python -m regjax.datasets.synthetic_archive --out DIR --cells 56 [--genes_per_split 6601] [--seed 0]

Writes the published layout, `DIR/E###/classification/{train,valid,test}.csv` (no header,
`GeneID,BinID,H3K27me3,H3K36me3,H3K4me1,H3K4me3,H3K9me3,Label`, 100 bins per gene; train and
valid hold `genes_per_split` genes, test one fewer, as 6,601 / 6,601 / 6,600 in the paper's
splits), and `DIR/SYNTHETIC.md` saying what it is. Nothing in it is measured data: cells E001 ..
E056 are numbers, not REMC epigenomes, and its metrics say nothing about biology, only about cost.

How counts are drawn (`fit`, `draw_cell`): every (mark, bin) has the zero share, the mean and the
over-dispersion (negative binomial size of the nonzero counts minus one) of the bundled REMC sample
(E123 and E003, 1,200 genes); counts of a gene are tied together by a Gaussian copula whose
latent value at (bin, mark) is sqrt(rho_m) u_gm + sqrt(1 - rho_m) v_gtm, with u a gene-level factor
(shared half between cells) and v an AR(1) process along the bins; rho_m and the AR coefficient
are fitted to the normal-score correlations of the sample's bins (far apart and adjacent). Each
cell scales each mark's means by its own lognormal factor (sd 0.05).

Labels (the rule, on the latent values, so that models have something to learn and no single mark
solves it): score = 1.2 K4me3[45:55] + 0.8 K36me3[55:100] - 0.8 K27me3[40:60] - 0.4 K9me3[all]
+ 0.5 K4me1[30:45] - 1.0 [K4me3[45:55] > 0.5 and K27me3[40:60] > 0.5] (bivalent promoters off)
+ N(0, 0.8^2) noise, each term the mean latent value over those bins; label 1 when the score is
above the cell's median (DeepChrome's median rule).

A killed run resumes: finished cells (all three files, each written whole) are kept.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import pathlib
import sys
import time

import numpy as np
from scipy import special, stats

from regjax.datasets import histone_csv, histone_sources
from regjax.errors import UserError
from regjax.writing import atomic_text_file

MARKS = histone_csv.DEEPCHROME_MARKS          # H3K27me3, H3K36me3, H3K4me1, H3K4me3, H3K9me3
K27, K36, K4ME1, K4ME3, K9 = range(5)
NUM_BINS = 100
GENE_SHARING = 0.5      # share of a gene's latent factor common to all cells
CELL_SCALE_SD = 0.05    # lognormal sd of each cell's per-mark mean scaling


@dataclasses.dataclass(frozen=True)
class Fitted:
  """Per-(bin, mark) marginals [T, M] and per-mark copula parameters [M]."""
  zero_share: np.ndarray
  nonzero_mean: np.ndarray     # mean of (count - 1) over nonzero counts
  size: np.ndarray             # negative binomial size of (count - 1)
  gene_share: np.ndarray       # rho: correlation of far-apart bins' normal scores
  ar: np.ndarray               # AR(1) coefficient of the bin-level part


def _normal_scores(x: np.ndarray) -> np.ndarray:
  """Per column of x [G, ...], Phi^-1 of the mid-rank (ties averaged)."""
  ranks = stats.rankdata(x, axis=0)
  return special.ndtri((ranks - 0.5) / len(x))


def fit(marks: np.ndarray) -> Fitted:
  """Fits the marginals and copula parameters to counts [G, T, M]."""
  zero = (marks == 0).mean(0)
  shifted = np.where(marks > 0, marks - 1, np.nan)
  mean = np.nan_to_num(np.nanmean(shifted, 0), nan=0.0)
  var = np.nan_to_num(np.nanvar(shifted, 0), nan=0.0)
  size = np.where(var > mean * 1.001, mean ** 2 / np.maximum(var - mean, 1e-9), 1e3)
  scores = _normal_scores(marks)                                       # [G, T, M]
  scores = (scores - scores.mean(0)) / np.maximum(scores.std(0), 1e-9)

  def corr(lag):
    return np.mean((scores[:, lag:] * scores[:, :-lag]).mean(0), axis=0)  # [M]
  rho = np.clip(np.mean([corr(lag) for lag in range(30, 61, 10)], axis=0), 0.0, 0.95)
  ar = np.clip((corr(1) - rho) / np.maximum(1 - rho, 1e-9), 0.0, 0.99)
  return Fitted(zero, mean, np.clip(size, 0.05, 1e3), rho, ar)


def bundled_fit() -> Fitted:
  """`fit` on every split of both bundled cells."""
  marks = np.concatenate([histone_sources.load_bundled_split(cell, split).marks
                          for cell in histone_sources.BUNDLED_CELLS
                          for split in histone_sources.SPLITS])
  return fit(marks)


def _latent(fitted: Fitted, shared: np.ndarray, rng: np.random.Generator) -> np.ndarray:
  """Copula latent values [G, T, M] (standard normal marginals)."""
  genes = len(shared)
  u = np.sqrt(GENE_SHARING) * shared + np.sqrt(1 - GENE_SHARING) * rng.standard_normal(shared.shape)
  v = np.empty((genes, NUM_BINS, len(MARKS)))
  v[:, 0] = rng.standard_normal((genes, len(MARKS)))
  innovation = np.sqrt(1 - fitted.ar ** 2)
  for t in range(1, NUM_BINS):
    v[:, t] = fitted.ar * v[:, t - 1] + innovation * rng.standard_normal((genes, len(MARKS)))
  return np.sqrt(fitted.gene_share) * u[:, None] + np.sqrt(1 - fitted.gene_share) * v


def _labels(latent: np.ndarray, rng: np.random.Generator) -> np.ndarray:
  def window(mark, start, stop):
    return latent[:, start:stop, mark].mean(1)
  promoter_k4, promoter_k27 = window(K4ME3, 45, 55), window(K27, 40, 60)
  score = (1.2 * promoter_k4 + 0.8 * window(K36, 55, 100) - 0.8 * promoter_k27
           - 0.4 * window(K9, 0, NUM_BINS) + 0.5 * window(K4ME1, 30, 45)
           - 1.0 * ((promoter_k4 > 0.5) & (promoter_k27 > 0.5))
           + rng.normal(0, 0.8, len(latent)))
  return (score > np.median(score)).astype(np.int64)


def draw_cell(fitted: Fitted, shared: np.ndarray, cell_index: int,
              seed: int) -> tuple[np.ndarray, np.ndarray]:
  """(counts int [G, T, M], labels [G]) of one synthetic cell; shared: gene factors [G, M]."""
  rng = np.random.default_rng((seed, cell_index))
  latent = _latent(fitted, shared, rng)
  labels = _labels(latent, rng)
  scale = np.exp(rng.normal(0, CELL_SCALE_SD, len(MARKS)))
  p = special.ndtr(latent)
  zero = fitted.zero_share[None]
  mean = fitted.nonzero_mean[None] * scale
  size = fitted.size[None]
  above = np.clip((p - zero) / np.maximum(1 - zero, 1e-9), 1e-9, 1 - 1e-9)
  counts = np.zeros(latent.shape, np.int64)
  for t in range(NUM_BINS):        # the NB quantile function by a table of its CDF per column
    for m in range(len(MARKS)):
      n, q = size[0, t, m], size[0, t, m] / (size[0, t, m] + mean[0, t, m])
      top = int(stats.nbinom.ppf(1 - 1e-9, n, q)) + 2
      cdf = stats.nbinom.cdf(np.arange(top), n, q)
      counts[:, t, m] = 1 + np.minimum(np.searchsorted(cdf, above[:, t, m]), top - 1)
  counts[p < zero] = 0
  return counts, labels


def _write_split(path: pathlib.Path, gene_ids, counts: np.ndarray, labels: np.ndarray) -> None:
  genes, bins, marks = counts.shape
  names = np.repeat(np.asarray(gene_ids), bins).tolist()
  columns = [np.tile(np.arange(1, bins + 1), genes).tolist(),
             *counts.reshape(-1, marks).T.tolist(), np.repeat(labels, bins).tolist()]
  with atomic_text_file(path) as f:
    f.writelines(f"{g},{b},{m0},{m1},{m2},{m3},{m4},{label}\n"
                 for g, b, m0, m1, m2, m3, m4, label in zip(names, *columns))


def cell_names(count: int) -> list[str]:
  return [f"E{i:03d}" for i in range(1, count + 1)]


def write_archive(out: str | os.PathLike, cells: int = 56, genes_per_split: int = 6601,
                  seed: int = 0, progress: bool = True) -> dict:
  """Writes (or completes) a synthetic archive; returns {"cells", "kept", "written", "time_s"}."""
  out = pathlib.Path(out)
  if out.exists() and not out.is_dir():
    raise UserError(f"--out {out} is a file; expected a folder for the archive")
  sizes = {"train": genes_per_split, "valid": genes_per_split, "test": max(genes_per_split - 1, 1)}
  total = sum(sizes.values())
  gene_ids = [f"SYN{i:06d}" for i in range(total)]
  fitted = bundled_fit()
  shared = np.random.default_rng((seed, 10**6)).standard_normal((total, len(MARKS)))
  start = time.time()
  kept, written = [], []
  try:
    out.mkdir(parents=True, exist_ok=True)
    with atomic_text_file(out / "SYNTHETIC.md") as f:
      f.write(f"# Synthetic archive (regjax.datasets.synthetic_archive)\n\nNOT measured data: "
              f"{cells} cells x {total} genes drawn with seed {seed} from distributions fitted to "
              "the bundled REMC sample, labels from a stated rule (see the module docstring). "
              "Use it to time and size runs, never to draw biological conclusions.\n")
  except OSError as e:
    raise UserError(f"{out}: {e.strerror or e}") from None
  for index, cell in enumerate(cell_names(cells)):
    folder = out / cell / "classification"
    if all((folder / f"{s}.csv").is_file() for s in sizes):
      kept.append(cell)
      continue
    cell_start = time.time()
    counts, labels = draw_cell(fitted, shared, index, seed)
    folder.mkdir(parents=True, exist_ok=True)
    first = 0
    for split, size in sizes.items():
      rows = slice(first, first + size)
      _write_split(folder / f"{split}.csv", gene_ids[rows], counts[rows], labels[rows])
      first += size
    written.append(cell)
    if progress:
      print(f"  {cell}: {total} genes in {time.time() - cell_start:.1f} s "
            f"({index + 1}/{cells})", flush=True)
  return {"cells": cells, "kept": kept, "written": written,
          "time_s": round(time.time() - start, 1)}


def main(argv=None) -> int:
  parser = argparse.ArgumentParser(prog="python -m regjax.datasets.synthetic_archive",
                                   description=__doc__.splitlines()[0])
  parser.add_argument("--out", required=True, help="archive folder (created; finished cells kept)")
  parser.add_argument("--cells", type=int, default=56)
  parser.add_argument("--genes_per_split", type=int, default=6601)
  parser.add_argument("--seed", type=int, default=0)
  args = parser.parse_args(argv)
  if args.cells < 1 or args.cells > 999 or args.genes_per_split < 2:
    print("error: --cells must be 1-999 and --genes_per_split at least 2", file=sys.stderr)
    return 2
  try:
    summary = write_archive(args.out, args.cells, args.genes_per_split, args.seed)
  except UserError as e:
    print(f"error: {e}", file=sys.stderr)
    return 2
  print(f"SYNTHETIC archive {args.out}: {len(summary['written'])} cells written, "
        f"{len(summary['kept'])} kept, {summary['time_s']} s")
  return 0


if __name__ == "__main__":
  sys.exit(main())
