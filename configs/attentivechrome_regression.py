r"""AttentiveChrome regression variant: predict log(expression + 1) with MSE; metric Pearson r.

Architecture and training as configs/attentivechrome.py (BiLSTMs 32 per mark and 16 over marks,
U(-0.1, 0.1) init, raw counts, Adam lr 2e-4, batch 16, clip 1, 30 epochs); the single output is the
prediction. Needs expression values: bundled REMC sample (E123, E003).

  python -m regjax.main --config=configs/attentivechrome_regression.py --workdir=runs/ac_reg_E123
Args: runlocal (2 epochs).
"""

from regjax import configlib


def get_config(arg: str | None = None):
  args = configlib.parse_args(arg, {"runlocal", "interpret_fast"})
  config = configlib.experiment(
      task="regression",
      data=configlib.histone_data(),
      model={"name": "attentivechrome", "bin_hidden_size": 32, "mark_hidden_size": 16,
             "num_outputs": 1, "init_scale": 0.1, "input_transform": "none"},
      train=configlib.training(optimizer="adam", learning_rate=2e-4, batch_size=16,
                               num_epochs=30, grad_clip_norm=1.0))
  return configlib.apply_common_args(config, args)
