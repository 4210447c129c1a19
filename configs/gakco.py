r"""GaKCo / gkm-SVM: an SVM on the gapped k-mer string kernel (g = 10, k = 6), for TF binding.

The same data as the DeepMotif configs (bundled DeepBind REST / CTCFL: `_AC` peaks plus shuffled
negatives for training, `_B` for test, 10 % of training for validation); C is picked on validation.
Training uses at most 3,000 sequences (class-balanced, seeded): the exact kernel grows with the
square of that number (--config.model.max_train=0 uses all 11,530, 100 times the kernel work of
1,153 sequences, which take about 19 s end to end on two cores).

  python -m regjax.main --config=configs/gakco.py --workdir=runs/gakco_REST
  python -m regjax.main --config=configs/gakco.py --workdir=runs/gakco_CTCFL --config.data.tf=CTCFL

Every training sequence, approximately (Nystroem features from 1,000 landmarks, a linear SVM):

  python -m regjax.main --config=configs/gakco.py:nystroem --workdir=runs/gakco_REST_all

lsgkm's inputs (one FASTA of positives, one of negatives; any alphabet), then new sequences scored
(`--output=FILE.txt`: gkmpredict's `id<TAB>score` lines; a .tsv gets regjax's columns):

  python -m regjax.main --config=configs/gakco.py:lsgkm --workdir=runs/gkm_mine \
      --config.data.positives=pos.fa --config.data.negatives=neg.fa [--config.model.alphabet=protein]
  python -m regjax.main --config=configs/gakco.py:lsgkm --mode=predict --workdir=runs/gkm_mine \
      --input=new.fa --output=scores.txt
"""

import ml_collections

from regjax import configlib


def get_config(arg: str | None = None):
  args = configlib.parse_args(arg, {"runlocal", "nystroem", "lsgkm"})
  config = configlib.experiment("classification", configlib.dna_data("REST"),
                                {"name": "gakco", "g": 10, "k": 6, "max_train": 3000,
                                 "C": (0.1, 1.0, 10.0), "approximation": "exact",
                                 "landmarks": 1000, "nystroem_max_train": 0, "alphabet": "dna"})
  if "nystroem" in args:
    config.model.approximation = "nystroem"
  if "lsgkm" in args:
    config.data = ml_collections.ConfigDict(
        {"name": "lsgkm", "positives": "", "negatives": "", "test_positives": "",
         "test_negatives": "", "valid_fraction": 0.1, "test_fraction": 0.1})
  if "runlocal" in args:
    config.data.name = "simulated_motifs"
    config.data.num_train, config.data.num_valid, config.data.num_test = 400, 100, 100
    config.model.g, config.model.k = 8, 4
  return config
