r"""DeepMotif RNN: a BiLSTM (32 per direction) over the sequence, mean over positions.

  python -m regjax.main --config=configs/deepmotif_rnn.py --workdir=runs/deepmotif_rnn_REST
Other data: --config.data.tf=CTCFL, --config.data.name=simulated_motifs (a planted CTCF motif), or
your own files: --config.data.train_path=peaks.fa --config.data.test_path=test.seq.gz.
Training, data and args (runlocal, interpret_fast): regjax.configlib.deepmotif_experiment and
README.md ("DeepMotif").
"""

from regjax import configlib


def get_config(arg: str | None = None):
  return configlib.deepmotif_experiment(
      {"name": "deepmotif_rnn", "hidden_size": 32, "dropout_rate": 0.5, "num_outputs": 2,
       "unroll": 1, "remat": True}, arg)
