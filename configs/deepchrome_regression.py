r"""DeepChrome regression variant: predict log(expression + 1) with MSE; metric Pearson r.

The same CNN with one output; the best epoch is picked by validation Pearson r. Needs expression
values, so it runs on the bundled REMC sample (E123, E003), not on the label-only archive.

  python -m regjax.main --config=configs/deepchrome_regression.py --workdir=runs/dc_reg_E123
Args: runlocal (3 epochs).
"""

from regjax import configlib


def get_config(arg: str | None = None):
  args = configlib.parse_args(arg, {"runlocal"})
  config = configlib.experiment("regression", configlib.histone_data(),
                                configlib.deepchrome_model(num_outputs=1),
                                configlib.training("adam", 1e-3, batch_size=16, num_epochs=30))
  if "runlocal" in args:
    config.train.num_epochs = 3
  return config
