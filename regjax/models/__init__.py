"""Model registry: `create_model(config.model)` builds a Flax module from its config."""

from __future__ import annotations

import flax.linen as nn

from regjax.errors import ConfigError
from regjax.models.attentivechrome import AttentiveChrome
from regjax.models.deepchrome import DeepChrome
from regjax.models.deepdiff import DeepDiff
from regjax.models.deepmotif import DeepMotifCNN, DeepMotifCNNRNN, DeepMotifRNN
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


def create_model(model_config) -> nn.Module:
  """Instantiates `MODELS[model_config.name]` with the config's other fields as attributes.

  Args:
    model_config: ConfigDict with `name` and the module's attributes (e.g. `num_outputs`:
      2 for a softmax classifier, 1 for a single logit or a regression output).
  """
  fields = dict(model_config)
  name = fields.pop("name")
  if name not in MODELS:
    raise ConfigError(f"unknown model {name!r}; expected one of: {', '.join(sorted(MODELS))}")
  module = MODELS[name]
  known = set(module.__dataclass_fields__) - {"parent", "name"}
  unknown = sorted(set(fields) - known)
  if unknown:
    raise ConfigError(f"model {name!r} has no field(s) {', '.join(unknown)}; its fields are "
                      f"{', '.join(sorted(known))}")
  fields = {k: tuple(v) if isinstance(v, list) else v for k, v in fields.items()}
  return module(**fields)
