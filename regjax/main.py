"""Command line: `python -m regjax.main --config=configs/<experiment>.py --workdir=DIR [--mode=...]`.

Modes: train (default; resumes an interrupted run in the same workdir), evaluate (re-evaluates the
best checkpoint of a workdir). Any config field can be overridden: --config.train.num_epochs=5.
"""

from __future__ import annotations

import os
import sys

from absl import app, flags, logging
from ml_collections import config_flags

from regjax import train
from regjax.errors import UserError

FLAGS = flags.FLAGS
config_flags.DEFINE_config_file("config", None, "Experiment config file (configs/*.py).",
                                lock_config=True)
flags.DEFINE_string("workdir", None, "Folder for checkpoints, metrics and results.")
flags.DEFINE_enum("mode", "train", ["train", "evaluate"], "What to do with the workdir.")

MODES = {
    "train": train.train_and_evaluate,
    "evaluate": train.evaluate_workdir,
}


def main(argv: list[str]) -> int:
  if len(argv) > 1:
    raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
  if FLAGS.config is None:
    raise app.UsageError("--config is required, e.g. --config=configs/deepchrome.py")
  if not FLAGS.workdir:
    raise app.UsageError("--workdir is required: the folder for checkpoints and results")
  if FLAGS.mode == "evaluate" and not os.path.isdir(FLAGS.workdir):
    raise app.UsageError(f"--workdir {FLAGS.workdir} does not exist; train into it first")
  logging.set_verbosity(logging.WARNING)
  try:
    MODES[FLAGS.mode](FLAGS.config, FLAGS.workdir)
  except UserError as e:
    print(f"error: {e}", file=sys.stderr)
    return 2
  return 0


def run() -> None:
  app.run(main)


if __name__ == "__main__":
  run()
