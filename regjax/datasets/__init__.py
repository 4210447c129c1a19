"""Data sets: TFDS builders, strict file readers and the bundled real data.

`create_dataset(config.data)` is the one entry point the trainer uses: it prepares the data set on
first use (cached as array_record under the data dir) and returns every split in memory.
"""

from __future__ import annotations

import dataclasses
import os

import numpy as np

from regjax.errors import ConfigError

DEFAULT_DATA_DIR = os.path.join("~", ".cache", "regjax", "tensorflow_datasets")


@dataclasses.dataclass(frozen=True)
class Dataset:
  """Every split of a data set, in memory.

  Attributes:
    name: data set name, e.g. "histone_bins/E123".
    splits: {"train" | "valid" | "test": {field: array with the examples on axis 0}}.
    input_keys: the fields the model takes, in call order (e.g. ("marks",)).
    id_key: the field that names an example (gene or sequence id).
    info: descriptive metadata (cell, mark names, source), saved with the results.
  """

  name: str
  splits: dict[str, dict[str, np.ndarray]]
  input_keys: tuple[str, ...]
  id_key: str
  info: dict


def data_dir(data_config) -> str:
  """The TFDS cache folder: config.data.data_dir, else $REGJAX_DATA_DIR, else ~/.cache/regjax/..."""
  folder = data_config.get("data_dir") or os.environ.get("REGJAX_DATA_DIR") or DEFAULT_DATA_DIR
  return os.path.abspath(os.path.expanduser(folder))


def create_dataset(data_config) -> Dataset:
  """Builds the data set that `data_config.name` names (histone_bins, deepdiff_pairs,
  dna_sequences or simulated_motifs)."""
  name = data_config.name
  if name == "histone_bins":
    from regjax.datasets import histone_bins  # tfds import only when needed
    archive = data_config.get("archive_dir") or None
    if archive:
      archive = os.path.abspath(os.path.expanduser(archive))
    splits = histone_bins.load(data_config.cell, data_dir(data_config), archive)
    info = {"cell": data_config.cell, "source": "archive" if archive else "bundled",
            "archive_dir": archive,
            "mark_names": list(histone_bins.mark_names(data_config.cell, archive))}
    return Dataset(f"histone_bins/{data_config.cell}", splits, ("marks",), "gene_id", info)
  if name == "deepdiff_pairs":
    from regjax.datasets import deepdiff_pairs
    root = data_config.get("data_root") or None
    if root:
      root = os.path.abspath(os.path.expanduser(root))
    splits = deepdiff_pairs.load(data_config.cell_a, data_config.cell_b, data_dir(data_config), root)
    info = {"cell_a": data_config.cell_a, "cell_b": data_config.cell_b,
            "source": "data_root" if root else "bundled", "data_root": root,
            "mark_names": list(deepdiff_pairs.mark_names(data_config.cell_a,
                                                         data_config.cell_b, root)),
            "target": "lfc = log2((expr_B + 1) / (expr_A + 1))"}
    return Dataset(f"deepdiff_pairs/{data_config.cell_a}_vs_{data_config.cell_b}", splits,
                   ("marks_a", "marks_b"), "gene_id", info)
  if name in ("dna_sequences", "simulated_motifs"):
    from regjax.datasets import dna, sequences
    load = dna.load_sequences if name == "dna_sequences" else dna.load_simulated
    splits, info = load(data_config, data_dir(data_config))
    for arrays in splits.values():
      arrays["sequence"] = sequences.one_hot(arrays["codes"])  # [N, L, 4], N -> zero row
    label = info.get("tf") or info.get("motif") or "files"
    return Dataset(f"{name}/{label}", splits, ("sequence",), "id", info)
  raise ConfigError(f"unknown data set {name!r}; expected one of: histone_bins, deepdiff_pairs, "
                    "dna_sequences, simulated_motifs")
