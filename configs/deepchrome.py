r"""DeepChrome: CNN classifying genes as expressed (on) or not from 5 histone marks in 100 bins.

Architecture as published (QData/DeepChrome): 50 convolution filters of width 10, max-pool 5,
dropout 0.5, hidden layers 625 and 125, 2 softmax outputs. Training (ours): Adam lr 1e-3, batch 16,
log(count + 1) inputs, 30 epochs, best epoch by validation AUROC. About 15 s on 2 CPU cores:

  python -m regjax.main --config=configs/deepchrome.py --workdir=runs/deepchrome_E123
  python -m regjax.main --config=configs/deepchrome.py --workdir=runs/deepchrome_E003 \
      --config.data.cell=E003

Config args (after a colon):
  faithful  the published setup: SGD lr 1e-3 (Torch7 learning-rate decay 1e-7), batch 1, raw read
            counts, 99 epochs (QData/DeepChrome doall.lua / 4_train.lua);
  runlocal  a 3-epoch smoke run; interpret_fast  a quick --mode=interpret.
A cell of the 56-cell archive: --config.data.archive_dir=DIR --config.data.cell=E004.
"""

from regjax import configlib


def get_config(arg: str | None = None):
  args = configlib.parse_args(arg, {"faithful", "runlocal", "interpret_fast"})
  config = configlib.experiment(
      task="classification",
      data=configlib.histone_data(),
      model={"name": "deepchrome", "num_filters": 50, "kernel_size": 10, "pool_size": 5,
             "hidden_sizes": (625, 125), "dropout_rate": 0.5, "num_outputs": 2,
             "input_transform": "log1p"},
      train=configlib.training(optimizer="adam", learning_rate=1e-3, batch_size=16,
                               num_epochs=30))
  if "faithful" in args:
    config.model.input_transform = "none"
    config.train.optimizer = "sgd"
    config.train.learning_rate_decay = 1e-7
    config.train.batch_size = 1
    config.train.num_epochs = 99
  return configlib.apply_common_args(config, args, runlocal_epochs=3)
