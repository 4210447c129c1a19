"""JEEK in blocks of matrix entries, within a stated memory budget, for many contexts and large p.

`jeek.jeek` holds every K x p x p array at once (backward maps, weights, task-specific parts): at
K = 91 and p = 5,000 that is tens of GB. Here the work is split the way the estimator allows:

1. Backward maps, one context at a time (the correlation, its backward map made in place, and its
   upper triangle: 2.5 p x p float64 arrays, counted as three), each
   reduced to its strictly-upper-triangle entries (row-major, E = p(p - 1)/2 values) and kept in an
   `EntryStore`: in memory when K x E values fit in the budget, otherwise in a scratch file read
   back block by block (plain reads, so the page cache does not count against the process).
2. The exact per-entry solver (`jeek.solve_uniform_entries`: numpy's selection on the CPU, a
   jit-compiled sort on an accelerator) on blocks of entries [K, E_b] whose size follows from the
   budget; every block has the same shape (the last one padded), so it compiles once.
3. Only the non-zero entries are kept (`SparseNetworks`); an optional `EdgeWriter` appends each
   block's edges to the per-context edge lists as they are found.

The results equal `jeek.jeek` (uniform weights) entry for entry: the same backward maps and the same
solver, applied to the same values in another order (`tests/test_jeek_blockwise.py`).

Optional pooling (`pool=True`; not part of JEEK): before the entry solve, each backward map is
pulled towards the contexts' mean on the partial-correlation scale,

    z_i = B_i / sqrt(diag_i diag_i^T),   B_i <- B_i + a (mean_j z_j - z_i) sqrt(diag_i diag_i^T),

by the fraction of the maps' energy that the contexts share,

    a = mean_{i<j} <z_i, z_j> / mean_i <z_i, z_i>   (clipped to [0, 1]),

a method-of-moments figure: the noise of two contexts is independent, so the cross products
estimate the shared signal only, while the squares hold signal, specific parts and noise. Contexts
that share nothing give a = 0, JEEK itself. On the simulator it lifts edge F1 with 3 contexts at
every p tried and lowers it with 91 (`docs/fidelity.md`); it is a heuristic, not an optimum: it
does not separate the specific parts from the noise. Cost: two more vectors of E values (`plan`
counts them).
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from collections.abc import Callable, Iterable, Sequence

import numpy as np

from regjax.errors import ConfigError
from regjax.graphs import jeek

GIB = 1024**3
# Float64 values per matrix entry while one block is solved: b (K), the 2K + 2 breakpoints
# (partitioned in place), then x (K) and its sign: about 3K + 3, counted as 6K + 8 for numpy's
# temporaries. A reserve is left for the process itself (Python, numpy, JAX: about 0.3 GiB): a
# quarter of the budget, at most RESERVE_BYTES.
_SOLVER_VALUES_PER_CONTEXT = 6
RESERVE_BYTES = 0.5 * GIB


def upper_offsets(p: int) -> np.ndarray:
  """int64 [p + 1]: where row r's entries (r, r+1..p-1) start in the row-major upper triangle."""
  r = np.arange(p + 1, dtype=np.int64)
  return r * (p - 1) - r * (r - 1) // 2


def entry_positions(index: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
  """(rows, cols) of upper-triangle entries given by their row-major index."""
  rows = np.searchsorted(offsets, index, side="right") - 1
  return rows, index - offsets[rows] + rows + 1


def upper_entries(matrix: np.ndarray, offsets: np.ndarray, dtype=np.float64) -> np.ndarray:
  """The strictly-upper-triangle entries [E] of a [p, p] matrix, row-major (no p x p index arrays)."""
  p = len(matrix)
  out = np.empty(int(offsets[-1]), dtype)
  for r in range(p - 1):
    out[offsets[r]:offsets[r + 1]] = matrix[r, r + 1:]
  return out


class EntryStore:
  """K vectors of E values, written one context at a time, read as blocks [K, e1 - e0].

  In memory when K * E values fit in `memory_bytes`; otherwise in a scratch file under
  `scratch_dir`, deleted by `close()`.
  """

  def __init__(self, num_contexts: int, num_entries: int, memory_bytes: float,
               scratch_dir: str | None = None, dtype=np.float64):
    self.num_contexts, self.num_entries = num_contexts, num_entries
    self.pooling: Pooling | None = None          # set by backward_map_store(pool=True)
    self.dtype = np.dtype(dtype)
    self.nbytes = num_contexts * num_entries * self.dtype.itemsize
    self.in_memory = self.nbytes <= memory_bytes
    self._written = 0
    if self.in_memory:
      self._array = np.empty((num_contexts, num_entries), self.dtype)
      self.path = None
    else:
      directory = scratch_dir or tempfile.gettempdir()
      try:
        handle, self.path = tempfile.mkstemp(prefix="jeek-backward-maps-", suffix=".bin",
                                             dir=directory)
      except OSError as error:
        raise OSError(f"{directory}: cannot create the JEEK scratch file ({error.strerror})") from None
      self._fd = handle

  def append(self, values: np.ndarray) -> None:
    """Stores the next context's E values."""
    values = np.ascontiguousarray(values, self.dtype)
    if self.in_memory:
      self._array[self._written] = values
    else:
      try:
        os.pwrite(self._fd, values.tobytes(), self._written * self.num_entries * self.dtype.itemsize)
      except OSError as error:
        raise OSError(f"{self.path}: cannot write the JEEK scratch file ({error.strerror})") from None
    self._written += 1

  def block(self, start: int, stop: int, out: np.ndarray | None = None) -> np.ndarray:
    """Values [K, stop - start] of entries start..stop-1 of every context (into `out`'s first
    stop - start columns when given)."""
    if out is None:
      out = np.empty((self.num_contexts, stop - start), self.dtype)
    if self.in_memory:
      out[:, :stop - start] = self._array[:, start:stop]
      return out
    size = self.dtype.itemsize
    for k in range(self.num_contexts):
      raw = os.pread(self._fd, (stop - start) * size, (k * self.num_entries + start) * size)
      out[k, :stop - start] = np.frombuffer(raw, self.dtype)
    return out

  def close(self) -> None:
    if not self.in_memory and self.path is not None:
      os.close(self._fd)
      os.remove(self.path)
      self.path = None


@dataclasses.dataclass
class SparseNetworks:
  """K networks as sparse upper-triangle entries (row < col).

  diagonal: float64 [K, p], Omega_i's diagonal (B_i's, unpenalised).
  shared: (rows, cols, values) of the shared part S's non-zero entries.
  networks: per context (rows, cols, values) of Omega_i = X_i + S's non-zero off-diagonal entries.
  pooled_fraction: the a the backward maps were pooled by (0: JEEK itself).
  """

  num_variables: int
  diagonal: np.ndarray
  shared: tuple[np.ndarray, np.ndarray, np.ndarray]
  networks: list[tuple[np.ndarray, np.ndarray, np.ndarray]]
  pooled_fraction: float = 0.0

  def num_edges(self, context: int) -> int:
    return len(self.networks[context][0])

  def dense(self, context: int) -> np.ndarray:
    """Omega_i as a dense [p, p] array (for small p and tests)."""
    out = np.zeros((self.num_variables, self.num_variables))
    rows, cols, values = self.networks[context]
    out[rows, cols] = values
    out[cols, rows] = values
    out[np.diag_indices(self.num_variables)] = self.diagonal[context]
    return out

  def is_shared(self, context: int) -> np.ndarray:
    """bool [edges of context i]: which of its edges are in the shared part."""
    p = self.num_variables
    rows, cols, _ = self.networks[context]
    return np.isin(rows.astype(np.int64) * p + cols,
                   self.shared[0].astype(np.int64) * p + self.shared[1])

  def adjacency(self, context: int | None = None) -> np.ndarray:
    """Boolean [p, p] edges of context i (None: the shared edges)."""
    rows, cols, _ = self.shared if context is None else self.networks[context]
    out = np.zeros((self.num_variables, self.num_variables), bool)
    out[rows, cols] = True
    out[cols, rows] = True
    return out


class EdgeWriter:
  """Per-context edge lists `edges_<context>.tsv` (`source target weight kind`), appended per block.

  Each file is written as `<name>.partial` and renamed when complete, so a killed run leaves no
  edge list that looks finished; an existing edge list is refused, never overwritten.
  """

  def __init__(self, directory: str, contexts: Sequence[str], names: Sequence[str]):
    self.names = np.asarray(names, dtype=object)
    self.paths = [os.path.join(directory, f"edges_{c}.tsv") for c in contexts]
    for path in self.paths:
      if os.path.exists(path):
        raise ConfigError(f"{path} already exists (a finished JEEK run); choose another workdir")
    self.files = []
    for path in self.paths:
      try:
        f = open(path + ".partial", "w")
      except OSError as error:
        raise OSError(f"{path}.partial: cannot write ({error.strerror})") from None
      f.write("source\ttarget\tweight\tkind\n")
      self.files.append(f)

  def write(self, context: int, rows, cols, values, shared: np.ndarray) -> None:
    kinds = np.where(shared, "shared", "specific")
    self.files[context].writelines(
        f"{a}\t{b}\t{w:.6g}\t{kind}\n"
        for a, b, w, kind in zip(self.names[rows], self.names[cols], values, kinds))

  def close(self) -> None:
    for f, path in zip(self.files, self.paths):
      f.close()
      os.replace(path + ".partial", path)


@dataclasses.dataclass(frozen=True)
class Plan:
  """How the budget is spent: where the backward maps live and how many entries a block holds."""

  memory_budget_bytes: float
  backward_map_bytes: float    # one context's working set (three p x p float64 arrays)
  store_in_memory: bool
  store_bytes: float
  block_entries: int
  num_blocks: int

  def describe(self) -> str:
    where = "in memory" if self.store_in_memory else "in a scratch file"
    return (f"budget {self.memory_budget_bytes / GIB:.2f} GiB: backward maps "
            f"{self.store_bytes / GIB:.2f} GiB {where}, one map's working set "
            f"{self.backward_map_bytes / GIB:.2f} GiB, {self.num_blocks} blocks of "
            f"{self.block_entries:,} entries")


def plan(num_contexts: int, p: int, memory_budget_gb: float, pool: bool = False) -> Plan:
  """Splits `memory_budget_gb` between the backward-map store and the solver's blocks.

  With `pool`, two more vectors of E float64 are set aside: the running sum of the scaled maps
  (kept as their mean through the solve) and one context's scaled copy while the maps are made.
  """
  budget = memory_budget_gb * GIB
  reserve = min(RESERVE_BYTES, budget / 4)
  entries = p * (p - 1) // 2
  working = 3.0 * p * p * 8      # correlation + backward map + its upper triangle (2.5), rounded up
  pooling = 2.0 * entries * 8 if pool else 0.0
  if working + pooling + reserve > budget:
    raise ConfigError(f"p = {p} needs {(working + pooling + reserve) / GIB:.2f} GiB for one "
                      f"backward map (three p x p float64 arrays{', the pooled mean' if pool else ''} "
                      f"and {reserve / GIB:.2f} GiB for the process); "
                      f"raise the memory budget above {memory_budget_gb} GiB")
  store_bytes = num_contexts * entries * 8.0
  in_memory = store_bytes <= budget / 2
  left = max(budget - reserve - pooling - (store_bytes if in_memory else 0.0), 0.0) / 2  # half: edges
  per_entry = 8.0 * (_SOLVER_VALUES_PER_CONTEXT * num_contexts + 8)
  block = int(min(max(left / per_entry, 128), max(entries, 1)))
  if block < entries:
    block = max(128, block // 128 * 128)
  return Plan(budget, working, in_memory, store_bytes, block, -(-entries // block))


@dataclasses.dataclass(frozen=True)
class Pooling:
  """Backward maps pulled towards their mean (see the module docstring).

  fraction: a in [0, 1]. mean_scaled: float64 [E], mean_j z_j on the partial-correlation scale.
  """

  fraction: float
  mean_scaled: np.ndarray

  def apply(self, b: np.ndarray, start: int, diagonals: np.ndarray, offsets: np.ndarray) -> None:
    """Pools block b [K, >= e] of entries start..start+e-1 in place (e = what is left of E)."""
    count = min(b.shape[1], len(self.mean_scaled) - start)
    if self.fraction == 0.0 or count <= 0:
      return
    rows, cols = entry_positions(np.arange(start, start + count), offsets)
    mean = self.mean_scaled[start:start + count]
    for i in range(len(b)):
      scale = np.sqrt(diagonals[i, rows] * diagonals[i, cols])
      b[i, :count] += self.fraction * (mean * scale - b[i, :count])


def _scaled_entries(values: np.ndarray, diagonal: np.ndarray, offsets: np.ndarray) -> np.ndarray:
  """Upper-triangle entries [E] divided by sqrt(diagonal_r diagonal_c): partial-correlation scale."""
  inverse_root = 1.0 / np.sqrt(diagonal)
  out = np.empty_like(values)
  for r in range(len(diagonal) - 1):
    part = slice(offsets[r], offsets[r + 1])
    out[part] = values[part] * (inverse_root[r] * inverse_root[r + 1:])
  return out


def backward_map_store(contexts: Iterable[np.ndarray], p: int, v: float, memory_plan: Plan,
                       scratch_dir: str | None = None,
                       progress: Callable[[int], None] | None = None,
                       pool: bool = False) -> tuple[EntryStore, np.ndarray]:
  """Backward maps of correlation matrices given one at a time ([p, p] each, e.g. a generator).

  Returns the store of their upper-triangle entries and the diagonals [K, p]. `progress(i)` is
  called after context i. With `pool`, `store.pooling` holds the `Pooling` that `solve_store`
  applies (the stored entries stay JEEK's own).
  """
  contexts = list(contexts) if not isinstance(contexts, Sequence) else contexts
  offsets = upper_offsets(p)
  store = EntryStore(len(contexts), int(offsets[-1]),
                     memory_plan.store_bytes if memory_plan.store_in_memory else 0.0, scratch_dir)
  diagonals = []
  scaled_sum, scaled_squares = (np.zeros(store.num_entries), 0.0) if pool else (None, 0.0)
  try:
    for i, correlation in enumerate(contexts):
      correlation = correlation() if callable(correlation) else correlation
      backward = jeek.backward_map(correlation, v)
      del correlation
      diagonals.append(np.diag(backward).copy())
      entries = upper_entries(backward, offsets)
      del backward
      store.append(entries)
      if pool:
        scaled = _scaled_entries(entries, diagonals[-1], offsets)
        scaled_sum += scaled
        scaled_squares += float(scaled @ scaled)
        del scaled
      del entries
      if progress is not None:
        progress(i)
  except BaseException:
    store.close()
    raise
  if pool:
    k = len(contexts)
    cross = float(scaled_sum @ scaled_sum) - scaled_squares       # sum over i != j of <z_i, z_j>
    fraction = cross / ((k - 1) * scaled_squares) if k > 1 and scaled_squares > 0 else 0.0
    store.pooling = Pooling(float(np.clip(fraction, 0.0, 1.0)), scaled_sum / k)
  return store, np.stack(diagonals)


def solve_store(store: EntryStore, diagonals: np.ndarray, lams: Sequence[float], memory_plan: Plan,
                writer: EdgeWriter | None = None,
                progress: Callable[[int, int], None] | None = None,
                max_edges: int | None = None) -> list[SparseNetworks | None]:
  """The per-entry JEEK solution of every stored entry, for each lambda; sparse results.

  `writer` (one lambda only) receives each block's edges as they are found. A lambda whose
  networks pass `max_edges` edges in some context is given up (None in its place), so that a
  grid's densest corner cannot fill the memory with K x p^2 / 2 edges. When `store.pooling` is
  set, each block is pooled before it is solved.
  """
  if writer is not None and len(lams) != 1:
    raise ValueError("an EdgeWriter takes the edges of one lambda")
  k, entries = store.num_contexts, store.num_entries
  p = diagonals.shape[1]
  offsets = upper_offsets(p)
  block = memory_plan.block_entries
  b = np.zeros((k, block))
  found_shared = [[] for _ in lams]
  found = [[[] for _ in range(k)] for _ in lams]
  for number, start in enumerate(range(0, entries, block)):
    stop = min(start + block, entries)
    b[:, stop - start:] = 0.0                             # the last block's padding
    store.block(start, stop, out=b)
    if store.pooling is not None:
      store.pooling.apply(b, start, diagonals, offsets)
    for j, lam in enumerate(lams):
      if found[j] is None:
        continue
      x, s = jeek.solve_uniform_entries(b, lam)
      s = s[:stop - start]
      shared_here = np.flatnonzero(np.abs(s) > 1e-10)
      rows, cols = entry_positions(start + shared_here, offsets)
      found_shared[j].append((rows, cols, s[shared_here]))
      for i in range(k):
        omega = x[i, :stop - start] + s
        here = np.flatnonzero(np.abs(omega) > 1e-10)
        rows, cols = entry_positions(start + here, offsets)
        found[j][i].append((rows.astype(np.int32), cols.astype(np.int32), omega[here]))
        if writer is not None:
          writer.write(i, rows, cols, omega[here], np.abs(s[here]) > 1e-10)
      del x
      if max_edges is not None and max(sum(len(part[0]) for part in f) for f in found[j]) > max_edges:
        found[j] = found_shared[j] = None
    if progress is not None:
      progress(number + 1, memory_plan.num_blocks)

  def joined(parts):
    return tuple(np.concatenate([part[n] for part in parts]) if parts else np.empty(0)
                 for n in range(3))

  fraction = 0.0 if store.pooling is None else store.pooling.fraction
  return [None if found[j] is None else
          SparseNetworks(p, diagonals, joined(found_shared[j]), [joined(f) for f in found[j]],
                         fraction)
          for j in range(len(lams))]


def jeek_blockwise(correlations: Iterable, lam: float, v: float, memory_budget_gb: float = 4.0,
                   scratch_dir: str | None = None, writer: EdgeWriter | None = None,
                   progress: Callable[[str, int, int], None] | None = None,
                   pool: bool = False,
                   choose_lam: Callable[[EntryStore, np.ndarray, Plan], float] | None = None
                   ) -> SparseNetworks:
  """JEEK on K correlation matrices given one at a time, within `memory_budget_gb`.

  Args:
    correlations: K arrays [p, p], or callables returning one (so that only one exists at a time).
    lam, v: as in `jeek.jeek` (uniform knowledge weights).
    memory_budget_gb: the budget the plan is made for (`plan`); p x p working arrays of one
      context plus the store (or a scratch file) plus one block.
    scratch_dir: where the backward maps go when they do not fit (default: the system's temp dir).
    writer: optional EdgeWriter receiving the edges block by block.
    progress: optional callable(stage, done, total), stage "backward maps" or "entries".
    pool: pull the backward maps towards their mean first (module docstring; not JEEK itself).
    choose_lam: optional callable(store, diagonals, plan) -> lambda, called once the backward maps
      of all K contexts are made, in place of `lam` (`selection.refine_lambda`).
  """
  correlations = list(correlations)
  first = correlations[0]() if callable(correlations[0]) else correlations[0]
  p = len(first)
  correlations[0] = first
  memory_plan = plan(len(correlations), p, memory_budget_gb, pool)
  report = (lambda i: progress("backward maps", i + 1, len(correlations))) if progress else None
  store, diagonals = backward_map_store(correlations, p, v, memory_plan, scratch_dir, report, pool)
  del first, correlations
  try:
    if choose_lam is not None:
      lam = choose_lam(store, diagonals, memory_plan)
    blocks = (lambda done, total: progress("entries", done, total)) if progress else None
    (result,) = solve_store(store, diagonals, [lam], memory_plan, writer, blocks)
  finally:
    store.close()
  return result


def diffee_sparse(correlation_1: np.ndarray, correlation_2: np.ndarray, lam: float,
                  v: float = 0.05) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
  """DIFFEE's non-zero upper-triangle entries (rows, cols, values): two backward maps, no p x p output."""
  p = len(correlation_1)
  offsets = upper_offsets(p)
  difference = upper_entries(jeek.backward_map(correlation_1, v), offsets)
  difference -= upper_entries(jeek.backward_map(correlation_2, v), offsets)
  difference = jeek.soft_threshold(difference, lam)
  here = np.flatnonzero(difference)
  rows, cols = entry_positions(here, offsets)
  return rows, cols, difference[here]
