r"""AttentiveChrome regression variant: predict log(expression + 1) with MSE; metric Pearson r.

Architecture and training as configs/attentivechrome.py; the single output is the prediction.
Needs expression values: bundled REMC sample (E123, E003).

  python -m regjax.main --config=configs/attentivechrome_regression.py --workdir=runs/ac_reg_E123
Args: runlocal (2 epochs).
"""

from regjax import configlib


def get_config(arg: str | None = None):
  args = configlib.parse_args(arg, {"runlocal"})
  config = configlib.experiment("regression", configlib.histone_data(),
                                configlib.attentivechrome_model(),
                                configlib.attentivechrome_training())
  if "runlocal" in args:
    config.train.num_epochs = 2
  return config
