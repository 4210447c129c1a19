"""Several (config, cell) runs at once on one machine: each the ordinary `regjax.main` command in
its own process, pinned to its share of the CPU cores.

On a CPU machine one small model does not keep every core busy (DeepChrome's train step is a few
milliseconds of small matrix products, and XLA's thread pool spends much of it waiting), so `jobs`
processes, each on `cores / jobs` cores of its own, finish a table sooner than one run at a time:
on 2 cores two DeepChrome runs at once take 1.4-1.5x less time than one after the other
(benchmarks/README.md, "The papers' scale"). On a GPU machine keep one job (the runs would share
the device) or train the cells as one program (`--config.data.cells=...`).

The runs share JAX's persistent compilation cache (`job_environment`): every run of a table
compiles the same few dozen executables, which the first run of each config compiles and the
others read back (DeepChrome: about 5 s of a 70 s run on one core).

A run's output is appended to `log_folder/<config>_<cell>.log` after a line with the time and
its command (an earlier attempt's log is kept above it). A run that fails does not stop the
others; `run_all` returns the tasks that failed, and the caller names them with their logs.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import time

from regjax import slurm
from regjax.errors import UserError


def cpu_groups(jobs: int, cpus: list[int] | None = None) -> list[list[int]]:
  """The usable CPUs split into `jobs` disjoint groups, as even as possible (a UserError when
  there are fewer CPUs than jobs)."""
  cpus = sorted(os.sched_getaffinity(0)) if cpus is None else sorted(cpus)
  if jobs < 1:
    raise UserError(f"--jobs must be at least 1, got {jobs}")
  if jobs > len(cpus):
    raise UserError(f"--jobs={jobs} needs at least {jobs} CPU cores; this process may use "
                    f"{len(cpus)} ({', '.join(map(str, cpus))})")
  size, extra = divmod(len(cpus), jobs)
  groups, start = [], 0
  for i in range(jobs):
    end = start + size + (i < extra)
    groups.append(cpus[start:end])
    start = end
  return groups


@dataclasses.dataclass
class _Running:
  task: slurm.Task
  process: subprocess.Popen
  group: int
  log: str
  log_file: object
  start: float


def spawn_pinned(args: list[str], cpus, **popen_options) -> subprocess.Popen:
  """`subprocess.Popen(args)` whose process may run on `cpus` only (None: unchanged). The calling
  thread's affinity is set for the spawn and restored: a child inherits it, and no Python code
  runs between fork and exec (a `preexec_fn` would, in a process whose JAX threads may hold
  locks)."""
  if cpus is None:
    return subprocess.Popen(args, **popen_options)
  previous = os.sched_getaffinity(0)
  os.sched_setaffinity(0, cpus)
  try:
    return subprocess.Popen(args, **popen_options)
  finally:
    os.sched_setaffinity(0, previous)


def job_environment(cache_dir: str | None, environ=None) -> dict[str, str]:
  """The environment of a run: `environ` (default os.environ) with JAX's persistent compilation
  cache in `cache_dir`, holding every executable however quick its compilation, unless `environ`
  already names a cache folder (or `cache_dir` is None).

  JAX keys each entry by the computation, the JAX version and the machine, so runs on other
  hardware sharing the folder compile their own entries rather than reuse these.
  """
  environ = dict(os.environ if environ is None else environ)
  if cache_dir and not environ.get("JAX_COMPILATION_CACHE_DIR"):
    environ.update({"JAX_COMPILATION_CACHE_DIR": cache_dir,
                    "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0",
                    "JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES": "0"})
  return environ


def log_path(folder: str, task: slurm.Task) -> str:
  name = os.path.basename(os.path.dirname(task.workdir.rstrip("/")))
  return os.path.join(folder, f"{name}_{task.cell}.log")


def run_all(tasks: list[slurm.Task], jobs: int, log_folder: str, on_done=None,
            python: str | None = None,
            cache_dir: str | None = None) -> list[tuple[slurm.Task, str]]:
  """Runs `tasks` (`regjax.main` commands), at most `jobs` at once, each pinned to its own CPU
  group, sharing the compilation cache `cache_dir` (None: none unless the environment names one);
  `on_done(task, returncode, seconds, done, total)` after each. Returns [(task, log path)] of the
  runs that failed."""
  groups = cpu_groups(jobs)
  environment = job_environment(cache_dir)
  python = python or sys.executable
  try:
    os.makedirs(log_folder, exist_ok=True)
  except OSError as e:
    raise UserError(f"cannot create the log folder {log_folder}: {e.strerror}") from e
  pending, running, failed, done = list(tasks), [], [], 0
  free = list(range(len(groups)))
  try:
    while pending or running:
      while pending and free:
        task, group = pending.pop(0), free.pop(0)
        log = log_path(log_folder, task)
        log_file = open(log, "a")  # a rerun adds to the log of an earlier attempt
        log_file.write(f"=== {time.strftime('%Y-%m-%d %H:%M:%S')} {task.command(python)}\n")
        log_file.flush()
        process = spawn_pinned(task.argv(python), groups[group], stdout=log_file,
                               stderr=subprocess.STDOUT, env=environment)
        running.append(_Running(task, process, group, log, log_file, time.time()))
      time.sleep(0.2)
      for run in [r for r in running if r.process.poll() is not None]:
        running.remove(run)
        run.log_file.close()
        free.append(run.group)
        done += 1
        if run.process.returncode != 0:
          failed.append((run.task, run.log))
        if on_done is not None:
          on_done(run.task, run.process.returncode, time.time() - run.start, done, len(tasks))
  finally:
    for run in running:  # interrupted: stop the children, whose runs resume next time
      run.process.terminate()
      run.process.wait()
      run.log_file.close()
  return failed
