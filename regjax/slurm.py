"""One SLURM job array for a comparison: a task per (config, cell), each the ordinary command.

`write_array(tasks, folder, options)` writes `folder/tasks.tsv` (index, config, cell, workdir,
command) and `folder/array.sh`, an sbatch script with `#SBATCH --array=0-(N-1)` whose task i runs
line i of the commands (`python -m regjax.main --config=... --workdir=WORKDIR/<config>/<cell>
--config.data.cell=... [--config.data.archive_dir=...] [overrides]`), logging to
`folder/logs/<task>.out`. A task whose workdir already holds a finished run resumes or returns at
once (regjax.main's own resume), so resubmitting the array after failures redoes only what is
missing. `submit(folder)` runs `sbatch array.sh` and returns the job id. `regjax.compare --collect`
assembles the table from the workdirs once the array has run.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shlex
import shutil
import subprocess
import sys

from regjax.errors import UserError
from regjax.writing import atomic_text_file


@dataclasses.dataclass(frozen=True)
class Task:
  """One (config, cell) run: its config spec, cell, workdir and main.py arguments."""
  spec: str
  cell: str
  workdir: str
  arguments: tuple[str, ...]

  def argv(self, python: str) -> list[str]:
    """The `regjax.main` command line of this run, as a list."""
    return [python, "-m", "regjax.main", f"--config={self.spec}", f"--workdir={self.workdir}",
            *self.arguments]

  def command(self, python: str) -> str:
    return shlex.join(self.argv(python))


def write_array(tasks: list[Task], folder: str, options=(), python: str | None = None,
                job_name: str = "regjax") -> str:
  """Writes tasks.tsv and array.sh into `folder`; returns the script's path.

  options: extra `#SBATCH` options (e.g. "--partition=gpu", "--time=02:00:00", "--gres=gpu:1").
  """
  if not tasks:
    raise UserError("no (config, cell) runs to put in the job array")
  python = python or sys.executable
  os.makedirs(os.path.join(folder, "logs"), exist_ok=True)
  with atomic_text_file(os.path.join(folder, "tasks.tsv")) as f:
    f.write("index\tconfig\tcell\tworkdir\tcommand\n")
    for i, task in enumerate(tasks):
      f.write(f"{i}\t{task.spec}\t{task.cell}\t{task.workdir}\t{task.command(python)}\n")
  lines = ["#!/bin/bash", f"#SBATCH --job-name={job_name}", f"#SBATCH --array=0-{len(tasks) - 1}",
           f"#SBATCH --output={os.path.join(folder, 'logs', '%a.out')}"]
  for option in options:
    if not option.startswith("--"):
      raise UserError(f"SLURM option {option!r}: expected --name=value, e.g. --time=02:00:00")
    lines.append(f"#SBATCH {option}")
  lines += ["set -euo pipefail",
            "# one regjax.main command per task: line (task id + 1) of COMMANDS below",
            "COMMANDS=("]
  lines += [f"  {shlex.quote(task.command(python))}" for task in tasks]
  lines += [")", 'echo "task ${SLURM_ARRAY_TASK_ID}: ${COMMANDS[$SLURM_ARRAY_TASK_ID]}"',
            'eval "${COMMANDS[$SLURM_ARRAY_TASK_ID]}"', ""]
  path = os.path.join(folder, "array.sh")
  with atomic_text_file(path) as f:
    f.write("\n".join(lines))
  os.chmod(path, 0o755)
  return path


def submit(script: str) -> str:
  """`sbatch SCRIPT`; returns the job id."""
  sbatch = shutil.which("sbatch")
  if sbatch is None:
    raise UserError(f"sbatch is not on PATH: submit {script} on the cluster's login node "
                    f"(sbatch {script})")
  done = subprocess.run([sbatch, script], capture_output=True, text=True)
  if done.returncode != 0:
    raise UserError(f"sbatch {script} failed: {(done.stderr or done.stdout).strip()}")
  match = re.search(r"(\d+)", done.stdout)
  return match.group(1) if match else done.stdout.strip()
