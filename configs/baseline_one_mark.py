r"""One-mark baseline: rank genes by log(1 + total H3K4me3 reads) over the 100 bins (no training).

  python -m regjax.main --config=configs/baseline_one_mark.py --workdir=runs/one_mark_E123
  python -m regjax.main --config=configs/baseline_one_mark.py --workdir=runs/one_mark_E003 \
      --config.data.cell=E003
Another mark: --config.model.mark=H3K27me3.
"""

from regjax import configlib


def get_config(arg: str | None = None):
  configlib.parse_args(arg, ())
  return configlib.experiment("classification", configlib.histone_data(),
                              {"name": "one_mark", "mark": "H3K4me3"})
