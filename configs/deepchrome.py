r"""DeepChrome: CNN classifying genes as expressed (on) or not from 5 histone marks in 100 bins.

Default (ours): Adam lr 1e-3, batch 16, log(count + 1) inputs, 30 epochs, best epoch by validation
AUROC. Trains on the bundled REMC sample of E123 (K562) in about half a minute on 2 CPU cores:

  python -m regjax.main --config=configs/deepchrome.py --workdir=runs/deepchrome_E123
  python -m regjax.main --config=configs/deepchrome.py --workdir=runs/deepchrome_E003 \
      --config.data.cell=E003

Config args (after a colon):
  faithful  the published setup: SGD lr 1e-3 (Torch7 learning-rate decay 1e-7), batch 1, raw read
            counts, 99 epochs (QData/DeepChrome doall.lua / 4_train.lua);
  runlocal  a 3-epoch smoke run.
A cell of the 56-cell archive: --config.data.archive_dir=DIR --config.data.cell=E004.
"""

import ml_collections


def get_config(arg: str | None = None) -> ml_collections.ConfigDict:
  args = set(filter(None, (arg or "").split(",")))
  unknown = args - {"faithful", "runlocal"}
  if unknown:
    raise ValueError(f"unknown config arg(s) {sorted(unknown)}; expected faithful, runlocal")
  config = ml_collections.ConfigDict()
  config.seed = 0
  config.task = "classification"

  config.data = ml_collections.ConfigDict()
  config.data.name = "histone_bins"
  config.data.cell = "E123"        # bundled: E123 (K562) or E003 (H1); any E### with archive_dir
  config.data.archive_dir = ""     # folder with E###/classification/{train,valid,test}.csv
  config.data.data_dir = ""        # TFDS cache; default $REGJAX_DATA_DIR or ~/.cache/regjax

  config.model = ml_collections.ConfigDict()
  config.model.name = "deepchrome"
  config.model.num_filters = 50
  config.model.kernel_size = 10
  config.model.pool_size = 5
  config.model.hidden_sizes = (625, 125)
  config.model.dropout_rate = 0.5
  config.model.num_outputs = 2     # softmax over off/on, as published
  config.model.input_transform = "log1p"

  config.train = ml_collections.ConfigDict()
  config.train.optimizer = "adam"
  config.train.learning_rate = 1e-3
  config.train.learning_rate_decay = 0.0
  config.train.momentum = 0.0
  config.train.weight_decay = 0.0
  config.train.grad_clip_norm = 0.0
  config.train.grad_clip_value = 0.0
  config.train.batch_size = 16
  config.train.eval_batch_size = 256
  config.train.num_epochs = 30

  if "faithful" in args:
    config.model.input_transform = "none"
    config.train.optimizer = "sgd"
    config.train.learning_rate = 1e-3
    config.train.learning_rate_decay = 1e-7
    config.train.batch_size = 1
    config.train.num_epochs = 99
  if "runlocal" in args:
    config.train.num_epochs = 3
  return config
