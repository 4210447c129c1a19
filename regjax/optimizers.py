"""The optimizer of a config's `train` section: `create_optimizer(config.train, steps_per_epoch)`."""

from __future__ import annotations

import ml_collections
import optax

from regjax.errors import ConfigError


def create_optimizer(train_config: ml_collections.ConfigDict,
                     steps_per_epoch: int = 1) -> optax.GradientTransformation:
  """The optimizer of `train_config`, with optional gradient clipping and learning-rate schedule.

  Fields: optimizer ("adam" | "sgd"), learning_rate, weight_decay (L2 added to the gradient, as
  Torch7), momentum (sgd), learning_rate_decay (Torch7 sgd: lr / (1 + step * decay)),
  lr_halving_epochs (DeepMotif: halve the rate every that many epochs; 0 = off),
  grad_clip_norm (global norm; 0 = off), grad_clip_value (element-wise clamp; 0 = off).
  """
  lr = train_config.learning_rate
  decay = train_config.get("learning_rate_decay", 0.0)
  halving = train_config.get("lr_halving_epochs", 0)
  if decay and halving:
    raise ConfigError("set train.learning_rate_decay or train.lr_halving_epochs, not both")
  schedule = lr
  if decay:
    schedule = lambda step: lr / (1.0 + step * decay)
  elif halving:
    schedule = optax.exponential_decay(lr, transition_steps=halving * steps_per_epoch,
                                       decay_rate=0.5, staircase=True)
  chain = []
  if train_config.get("grad_clip_norm", 0.0):
    chain.append(optax.clip_by_global_norm(train_config.grad_clip_norm))
  if train_config.get("grad_clip_value", 0.0):
    chain.append(optax.clip(train_config.grad_clip_value))
  if train_config.get("weight_decay", 0.0):
    chain.append(optax.add_decayed_weights(train_config.weight_decay))
  name = train_config.optimizer
  if name == "adam":
    chain.append(optax.adam(schedule))
  elif name == "sgd":
    chain.append(optax.sgd(schedule, momentum=train_config.get("momentum", 0.0) or None))
  else:
    raise ConfigError(f"unknown train.optimizer {name!r}; expected 'adam' or 'sgd'")
  return optax.chain(*chain)
