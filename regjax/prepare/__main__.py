"""Command line of `python -m regjax.prepare {histone,deepdiff,sequences}` (`--help` for options)."""

from __future__ import annotations

import argparse
import sys

from regjax.errors import UserError


def _tracks(text: str) -> tuple[tuple[str, str], ...]:
  pairs = []
  for item in text.split(","):
    name, sep, path = item.partition("=")
    if not sep or not name.strip() or not path.strip():
      raise argparse.ArgumentTypeError(f"expected NAME=FILE[,NAME=FILE...], found {item!r}")
    pairs.append((name.strip(), path.strip()))
  return tuple(pairs)


def _chroms(text: str) -> tuple[str, ...]:
  return tuple(c.strip() for c in text.split(",") if c.strip())


def _common_histone_options(parser, window: int) -> None:
  parser.add_argument("--genes", required=True, help="GTF/GFF3, BED of TSSs or BED of windows")
  parser.add_argument("--out", required=True, help="output folder")
  parser.add_argument("--split", default="random",
                      help="random (seeded thirds), chromosomes, none, or a gene -> split TSV")
  parser.add_argument("--split_seed", type=int, default=0)
  parser.add_argument("--valid_chroms", type=_chroms, default=())
  parser.add_argument("--test_chroms", type=_chroms, default=())
  parser.add_argument("--window", type=int, default=window, help="half-width around the TSS")
  parser.add_argument("--bin_size", type=int, default=100)
  parser.add_argument("--strand_aware", action="store_true",
                      help="flip minus-strand genes (default: genomic order, as the originals)")
  parser.add_argument("--tss_from", choices=("gene", "transcript"), default="gene")
  parser.add_argument("--reads_from_coverage", type=float, default=None, metavar="READ_LENGTH",
                      help="bigWig: divide summed per-base coverage by this read length")
  parser.add_argument("--min_mapq", type=int, default=0, help="BAM: minimum mapping quality")
  parser.add_argument("--keep_duplicates", action="store_true", help="BAM: count duplicates")


def _parser() -> argparse.ArgumentParser:
  parser = argparse.ArgumentParser(prog="python -m regjax.prepare", description=__doc__)
  commands = parser.add_subparsers(dest="command", required=True)

  h = commands.add_parser("histone", help="histone tracks + genes -> DeepChrome-layout CSVs")
  h.add_argument("--tracks", type=_tracks, required=True,
                 help="NAME=FILE,... bigWig (.bw/.bigwig) or BAM (.bam), one per mark, in column "
                      "order")
  h.add_argument("--cell", required=True, help="the cell's name (a folder name)")
  labels = h.add_mutually_exclusive_group()
  labels.add_argument("--expression", help="gene, value: on = above the file's median")
  labels.add_argument("--labels", help="gene, 0/1")
  _common_histone_options(h, window=5000)

  d = commands.add_parser("deepdiff", help="two cells' tracks + genes -> the DeepDiff layout")
  for cell in ("a", "b"):
    d.add_argument(f"--tracks_{cell}", type=_tracks, required=True,
                   help=f"cell {cell.upper()}'s NAME=FILE,... (the same marks for both cells)")
    d.add_argument(f"--expression_{cell}", required=True, help="gene, value")
    d.add_argument(f"--cell_{cell}", required=True)
  _common_histone_options(d, window=10000)

  s = commands.add_parser("sequences", help="genome FASTA + peaks -> labelled sequences")
  s.add_argument("--genome", required=True, help="FASTA (plain or bgzip), indexed on first use")
  s.add_argument("--peaks", required=True, help="BED or narrowPeak (summit in column 10)")
  s.add_argument("--out", required=True, help=".fa/.fasta (labelled FASTA) or .tsv/.seq "
                 "(DeepBind TSV), optionally .gz")
  s.add_argument("--length", type=int, default=101)
  s.add_argument("--negatives", choices=("shuffled", "genomic", "none"), default="shuffled")
  s.add_argument("--seed", type=int, default=0)
  s.add_argument("--max_n_share", type=float, default=0.1,
                 help="skip windows with a larger share of N bases")
  s.add_argument("--gc_tolerance", type=float, default=0.05,
                 help="genomic negatives: largest |GC share difference| to their positive")
  return parser


def main(argv: list[str] | None = None) -> int:
  args = _parser().parse_args(argv)
  try:
    if args.command == "histone":
      from regjax.prepare import histone
      options = {k: v for k, v in vars(args).items() if k != "command"}
      job = histone.HistoneJob(**options)
      summary = histone.prepare_histone(job)
      histone.print_summary(summary, f"{args.out}/{args.cell}")
    elif args.command == "deepdiff":
      from regjax.prepare import histone, pairs
      options = {k: v for k, v in vars(args).items() if k != "command"}
      jobs = []
      for cell in ("a", "b"):
        own = {k[:-2]: options.pop(k) for k in list(options) if k.endswith(f"_{cell}")
               and k[:-2] in ("tracks", "expression", "cell")}
        jobs.append(own)
      job_a, job_b = (histone.HistoneJob(**own, **options) for own in jobs)
      summary = pairs.prepare_deepdiff(job_a, job_b)
      print(f"{job_a.cell} vs {job_b.cell}: {summary['genes_kept']} of {summary['genes_read']} "
            f"genes, {summary['num_bins']} bins x {len(summary['marks'])} marks -> {args.out}")
      for reason, count in summary["skipped"].items():
        print(f"  skipped {count}: {reason}")
    else:
      from regjax.prepare import peaks
      options = {k: v for k, v in vars(args).items() if k != "command"}
      peaks.print_summary(peaks.prepare_sequences(peaks.SequencesJob(**options)))
  except UserError as e:
    print(f"error: {e}", file=sys.stderr)
    return 2
  return 0


if __name__ == "__main__":
  sys.exit(main())
