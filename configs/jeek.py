r"""JEEK: K related sparse gene networks (precision matrices) estimated jointly, one per context.

Simulated by default (p = 100 variables, K = 3 contexts, n = 200 samples each; shared + specific
edges), compared with GraphicalLasso per context at matched sparsity:

  python -m regjax.main --config=configs/jeek.py --workdir=runs/jeek
Your own data (rows samples, columns the same variables in every file, optional header row):

  python -m regjax.main --config=configs/jeek.py --workdir=runs/jeek_mine \
      --config.data.name=csv --config.data.paths=liver.csv,lung.csv,heart.csv
lambda and v default to 0.8 and 0.65 x sqrt(log p / n); set --config.model.lam / --config.model.v.
"""

from regjax import configlib


def get_config(arg: str | None = None):
  configlib.parse_args(arg, ())
  config = configlib.experiment(
      "graphs",
      {"name": "simulated_networks", "num_variables": 100, "num_contexts": 3, "num_samples": 200,
       "paths": ""},
      {"name": "jeek", "lam": 0.0, "v": 0.0, "compare_glasso": True, "glasso_max_variables": 500})
  return config
