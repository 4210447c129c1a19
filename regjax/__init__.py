"""regjax: interpretable deep learning on gene-regulation data in JAX/Flax.

Re-implements DeepChrome, AttentiveChrome, DeepDiff and DeepMotif (QData) with their baselines and
interpretation methods. Entry point: `python -m regjax.main --config=configs/deepchrome.py --workdir=DIR`.
"""

__version__ = "0.2.0"
