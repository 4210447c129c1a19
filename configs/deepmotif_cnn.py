r"""DeepMotif CNN: three convolutions (128 filters of widths 9, 5, 3) and a global max.

  python -m regjax.main --config=configs/deepmotif_cnn.py --workdir=runs/deepmotif_cnn_REST
Other data: --config.data.tf=CTCFL, --config.data.name=simulated_motifs (a planted CTCF motif), or
your own files: --config.data.train_path=peaks.fa --config.data.test_path=test.seq.gz.
Training, data and args (runlocal, interpret_fast): regjax.configlib.deepmotif_experiment and
README.md ("DeepMotif").
"""

from regjax import configlib


def get_config(arg: str | None = None):
  return configlib.deepmotif_experiment(
      {"name": "deepmotif_cnn", "num_filters": 128, "kernel_sizes": (9, 5, 3), "pool_size": 2,
       "dropout_rate": 0.5, "num_outputs": 2}, arg)
