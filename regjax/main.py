"""Command line: `python -m regjax.main --config=configs/<experiment>.py --workdir=DIR [--mode=...]`.

Modes: train (default; resumes an interrupted run in the same workdir), evaluate (re-evaluates the
best checkpoint of a workdir), interpret (every interpretation method that applies, written to
WORKDIR/interpret/ with an index.md; with --input=FILE on that file's examples), predict (scores
--input=FILE with the trained model and writes a TSV to --output, or to a new file under
WORKDIR/predict/), variants (a DNA model's scores of the two alleles of every variant of --vcf with
--genome, or of --ref_fasta/--alt_fasta pairs), export (the best checkpoint as a model directory,
--output=DIR). predict, interpret and variants also take --model=DIR (a model directory or
pretrained:NAME) instead of --config and --workdir. Any config field can be overridden:
--config.train.num_epochs=5 (`regjax.config_loader`).
A mistake on the command line, in the input data or an OS failure (a full disk, a path under a
file) ends with one `error: ...` line and exit code 2.
"""

from __future__ import annotations

import os
import sys

import jax
from absl import app, flags, logging

from regjax import config_loader, export, parallel, predict, runner, variants
from regjax.errors import UserError
from regjax.interpret import report

FLAGS = flags.FLAGS
flags.DEFINE_string("config", None, "Experiment config file (configs/*.py[:args]); override any "
                    "field with --config.section.field=value.")
flags.DEFINE_string("workdir", None, "Folder for checkpoints, metrics and results.")
flags.DEFINE_enum("mode", "train", ["train", "evaluate", "interpret", "predict", "variants",
                                    "export"], "What to do with the workdir.")
flags.DEFINE_string("model", None, "--mode=predict/interpret/variants: a model directory (or "
                    "pretrained:NAME) instead of a workdir; no --workdir needed (--config only "
                    "for its interpret settings). --mode=predict also takes lsgkm's "
                    "PREFIX.model.txt (FASTA in, gkmpredict's scores out).")
flags.DEFINE_string("input", None, "--mode=predict/interpret: the file(s) to score or explain "
                    "(comma-separated pair for DeepDiff).")
flags.DEFINE_string("output", None, "--mode=predict/variants: the TSV to write (must not exist); "
                    "--mode=export: the model directory to write (NAME.model.txt, lsgkm's model "
                    "file, for a gkm-SVM workdir); --mode=interpret --model: the "
                    "report folder to write.")
flags.DEFINE_string("vcf", None, "--mode=variants: the VCF of variants to score (with --genome).")
flags.DEFINE_string("genome", None, "--mode=variants: the genome FASTA the VCF refers to.")
flags.DEFINE_string("ref_fasta", None, "--mode=variants: reference alleles as FASTA records ...")
flags.DEFINE_string("alt_fasta", None, "... and the alternative alleles under the same ids.")
flags.DEFINE_bool("both_strands", False, "--mode=variants: average each allele's log-odds over "
                  "both strands.")
flags.DEFINE_bool("distributed", False, "Join a multi-process run (jax.distributed.initialize); the "
                  "three flags below, or SLURM / Cloud TPU / MPI environment variables, describe it.")
flags.DEFINE_string("coordinator_address", None, "host:port of process 0.")
flags.DEFINE_integer("num_processes", None, "Number of processes.")
flags.DEFINE_integer("process_id", None, "This process's index (0 writes metrics and results).")

_overrides: list[str] = []   # the --config.a.b=v arguments, in order (parse_flags)


def _fail(message: str) -> None:
  print(f"error: {message}", file=sys.stderr)
  sys.exit(2)


def split_overrides(argv: list[str]) -> tuple[list[str], list[str]]:
  """(argv without them, ["a.b=v", ...]) for the `--config.a.b=v` / `--config.a.b v` arguments."""
  rest, overrides = [], []
  args = iter(argv)
  for arg in args:
    if arg.startswith("--config."):
      field = arg[len("--config."):]
      if "=" not in field:
        value = next(args, None)
        if value is None:
          _fail(f"bad command line: {arg} needs a value ({arg}=VALUE)")
        field = f"{field}={value}"
      overrides.append(field)
    else:
      rest.append(arg)
  return rest, overrides


def parse_flags(argv: list[str]) -> list[str]:
  """absl flag parsing (the config overrides set aside), with a one-line error for a bad flag."""
  rest, overrides = split_overrides(argv)
  _overrides[:] = overrides
  try:
    return FLAGS(rest)
  except flags.Error as e:
    _fail(f"bad command line: {e}")


def _run(config) -> None:
  if FLAGS.mode == "predict":
    predict.predict_file(FLAGS.workdir, FLAGS.input, FLAGS.output, FLAGS.model)
  elif FLAGS.mode == "export":
    export.export_workdir(FLAGS.workdir, FLAGS.output)
  elif FLAGS.mode == "variants":
    variants.score_variants(FLAGS.workdir, FLAGS.output, FLAGS.vcf, FLAGS.genome,
                            FLAGS.ref_fasta, FLAGS.alt_fasta, FLAGS.both_strands)
  elif FLAGS.mode == "interpret":
    report.interpret_workdir(config, FLAGS.workdir, FLAGS.input)
  else:
    runner.run(FLAGS.mode, config, FLAGS.workdir)


def main(argv: list[str]) -> None:
  if len(argv) > 1:
    _fail(f"unexpected arguments: {' '.join(argv[1:])}")
  logging.set_verbosity(logging.WARNING)
  if FLAGS.model:
    if FLAGS.mode not in ("predict", "interpret", "variants"):
      _fail("--model=DIR is for --mode=predict, --mode=interpret and --mode=variants")
    if FLAGS.mode in ("predict", "interpret") and not FLAGS.input:
      _fail(f"--mode={FLAGS.mode} --model=... needs --input=FILE (the examples)")
    if FLAGS.mode == "interpret" and not FLAGS.output:
      _fail("--mode=interpret --model=... needs --output=FOLDER (a new folder for the report)")
    try:
      if FLAGS.mode == "predict":
        predict.predict_file(None, FLAGS.input, FLAGS.output, FLAGS.model)
      elif FLAGS.mode == "interpret":
        config = config_loader.load_config(FLAGS.config, _overrides) if FLAGS.config else None
        report.interpret_model_dir(config, FLAGS.model, FLAGS.input, FLAGS.output)
      else:
        variants.score_variants(None, FLAGS.output, FLAGS.vcf, FLAGS.genome, FLAGS.ref_fasta,
                                FLAGS.alt_fasta, FLAGS.both_strands, FLAGS.model)
    except UserError as e:
      _fail(str(e))
    except OSError as e:
      _fail(f"{e.filename or FLAGS.output}: {e.strerror or e}")
    return
  if FLAGS.mode == "export" and not FLAGS.output:
    _fail("--mode=export needs --output=DIR (a new folder for the model directory; "
          "NAME.model.txt for a gkm-SVM workdir)")
  if not FLAGS.config:
    _fail("--config is required, e.g. --config=configs/deepchrome.py")
  try:
    config = config_loader.load_config(FLAGS.config, _overrides)
  except UserError as e:
    _fail(f"cannot load --config: {e}")
  if not FLAGS.workdir:
    _fail("--workdir is required: the folder for checkpoints and results")
  if FLAGS.mode != "train" and not os.path.isdir(FLAGS.workdir):
    _fail(f"--workdir {FLAGS.workdir} does not exist; train into it first")
  if FLAGS.mode == "predict" and not FLAGS.input:
    _fail("--mode=predict needs --input=FILE (histone CSV, DeepBind TSV or FASTA)")
  if FLAGS.distributed:
    parallel.initialize_distributed(FLAGS.coordinator_address, FLAGS.num_processes,
                                    FLAGS.process_id)
    if jax.process_index() != 0:
      sys.stdout = open(os.devnull, "w")  # process 0 reports; the others only compute
  try:
    _run(config)
  except UserError as e:
    _fail(str(e))
  except OSError as e:   # a failure no module turned into a UserError: still one line
    _fail(f"{e.filename or FLAGS.workdir}: {e.strerror or e}")


def run() -> None:
  app.run(main, flags_parser=parse_flags)


if __name__ == "__main__":
  run()
