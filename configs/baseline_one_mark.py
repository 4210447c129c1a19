r"""One-mark baseline: rank genes by log(1 + total H3K4me3 reads) over the 100 bins (no training).

  python -m regjax.main --config=configs/baseline_one_mark.py --workdir=runs/one_mark_E123
  python -m regjax.main --config=configs/baseline_one_mark.py --workdir=runs/one_mark_E003 \
      --config.data.cell=E003
Another mark: --config.model.mark=H3K27me3.
"""

import ml_collections


def get_config(arg: str | None = None) -> ml_collections.ConfigDict:
  del arg
  config = ml_collections.ConfigDict()
  config.seed = 0
  config.task = "classification"
  config.data = ml_collections.ConfigDict()
  config.data.name = "histone_bins"
  config.data.cell = "E123"
  config.data.archive_dir = ""
  config.data.data_dir = ""
  config.model = ml_collections.ConfigDict()
  config.model.name = "one_mark"
  config.model.mark = "H3K4me3"
  return config
