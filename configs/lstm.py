r"""LSTM baseline of the AttentiveChrome paper: one BiLSTM (32 per direction) over bins, the 5 marks
as features, one logit.

Trained like AttentiveChrome: raw counts, U(-0.1, 0.1) init, Adam lr 2e-4, batch 16, gradient-norm
clip 1, 30 epochs.

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
             "input_transform": "none"},
      train=configlib.training(optimizer="adam", learning_rate=2e-4, batch_size=16,
                               num_epochs=30, grad_clip_norm=1.0))
  return configlib.apply_common_args(config, args)
