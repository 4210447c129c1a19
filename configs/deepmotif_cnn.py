r"""DeepMotif CNN: three convolutions (128 filters of widths 9, 5, 3) and a global max.

Training as published (QData/DeepMotif): Adam lr 1e-2 halved every 10 epochs, gradients clamped to
+/-5, batch 256, 50 epochs; ours: stop after 15 epochs without a better validation AUROC. Data:
real ENCODE ChIP-seq peaks of DeepBind (bundled REST by default), trained on the `_AC` peaks plus
one dinucleotide-shuffled negative per peak (10 % carved out for validation first), tested on `_B`.

  python -m regjax.main --config=configs/deepmotif_cnn.py --workdir=runs/deepmotif_cnn_REST
Other data: --config.data.tf=CTCFL, --config.data.name=simulated_motifs (a planted CTCF motif), or
your own files: --config.data.train_path=peaks.fa --config.data.test_path=test.seq.gz.
Args: runlocal (2 epochs of batch 64 on a 2,000-sequence simulation), interpret_fast.
"""

from regjax import configlib


def get_config(arg: str | None = None):
  args = configlib.parse_args(arg, {"runlocal", "interpret_fast"})
  config = configlib.experiment(
      task="classification",
      data=configlib.dna_data("REST"),
      model={"name": "deepmotif_cnn", "num_filters": 128, "kernel_sizes": (9, 5, 3), "pool_size": 2,
             "dropout_rate": 0.5, "num_outputs": 2},
      train=configlib.training(optimizer="adam", learning_rate=1e-2, batch_size=256,
                               num_epochs=50, lr_halving_epochs=10, grad_clip_value=5.0,
                               patience=15, eval_batch_size=512))
  return configlib.apply_common_args(config, args)
