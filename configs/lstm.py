r"""LSTM baseline of the AttentiveChrome paper: one BiLSTM over bins, the 5 marks as features.

Trained like AttentiveChrome (U(-0.1, 0.1) init, Adam lr 2e-4, batch 16, clip 1, 30 epochs).

  python -m regjax.main --config=configs/lstm.py --workdir=runs/lstm_E123
Args: runlocal (2 epochs).
"""

from regjax import configlib


def get_config(arg: str | None = None):
  args = configlib.parse_args(arg, {"runlocal"})
  config = configlib.experiment(
      task="classification",
      data=configlib.histone_data(),
      model={"name": "lstm", "hidden_size": 32, "num_outputs": 1, "init_scale": 0.1,
             "input_transform": "none", "unroll": 1, "remat": False},
      train=configlib.attentivechrome_training())
  # One cheap step (~3,000 genes/s on one core): splitting it over two cores costs more than it
  # saves (0.73x at batch 16; regjax/cpu_split.py).
  config.train.cpu_devices = 1
  if "runlocal" in args:
    config.train.num_epochs = 2
  return config
