r"""DeepMotif CNN-RNN: a 'same'-padded convolution (128 x 9) feeding the BiLSTM.

  python -m regjax.main --config=configs/deepmotif_cnnrnn.py --workdir=runs/deepmotif_cnnrnn_REST
Other data: --config.data.tf=CTCFL, --config.data.name=simulated_motifs (a planted CTCF motif), or
your own files: --config.data.train_path=peaks.fa --config.data.test_path=test.seq.gz.
Training, data and args (runlocal, interpret_fast): regjax.configlib.deepmotif_experiment and
README.md ("DeepMotif").
"""

from regjax import configlib


def get_config(arg: str | None = None):
  return configlib.deepmotif_experiment(
      {"name": "deepmotif_cnnrnn", "num_filters": 128, "kernel_size": 9, "hidden_size": 32,
       "dropout_rate": 0.5, "num_outputs": 2, "unroll": 1, "remat": True}, arg)
