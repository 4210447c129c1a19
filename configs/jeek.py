r"""JEEK: K related sparse gene networks (precision matrices) estimated jointly, one per context.

Simulated by default (p = 100 variables, K = 3 contexts, n = 200 samples each; shared + specific
edges), compared with GraphicalLasso per context at matched sparsity:

  python -m regjax.main --config=configs/jeek.py --workdir=runs/jeek
Your own data (rows samples, columns the same variables in every file, optional header row):

  python -m regjax.main --config=configs/jeek.py --workdir=runs/jeek_mine \
      --config.data.name=csv --config.data.paths=liver.csv,lung.csv,heart.csv
lambda and v are chosen from the data (neighbourhood eBIC over a grid, `regjax/graphs/selection.py`;
`--config.model.lambda_rule=rule_of_thumb` for 0.8 and 0.65 x sqrt(log p / n)); set
--config.model.lam and --config.model.v to fix them. The fit stays within model.memory_budget_gb
(GiB; backward maps spill to a scratch file in the workdir beyond half of it). With more contexts
than model.select_contexts, v comes from that subset and lambda is chosen again from the solve of
all contexts (model.refine_lambda; docs/fidelity.md).
--config.model.pool_backward_maps=true pulls the contexts' backward maps towards their mean by the
share of their energy the contexts have in common (not part of published JEEK; higher edge F1 on
the simulator with 3 contexts at every p tried, none when they share nothing, lower with 91:
docs/fidelity.md).
"""

from regjax import configlib


def get_config(arg: str | None = None):
  configlib.parse_args(arg, ())
  config = configlib.experiment(
      "graphs",
      {"name": "simulated_networks", "num_variables": 100, "num_contexts": 3, "num_samples": 200,
       "paths": ""},
      {"name": "jeek", "lam": 0.0, "v": 0.0, "lambda_rule": "ebic", "ebic_gamma": 0.25,
       "select_contexts": 8, "refine_lambda": True, "memory_budget_gb": 4.0,
       "pool_backward_maps": False,
       "compare_glasso": True,
       "glasso_max_variables": 500})
  return config
