"""`--mode=predict`: apply a trained model to a file and write one row per gene or sequence.

Inputs by model family:
* histone models: a histone-bin CSV in the DeepChrome layout (`GeneID,BinID,<5 marks>,Label`, 100
  bins) or the REMC layout (`ENSGID_SYMBOL_BIN,<5 marks>`, 200 bins, cropped to the central 100 and
  reordered like the bundled sample);
* DeepDiff: two REMC-layout files, `--input=cellA.csv,cellB.csv` (same genes);
* DeepMotif: DeepBind TSV or FASTA (any length; centre-cropped / N-padded to the model's length).
Output TSV: `id`, `score` (P(on) / P(bound), the predicted log expression, or the predicted lfc)
and `label` when the file has labels.
"""

from __future__ import annotations

import os

import numpy as np

from regjax import evaluation, input_pipeline, reporting
from regjax.datasets import histone_csv, sequences
from regjax.errors import DataFormatError, UserError

_REMC_TO_DEEPCHROME = [histone_csv.REMC_MARKS.index(m) for m in histone_csv.DEEPCHROME_MARKS]


def _columns(path: str) -> int:
  import gzip
  opener = gzip.open if path.endswith(".gz") else open
  with opener(path, "rt") as f:
    for line in f:
      if line.strip():
        return len(line.split(","))
  raise DataFormatError(path, "file is empty")


def _histone_inputs(path: str, num_bins: int) -> tuple[dict, np.ndarray | None]:
  if _columns(path) == 8:
    table = histone_csv.read_deepchrome_csv(path, num_bins)
    return {"id": np.array(table.gene_ids), "marks": table.marks}, table.labels
  table = histone_csv.read_remc_csv(path, 200)
  start = (200 - num_bins) // 2
  marks = table.marks[:, start:start + num_bins][:, :, _REMC_TO_DEEPCHROME]
  return {"id": np.array(table.gene_ids), "marks": np.ascontiguousarray(marks)}, None


def _pair_inputs(paths: list[str]) -> tuple[dict, None]:
  if len(paths) != 2:
    raise UserError("a DeepDiff model needs two files: --input=cellA.csv,cellB.csv")
  a, b = (histone_csv.read_remc_csv(p, 200) for p in paths)
  if a.gene_ids != b.gene_ids:
    raise DataFormatError(paths[1], f"lists other genes (or another order) than {paths[0]}")
  return {"id": np.array(a.gene_ids), "marks_a": a.marks, "marks_b": b.marks}, None


def _sequence_inputs(path: str, length: int) -> tuple[dict, np.ndarray]:
  data = sequences.read_sequences(path)
  codes = np.stack([sequences.encode(s, length) for s in data.sequences])
  return {"id": np.array(data.ids), "sequence": sequences.one_hot(codes)}, data.labels


def predict_file(workdir: str, input_paths: str, output_path: str | None = None) -> str:
  """Scores every example of the input file(s) with the best checkpoint; returns the TSV path."""
  paths = [os.path.abspath(os.path.expanduser(p)) for p in input_paths.split(",") if p]
  for path in paths:
    if not os.path.isfile(path):
      raise UserError(f"input file {path} not found")
  trainer, params = evaluation.load_trained(workdir)
  train_split = trainer.dataset.splits["train"]
  keys = trainer.dataset.input_keys
  if keys == ("sequence",):
    arrays, labels = _sequence_inputs(paths[0], train_split["sequence"].shape[1])
  elif keys == ("marks_a", "marks_b"):
    arrays, labels = _pair_inputs(paths)
  else:
    arrays, labels = _histone_inputs(paths[0], train_split["marks"].shape[1])
  scores = trainer.predict(params, {k: arrays[k] for k in keys})
  output_path = output_path or os.path.join(os.path.abspath(workdir), "predictions",
                                            os.path.basename(paths[0]).split(".")[0] + ".tsv")
  reporting.write_predictions(output_path, arrays["id"], scores, labels, "label")
  print(f"Scored {input_pipeline.num_examples(arrays)} examples -> {output_path}")
  return output_path
