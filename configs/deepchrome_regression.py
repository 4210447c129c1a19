r"""DeepChrome regression variant: predict log(expression + 1) with MSE; metric Pearson r.

The DeepChrome CNN with one output (50 filters of width 10, max-pool 5, hidden 625 and 125,
dropout 0.5), Adam lr 1e-3, batch 16, log(count + 1) inputs, 30 epochs; the best epoch is picked
by validation Pearson r. Needs expression values, so it runs on the bundled REMC sample (E123,
E003), not on the label-only archive.

  python -m regjax.main --config=configs/deepchrome_regression.py --workdir=runs/dc_reg_E123
Args: runlocal (3 epochs).
"""

from regjax import configlib


def get_config(arg: str | None = None):
  args = configlib.parse_args(arg, {"runlocal", "interpret_fast"})
  config = configlib.experiment(
      task="regression",
      data=configlib.histone_data(),
      model={"name": "deepchrome", "num_filters": 50, "kernel_size": 10, "pool_size": 5,
             "hidden_sizes": (625, 125), "dropout_rate": 0.5, "num_outputs": 1,
             "input_transform": "log1p"},
      train=configlib.training(optimizer="adam", learning_rate=1e-3, batch_size=16,
                               num_epochs=30))
  return configlib.apply_common_args(config, args, runlocal_epochs=3)
