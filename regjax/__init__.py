"""regjax: interpretable deep learning on gene-regulation data in JAX/Flax.

Re-implements DeepChrome, AttentiveChrome, DeepDiff and DeepMotif (QData) with their baselines and
interpretation methods. Entry point: `python -m regjax.main --config=configs/deepchrome.py --workdir=DIR`.
`regjax.load_model(DIR or "pretrained:attentivechrome_E003")` reads a model directory.
"""

__version__ = "0.2.0"


def load_model(spec):
  """A model directory (`regjax.model_dir`) as a LoadedModel with predict / apply_fn / params."""
  from regjax import model_dir  # JAX is imported only when a model is loaded
  return model_dir.load_model(spec)
