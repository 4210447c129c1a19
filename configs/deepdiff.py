r"""DeepDiff: predict the log2 fold change of a gene's expression between two cells from both
cells' histone marks (200 bins, TSS +/- 10 kb), in one of the seven published variants.

Published setup of QData/DeepDiffChrome: every parameter U(-0.1, 0.1), Adam, batch 10,
gradient-norm clip 1, up to 90 epochs, best epoch by validation Pearson r. Loss: MSE on lfc,
+ MSE of the per-cell log2(expr + 1) heads (aux variants), + 4.0 x contrastive loss with margin 2 on
the shared level-1 embeddings, pairs with |lfc| >= 2 "different" (siamese variants).

Our default changes three things for the bundled 200-gene training split, which gives 20 steps an
epoch where the original's 10,000 genes gave 1,000: learning rate 1e-3 instead of 1e-4 (1,800 steps
at 1e-4 leave the model far from converged), log(count + 1) inputs, and targets standardised with
training statistics (mapped back for every metric). `:faithful` restores lr 1e-4, raw counts and
raw-scale targets. Training stops early after 20 epochs without a better validation Pearson r.

  python -m regjax.main --config=configs/deepdiff.py --workdir=runs/deepdiff_raw_d
  python -m regjax.main --config=configs/deepdiff.py --workdir=runs/deepdiff_aux_siamese \
      --config.model.variant=aux_siamese
Variants: raw_d, raw_c, raw, aux, raw_aux, aux_siamese, raw_aux_siamese.
Bundled pair: A = E123 (K562), B = E003 (H1); swap with --config.data.cell_a=E003
--config.data.cell_b=E123. Your own pair: --config.data.data_root=DIR --config.data.cell_a=X
--config.data.cell_b=Y (DIR/X.train.csv, ..., DIR/X.expr.csv in the DeepDiffChrome layout).
Args: faithful (see above), runlocal (2 epochs).
"""

from regjax import configlib


def get_config(arg: str | None = None):
  args = configlib.parse_args(arg, {"faithful", "runlocal", "interpret_fast"})
  config = configlib.experiment(
      task="differential",
      data=configlib.deepdiff_data(),
      model={"name": "deepdiff", "variant": "raw_d", "bin_hidden_size": 32,
             "mark_hidden_size": 16, "diff_hidden_size": 32, "init_scale": 0.1,
             "input_transform": "log1p"},
      train=configlib.training(optimizer="adam", learning_rate=1e-3, batch_size=10,
                               num_epochs=90, grad_clip_norm=1.0, patience=20))
  config.loss = {"aux_weight": 1.0, "contrastive_weight": 4.0, "margin": 2.0, "lfc_threshold": 2.0,
                 "standardize_targets": True}
  if "faithful" in args:
    config.model.input_transform = "none"
    config.train.learning_rate = 1e-4
    config.train.patience = 0
    config.loss.standardize_targets = False
  return configlib.apply_common_args(config, args)
