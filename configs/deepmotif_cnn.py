r"""DeepMotif CNN: three convolutions (128 filters of widths 9, 5, 3) and a global max.

TF binding on real ENCODE ChIP-seq peaks (DeepBind's data): trained on the `_AC` peaks plus one
dinucleotide-shuffled negative per peak (10 % carved out for validation first), tested on the
`_B` set. Published training (QData/DeepMotif main.lua): Adam lr 1e-2 halved every 10 epochs,
element-wise gradient clamp +/-5, batch 256, 50 epochs; we add the validation split, select the
epoch with the best validation AUROC (the original picked the best *training* AUROC) and stop after
15 epochs without improvement.

  python -m regjax.main --config=configs/deepmotif_cnn.py --workdir=runs/deepmotif_cnn_REST
  python -m regjax.main --config=configs/deepmotif_cnn.py --workdir=runs/deepmotif_cnn_CTCFL \
      --config.data.tf=CTCFL
  python -m regjax.main --config=configs/deepmotif_cnn.py --workdir=runs/deepmotif_cnn_sim \
      --config.data.name=simulated_motifs
  python -m regjax.main --config=configs/deepmotif_cnn.py --workdir=runs/my_tf \
      --config.data.train_path=peaks_train.fa --config.data.test_path=test.seq.gz
Args: runlocal (2 epochs of batch 64 on a 2,000-sequence simulation).
"""

from regjax import configlib


def get_config(arg: str | None = None):
  args = configlib.parse_args(arg, {"runlocal", "interpret_fast"})
  config = configlib.experiment(
      task="classification",
      data=configlib.dna_data("REST"),
      model={"name": "deepmotif_cnn", "num_filters": 128, "kernel_sizes": (9, 5, 3), "pool_size": 2,
             "dropout_rate": 0.5, "num_outputs": 2},
      train=configlib.deepmotif_training())
  if "runlocal" in args:
    config.data.name = "simulated_motifs"
    config.data.num_train, config.data.num_valid, config.data.num_test = 2000, 300, 300
    config.train.num_epochs = 2
    config.train.batch_size = 64
  if "interpret_fast" in args:
    config.interpret = configlib.interpret_fast()
  return config
