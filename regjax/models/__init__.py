"""Model registry: `create_model(config.model)` builds a Flax module from its config."""

from __future__ import annotations

import flax.linen as nn

from regjax.errors import ConfigError
from regjax.models.attentivechrome import AttentiveChrome
from regjax.models.deepchrome import DeepChrome
from regjax.models.deepdiff import DeepDiff
from regjax.models.deepmotif import DeepMotifCNN, DeepMotifCNNRNN, DeepMotifRNN
from regjax.models.layers import INPUT_TRANSFORMS
from regjax.models.lstm import BinLSTM

MODELS: dict[str, type[nn.Module]] = {
    "deepchrome": DeepChrome,
    "attentivechrome": AttentiveChrome,
    "lstm": BinLSTM,
    "deepdiff": DeepDiff,
    "deepmotif_cnn": DeepMotifCNN,
    "deepmotif_rnn": DeepMotifRNN,
    "deepmotif_cnnrnn": DeepMotifCNNRNN,
}


def field_names(name: str) -> set[str]:
  """The attributes a model family's module takes (its dataclass fields)."""
  if name not in MODELS:
    raise ConfigError(f"unknown model {name!r}; expected one of: {', '.join(sorted(MODELS))}")
  return set(MODELS[name].__dataclass_fields__) - {"parent", "name"}


def create_model(model_config, options: dict | None = None) -> nn.Module:
  """Instantiates `MODELS[model_config.name]` with the config's other fields as attributes.

  Args:
    model_config: ConfigDict with `name` and the module's attributes (e.g. `num_outputs`:
      2 for a softmax classifier, 1 for a single logit or a regression output).
    options: more attributes that do not change what the model computes (`regjax.speed`).
  """
  fields = dict(model_config)
  name = fields.pop("name")
  known = field_names(name)
  unknown = sorted(set(fields) - known)
  if unknown:
    raise ConfigError(f"model {name!r} has no field(s) {', '.join(unknown)}; its fields are "
                      f"{', '.join(sorted(known))}")
  fields = {k: tuple(v) if isinstance(v, list) else v for k, v in {**fields, **(options or {})}.items()}
  transform = fields.get("input_transform")
  if transform is not None and transform not in INPUT_TRANSFORMS:
    raise ConfigError(f"model.input_transform must be one of {', '.join(INPUT_TRANSFORMS)}, "
                      f"got {transform!r}")
  return MODELS[name](**fields)
