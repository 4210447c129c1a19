"""Command line of `python -m regjax.prepare {histone,sequences}` (`--help` for the options)."""

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


def _parser() -> argparse.ArgumentParser:
  parser = argparse.ArgumentParser(prog="python -m regjax.prepare", description=__doc__)
  commands = parser.add_subparsers(dest="command", required=True)

  h = commands.add_parser("histone", help="histone tracks + genes -> DeepChrome-layout CSVs")
  h.add_argument("--tracks", type=_tracks, required=True,
                 help="NAME=FILE,... bigWig (.bw/.bigwig) or BAM (.bam), one per mark, in column "
                      "order")
  h.add_argument("--genes", required=True, help="GTF/GFF3, BED of TSSs or BED of windows")
  h.add_argument("--out", required=True, help="archive folder; writes OUT/CELL/...")
  h.add_argument("--cell", required=True, help="the cell's name (a folder name)")
  labels = h.add_mutually_exclusive_group()
  labels.add_argument("--expression", help="gene, value: on = above the file's median")
  labels.add_argument("--labels", help="gene, 0/1")
  h.add_argument("--split", default="random",
                 help="random (seeded thirds), chromosomes, none, or a gene -> split TSV")
  h.add_argument("--split_seed", type=int, default=0)
  h.add_argument("--valid_chroms", type=_chroms, default=())
  h.add_argument("--test_chroms", type=_chroms, default=())
  h.add_argument("--window", type=int, default=5000, help="half-width around the TSS (bp)")
  h.add_argument("--bin_size", type=int, default=100)
  h.add_argument("--strand_aware", action="store_true",
                 help="flip minus-strand genes (default: genomic order, as the originals)")
  h.add_argument("--tss_from", choices=("gene", "transcript"), default="gene")
  h.add_argument("--reads_from_coverage", type=float, default=None, metavar="READ_LENGTH",
                 help="bigWig: divide summed per-base coverage by this read length")
  h.add_argument("--min_mapq", type=int, default=0, help="BAM: minimum mapping quality")
  h.add_argument("--keep_duplicates", action="store_true", help="BAM: count duplicate reads")

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
