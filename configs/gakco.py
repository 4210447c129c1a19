r"""GaKCo / gkm-SVM: an SVM on the gapped k-mer string kernel (g = 10, k = 6), for TF binding.

The same data as the DeepMotif configs (bundled DeepBind REST / CTCFL: `_AC` peaks plus shuffled
negatives for training, `_B` for test, 10 % of training for validation); C is picked on validation.
Training uses at most 3,000 sequences (class-balanced, seeded): the exact kernel grows with the
square of that number (--config.model.max_train=0 uses all of them, hours on two cores).

  python -m regjax.main --config=configs/gakco.py --workdir=runs/gakco_REST
  python -m regjax.main --config=configs/gakco.py --workdir=runs/gakco_CTCFL --config.data.tf=CTCFL
"""

from regjax import configlib


def get_config(arg: str | None = None):
  args = configlib.parse_args(arg, {"runlocal"})
  config = configlib.experiment("classification", configlib.dna_data("REST"),
                                {"name": "gakco", "g": 10, "k": 6, "max_train": 3000,
                                 "C": (0.1, 1.0, 10.0)})
  if "runlocal" in args:
    config.data.name = "simulated_motifs"
    config.data.num_train, config.data.num_valid, config.data.num_test = 400, 100, 100
    config.model.g, config.model.k = 8, 4
  return config
