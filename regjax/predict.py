"""`--mode=predict`: apply a trained model to a file and write one row per gene or sequence.

Inputs by model family:
* histone models: a histone-bin CSV in the DeepChrome layout (`GeneID,BinID,<5 marks>[,Label]`,
  100 bins; without the Label column the genes are only scored) or the REMC layout
  (`ENSGID_SYMBOL_BIN,<5 marks>`, 200 bins, cropped to the central 100 and reordered like the
  bundled sample);
* DeepDiff: two REMC-layout files, `--input=cellA.csv,cellB.csv` (same genes);
* DeepMotif: DeepBind TSV or FASTA (any length; centre-cropped / N-padded to the model's length,
  which stderr reports with counts, and each row's `input_length` column shows).
Output TSV: `id`, `score` (P(on) / P(bound), the predicted log expression, or the predicted lfc),
`label` only when the file has labels, and `input_length` for sequences. It goes to `--output`
(which must not exist yet) or to a new file `WORKDIR/predict/<input name>[-N].tsv`: a run's own
`predictions/` are never touched.
"""

from __future__ import annotations

import gzip
import os
import sys

import numpy as np

from regjax import evaluation, input_pipeline, reporting, workdir as workdirs
from regjax.datasets import histone_csv, sequences
from regjax.errors import DataFormatError, UserError

_REMC_TO_DEEPCHROME = [histone_csv.REMC_MARKS.index(m) for m in histone_csv.DEEPCHROME_MARKS]


def _columns(path: str) -> int:
  opener = gzip.open if path.endswith(".gz") else open
  with opener(path, "rt", encoding="utf-8-sig") as f:
    for line in f:
      if line.strip():
        return len(line.split(","))
  raise DataFormatError(path, "file is empty")


def _histone_inputs(path: str, num_bins: int,
                    mark_names: tuple[str, ...]) -> tuple[dict, np.ndarray | None]:
  """The genes of a DeepChrome-layout file (the model's marks, in its order) or a REMC file."""
  columns = _columns(path)
  if mark_names != histone_csv.DEEPCHROME_MARKS or columns in (7, 8):
    layout = histone_csv.sniff_deepchrome_csv(path)
    if layout.mark_names != mark_names:
      raise DataFormatError(path, f"holds marks {','.join(layout.mark_names)}; the model was "
                            f"trained on {','.join(mark_names)} (in this order)", 1)
    table = histone_csv.read_deepchrome_csv(path, num_bins, layout.labelled, mark_names)
    return {"id": np.array(table.gene_ids), "marks": table.marks}, table.labels
  if columns != 6:
    raise DataFormatError(path, f"found {columns} comma-separated columns; expected the "
                          "DeepChrome layout GeneID,BinID,<5 marks>[,Label] (7 or 8 columns) or "
                          "the REMC layout ENSGID_SYMBOL_BIN,<5 marks> (6)", 1)
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


def _sequence_inputs(path: str, length: int) -> tuple[dict, np.ndarray | None]:
  data = sequences.read_sequences(path)
  codes = np.stack([sequences.encode(s, length) for s in data.sequences])
  lengths = np.array([len(s) for s in data.sequences])
  cropped, padded = int(np.sum(lengths > length)), int(np.sum(lengths < length))
  if cropped or padded:
    print(f"note: the model reads {length} bp: of {len(lengths)} sequences in {path}, "
          f"{cropped} were centre-cropped and {padded} N-padded to that length "
          "(input_length column)", file=sys.stderr)
  arrays = {"id": np.array(data.ids), "sequence": sequences.one_hot(codes), "codes": codes,
            "input_length": lengths}
  return arrays, data.labels if data.labelled else None


def output_path(workdir: str, input_path: str, requested: str | None,
                subfolder: str = "predict") -> str:
  """`requested` if it does not exist yet (else a UserError), or the first free
  WORKDIR/<subfolder>/<input name>[-N].tsv."""
  if requested:
    path = os.path.abspath(os.path.expanduser(requested))
    if os.path.exists(path):
      raise UserError(f"--output {path} already exists; choose another file ({subfolder} never "
                      "overwrites)")
    return path
  folder = os.path.join(os.path.abspath(workdir), subfolder)
  stem = os.path.basename(input_path).split(".")[0] or "input"
  path, n = os.path.join(folder, f"{stem}.tsv"), 1
  while os.path.exists(path):
    n += 1
    path = os.path.join(folder, f"{stem}-{n}.tsv")
  return path


def read_inputs(paths: list[str], keys: tuple[str, ...], inputs: dict) -> tuple[dict, object]:
  """(arrays, labels or None) of the input file(s) for a model whose input spec is `inputs`
  (`regjax.export.model_spec`: length, or marks and bins)."""
  if keys == ("sequence",):
    return _sequence_inputs(paths[0], inputs["length"])
  if keys == ("marks_a", "marks_b"):
    return _pair_inputs(paths)
  return _histone_inputs(paths[0], inputs["num_bins"], tuple(inputs["mark_names"]))


def input_files(input_paths: str) -> list[str]:
  """The absolute paths of a comma-separated --input, each checked to be a file."""
  paths = [os.path.abspath(os.path.expanduser(p)) for p in input_paths.split(",") if p]
  for path in paths:
    if not os.path.isfile(path):
      raise UserError(f"input file {path} not found")
  return paths


def predict_file(workdir: str | None, input_paths: str, output: str | None = None,
                 model: str | None = None) -> str:
  """Scores every example of the input file(s) with a workdir's best checkpoint, or with a model
  directory (`model`: a path or pretrained:NAME; then --output is required); returns the TSV."""
  paths = input_files(input_paths)
  from regjax.baselines import gkm_model
  if not model and gkm_model.exists(workdir):
    return predict_gkm(workdir, paths, output)
  if model and os.path.isfile(model):
    return predict_lsgkm(model, paths, output)
  if model:
    from regjax import model_dir
    if not output:
      raise UserError("--mode=predict --model=... needs --output=FILE (there is no workdir)")
    loaded = model_dir.load_model(model)
    keys = loaded.input_keys
    arrays, labels = read_inputs(paths, keys, loaded.spec["inputs"])
    scores = loaded.predict(*[arrays[k] for k in keys])
  else:
    from regjax import export
    trainer, params = evaluation.load_trained(workdir)
    keys = trainer.dataset.input_keys
    arrays, labels = read_inputs(paths, keys, export.model_spec(trainer))
    scores = trainer.predict(params, {k: arrays[k] for k in keys})
  path = output_path(workdir, paths[0], output)
  extra = {"input_length": arrays["input_length"]} if "input_length" in arrays else None
  try:
    reporting.write_predictions(path, arrays["id"], scores, labels, "label", extra)
  except OSError as e:
    raise workdirs.os_error(path, e) from None
  print(f"Scored {input_pipeline.num_examples(arrays)} examples -> {path}")
  return path


def _fasta_records(paths: list[str]) -> tuple[list[str], list[str]]:
  """(ids, sequences) of every record of the FASTA file(s), in order."""
  from regjax.baselines import lsgkm_io
  ids, texts = [], []
  for path in paths:
    file_ids, file_texts = lsgkm_io.read_fasta(path)
    ids += file_ids
    texts += file_texts
  return ids, texts


def _write_gkm_scores(path: str, ids: list[str], scores: np.ndarray) -> None:
  """`FILE.txt`: lsgkm's gkmpredict format (`id<TAB>score`, no header); any other name: regjax's
  TSV."""
  from regjax.baselines import lsgkm_io
  try:
    if path.endswith(".txt"):
      lsgkm_io.write_scores(path, ids, scores)
    else:
      reporting.write_predictions(path, ids, scores, None, "label")
  except OSError as e:
    raise workdirs.os_error(path, e) from None


def predict_gkm(workdir: str, paths: list[str], output: str | None) -> str:
  """Scores FASTA records with a workdir's gkm-SVM (`gkm_model.npz`), written as
  `_write_gkm_scores` says."""
  from regjax.baselines import gkm_model
  model = gkm_model.load(workdir)
  ids, texts = _fasta_records(paths)
  short = [i for i, text in zip(ids, texts) if len(text) < model.g and not model.fixed_length]
  if short:
    raise UserError(f"{paths[0]}: sequence {short[0]!r} is shorter than g = {model.g}; it has no "
                    "gapped k-mers to score")
  scores = model.score(texts)
  path = output_path(workdir, paths[0], output)
  _write_gkm_scores(path, ids, scores)
  print(f"Scored {len(ids)} sequences with the gkm-SVM ({model.kind}) -> {path}")
  return path


def predict_lsgkm(model_path: str, paths: list[str], output: str | None) -> str:
  """Scores FASTA records with lsgkm's model file (`gkmtrain`'s PREFIX.model.txt), as gkmpredict
  does (`regjax.baselines.lsgkm_model`)."""
  from regjax.baselines import lsgkm_model
  if not output:
    raise UserError("--mode=predict --model=MODEL.txt needs --output=FILE (.txt: gkmpredict's "
                    "format)")
  model = lsgkm_model.read(model_path)
  ids, texts = _fasta_records(paths)
  short = [i for i, text in zip(ids, texts) if len(text) < model.L]
  if short:
    raise UserError(f"{paths[0]}: sequence {short[0]!r} is shorter than the model's L = "
                    f"{model.L}; it has no l-mers to score")
  print(f"Scoring {len(ids)} sequences with {model_path} ({model.kernel_type}, L={model.L} "
        f"k={model.k} d={model.d}, {len(model.support_vectors)} support vectors)")
  import tqdm
  with tqdm.tqdm(total=len(texts), unit="seq", file=sys.stderr, mininterval=2.0,
                 disable=len(texts) < 1000) as bar:
    scores = model.score(texts, progress=lambda done, total: bar.update(done - bar.n))
  path = output_path(None, paths[0], output)
  _write_gkm_scores(path, ids, scores)
  print(f"Scored {len(ids)} sequences -> {path}")
  return path
