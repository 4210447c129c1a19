"""How a train step is computed on this machine, never what it computes: the `speed` config section.

Experiment files do not set these; every config gets `speed_config()` (all None: "the platform's
default"), and a user may override any field (`--config.speed.microbatch_size=0`):

* `microbatch_size`: sum the gradient over chunks of this many examples before the one optimizer
  step (the same update up to float rounding). Default: on CPU, the LSTM families chunk batches
  larger than `_CPU_CHUNKS` (their saved activations then fit memory XLA reuses: about 1.4x at
  batch 256); elsewhere off, since on a GPU chunks serialise work the chip would do at once
  (AttentiveChrome at batch 256 on an H100: 9,200 genes/s in chunks of 32, 65,000 whole). An
  explicit value applies on every platform; 0 turns chunking off.
* `device_data`: hold the training split's fields on the device(s) for the whole run, send each
  epoch's batch rows once, and gather each batch there, instead of gathering and transferring
  every batch from the host (the same batches; on one CPU core, where the host's work runs
  between the steps, a DeepChrome run of the papers' scale takes 65 s instead of 73). Default: on when the fields
  take at most `DEVICE_DATA_LIMIT_BYTES` (a REMC cell: 13 MB), else off; true / false force it.
* `fused_lstm`, `unroll`, `remat`: the LSTM models' implementation knobs (same parameters and
  numbers; `regjax/models/fused_lstm.py`, `recurrent.BiLSTM`). Default: the model's own.

A resumed run may change any of these (`workdir.RESUMABLE_FIELDS`).
"""

from __future__ import annotations

import ml_collections

from regjax.errors import ConfigError

# Chunk size on CPU by model family (benchmarks/README.md, "chunked gradients").
_CPU_CHUNKS = {"attentivechrome": 32, "lstm": 32, "deepdiff": 16}
MODEL_KNOBS = ("fused_lstm", "unroll", "remat")
DEVICE_DATA_LIMIT_BYTES = 2 * 1024**3


def speed_config() -> ml_collections.ConfigDict:
  """The `speed` section every neural config carries: None = the platform's default."""
  return ml_collections.ConfigDict({"microbatch_size": None, "device_data": None,
                                    "fused_lstm": None, "unroll": None, "remat": None})


def _speed(config) -> dict:
  return dict(config.get("speed") or {})


def check(config) -> None:
  """ConfigError for a speed value regjax cannot use."""
  fields = _speed(config)
  unknown = sorted(set(fields) - {"microbatch_size", "device_data", *MODEL_KNOBS})
  if unknown:
    raise ConfigError(f"speed has no field(s) {', '.join(unknown)}; its fields are "
                      f"microbatch_size, device_data, {', '.join(MODEL_KNOBS)}")
  size = fields.get("microbatch_size")
  if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 0):
    raise ConfigError(f"speed.microbatch_size must be 0 (off) or a positive integer, got {size!r}")
  unroll = fields.get("unroll")
  if unroll is not None and (isinstance(unroll, bool) or not isinstance(unroll, int) or unroll < 1):
    raise ConfigError(f"speed.unroll must be a positive integer, got {unroll!r}")
  for knob in ("device_data", "fused_lstm", "remat"):
    if fields.get(knob) is not None and not isinstance(fields[knob], bool):
      raise ConfigError(f"speed.{knob} must be true or false, got {fields[knob]!r}")


def model_options(config, model_fields) -> dict:
  """The speed knobs to pass to the model: those set in `config.speed` (a ConfigError for a knob
  the model, whose dataclass fields are `model_fields`, does not have)."""
  chosen = {k: v for k, v in _speed(config).items() if k in MODEL_KNOBS and v is not None}
  missing = sorted(set(chosen) - set(model_fields))
  if missing:
    raise ConfigError(f"speed.{missing[0]} does not apply to model {config.model.name!r} "
                      "(it has no LSTM of that kind); leave it unset")
  return chosen


def microbatch_size(config, platform: str, num_devices: int = 1) -> int:
  """Examples per gradient chunk of `config`'s train step on `platform` ("cpu", "gpu", "tpu"),
  rounded up to a multiple of `num_devices` so every chunk splits evenly; 0 = no chunking."""
  size = _speed(config).get("microbatch_size")
  if size is None:
    size = _CPU_CHUNKS.get(config.model.name, 0) if platform == "cpu" else 0
  return -(-size // num_devices) * num_devices


def device_data(config, nbytes: int) -> bool:
  """Whether the training split's fields (`nbytes` in all) live on the device (`device_data`)."""
  chosen = _speed(config).get("device_data")
  return nbytes <= DEVICE_DATA_LIMIT_BYTES if chosen is None else chosen
