"""Command line: `python -m regjax.main --config=configs/<experiment>.py --workdir=DIR [--mode=...]`.

Modes: train (default; resumes an interrupted run in the same workdir), evaluate (re-evaluates the
best checkpoint of a workdir), interpret (every interpretation method that applies, written to
WORKDIR/interpret/ with an index.md), predict (scores --input=FILE with the trained model and writes
a TSV to --output or WORKDIR/predictions/). Any config field can be overridden:
--config.train.num_epochs=5.
A mistake on the command line or in the input data ends with one `error: ...` line and exit code 2.
"""

from __future__ import annotations

import os
import sys

import jax
from absl import app, flags, logging
from ml_collections import config_flags

from regjax import cpu_split, parallel, predict, runner
from regjax.errors import UserError
from regjax.interpret import report

FLAGS = flags.FLAGS
config_flags.DEFINE_config_file("config", None, "Experiment config file (configs/*.py[:args]).",
                                lock_config=True)
flags.DEFINE_string("workdir", None, "Folder for checkpoints, metrics and results.")
flags.DEFINE_enum("mode", "train", ["train", "evaluate", "interpret", "predict"],
                  "What to do with the workdir.")
flags.DEFINE_string("input", None, "--mode=predict: the file(s) to score (comma-separated pair "
                    "for DeepDiff).")
flags.DEFINE_string("output", None, "--mode=predict: the TSV to write.")
flags.DEFINE_bool("distributed", False, "Join a multi-process run (jax.distributed.initialize); the "
                  "three flags below, or SLURM / Cloud TPU / MPI environment variables, describe it.")
flags.DEFINE_string("coordinator_address", None, "host:port of process 0.")
flags.DEFINE_integer("num_processes", None, "Number of processes.")
flags.DEFINE_integer("process_id", None, "This process's index (0 writes metrics and results).")

# What loading a config file or applying an override raises for a user's mistake.
_CONFIG_ERRORS = (flags.Error, KeyError, AttributeError, OSError, ValueError, TypeError)


def _fail(message: str) -> None:
  print(f"error: {message}", file=sys.stderr)
  sys.exit(2)


def _describe(error: Exception) -> str:
  """The user-facing part of a config error (ml_collections nests them and embeds tracebacks)."""
  while error.args and isinstance(error.args[0], Exception):
    error = error.args[0]
  text = str(error.args[0] if isinstance(error, KeyError) and error.args else error)
  if "Traceback" in text:  # an exception raised inside get_config(): keep its last line
    prefix = text.split(":")[0]
    text = f"{prefix}: {text.strip().splitlines()[-1]}"
  return " ".join(text.split())


def parse_flags(argv: list[str]) -> list[str]:
  """absl flag parsing, with a one-line error for a bad flag or config override."""
  try:
    return FLAGS(argv)
  except _CONFIG_ERRORS as e:
    _fail(f"bad command line: {_describe(e)}")


def main(argv: list[str]) -> None:
  if len(argv) > 1:
    _fail(f"unexpected arguments: {' '.join(argv[1:])}")
  try:
    config = FLAGS.config
    if config is not None:
      config.to_dict()  # a config file given without overrides is only loaded on first access
  except _CONFIG_ERRORS as e:
    _fail(f"cannot load --config: {_describe(e)}")
  if config is None:
    _fail("--config is required, e.g. --config=configs/deepchrome.py")
  if not FLAGS.workdir:
    _fail("--workdir is required: the folder for checkpoints and results")
  if FLAGS.mode != "train" and not os.path.isdir(FLAGS.workdir):
    _fail(f"--workdir {FLAGS.workdir} does not exist; train into it first")
  if FLAGS.mode == "predict" and not FLAGS.input:
    _fail("--mode=predict needs --input=FILE (histone CSV, DeepBind TSV or FASTA)")
  logging.set_verbosity(logging.WARNING)
  if FLAGS.mode == "train":   # before any JAX operation (cpu_split)
    cpu_split.request_devices(config, distributed=FLAGS.distributed)
  if FLAGS.distributed:
    parallel.initialize_distributed(FLAGS.coordinator_address, FLAGS.num_processes,
                                    FLAGS.process_id)
    if jax.process_index() != 0:
      sys.stdout = open(os.devnull, "w")  # process 0 reports; the others only compute
  try:
    if FLAGS.mode == "predict":
      predict.predict_file(FLAGS.workdir, FLAGS.input, FLAGS.output)
    elif FLAGS.mode == "interpret":
      report.interpret_workdir(config, FLAGS.workdir)
    else:
      runner.run(FLAGS.mode, config, FLAGS.workdir)
  except UserError as e:
    _fail(str(e))


def run() -> None:
  app.run(main, flags_parser=parse_flags)


if __name__ == "__main__":
  run()
