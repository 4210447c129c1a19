r"""AttentiveChrome: per-mark BiLSTMs with bin-level attention, HM-level BiLSTM with HM attention.

Faithful defaults of QData/AttentiveChrome v2PyTorch: raw read counts, every parameter U(-0.1, 0.1),
Adam lr 2e-4, batch 16, gradient-norm clip 1, 30 epochs, BCE on one logit, best epoch by
validation AUROC.

  python -m regjax.main --config=configs/attentivechrome.py --workdir=runs/attchrome_E123
  python -m regjax.main --config=configs/attentivechrome.py --workdir=runs/attchrome_E003 \
      --config.data.cell=E003
Args: runlocal (2 epochs).
"""

from regjax import configlib


def get_config(arg: str | None = None):
  args = configlib.parse_args(arg, {"runlocal", "interpret_fast"})
  config = configlib.experiment(
      task="classification",
      data=configlib.histone_data(),
      model=configlib.attentivechrome_model(),
      train=configlib.attentivechrome_training())
  if "runlocal" in args:
    config.train.num_epochs = 2
  if "interpret_fast" in args:
    config.interpret = configlib.interpret_fast()
  return config
