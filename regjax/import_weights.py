"""`python -m regjax.import_weights attentivechrome FILE.pt --output=DIR`: a published model -> a
regjax model directory (`regjax.model_dir`), read without torch (`regjax.pretrained`).

The published AttentiveChrome models (QData/AttentiveChrome; served by Kipoi, one per REMC cell)
take raw read counts of 100 bins x 5 marks in DeepChrome order and give P(on) through a sigmoid.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys

from regjax.datasets import histone_csv
from regjax.errors import UserError


def import_attentivechrome(weights: str, output: str, cell: str = "") -> str:
  """Converts an AttentiveChrome state_dict file into a model directory; returns its path."""
  from regjax import model_dir
  from regjax.pretrained import attentivechrome, torch_legacy
  state = torch_legacy.load_state_dict(weights)
  params, fields = attentivechrome.convert_state_dict(state, weights)
  with open(weights, "rb") as f:
    md5 = hashlib.md5(f.read()).hexdigest()
  model = {"name": "attentivechrome", "input_transform": "none", "init_scale": 0.1, **fields}
  provenance = {"source": "QData/AttentiveChrome (published PyTorch weights, legacy format)",
                "weights_file": os.path.basename(weights), "weights_md5": md5}
  if cell:
    provenance["cell"] = cell
  path = model_dir.write_model_dir(
      output, model, params, {"name": "classification"},
      {"keys": ["marks"], "mark_names": list(histone_csv.DEEPCHROME_MARKS), "num_bins": 100},
      {"0": "off", "1": "on", "score": "P(on): expression above the cell's median"}, provenance)
  return str(path)


def main(argv: list[str] | None = None) -> int:
  parser = argparse.ArgumentParser(prog="python -m regjax.import_weights", description=__doc__)
  parser.add_argument("family", choices=["attentivechrome"])
  parser.add_argument("weights", help="the PyTorch state_dict file (legacy torch.save format)")
  parser.add_argument("--output", required=True, help="the model directory to write (new)")
  parser.add_argument("--cell", default="", help="the cell the model was trained on (provenance)")
  args = parser.parse_args(argv)
  try:
    path = import_attentivechrome(args.weights, args.output, args.cell)
  except UserError as e:
    print(f"error: {e}", file=sys.stderr)
    return 2
  print(f"Wrote {path}")
  return 0


if __name__ == "__main__":
  sys.exit(main())
