r"""AttentiveChrome: per-mark BiLSTMs with bin-level attention, HM-level BiLSTM with HM attention.

Faithful defaults of QData/AttentiveChrome v2PyTorch: raw read counts, bin-level BiLSTM of 32
units per direction for each mark, HM-level BiLSTM of 16, every parameter U(-0.1, 0.1), one logit
with BCE; Adam lr 2e-4, batch 16, gradient-norm clip 1, 30 epochs, best epoch by validation AUROC.

  python -m regjax.main --config=configs/attentivechrome.py --workdir=runs/attchrome_E123
  python -m regjax.main --config=configs/attentivechrome.py --workdir=runs/attchrome_E003 \
      --config.data.cell=E003
Args: runlocal (2 epochs), interpret_fast.
"""

from regjax import configlib


def get_config(arg: str | None = None):
  args = configlib.parse_args(arg, {"runlocal", "interpret_fast"})
  config = configlib.experiment(
      task="classification",
      data=configlib.histone_data(),
      model={"name": "attentivechrome", "bin_hidden_size": 32, "mark_hidden_size": 16,
             "num_outputs": 1, "init_scale": 0.1, "input_transform": "none"},
      train=configlib.training(optimizer="adam", learning_rate=2e-4, batch_size=16,
                               num_epochs=30, grad_clip_norm=1.0))
  return configlib.apply_common_args(config, args)
