"""The compiled computations of training: one optimizer step (optionally over gradient chunks) and
one evaluation step. Pure functions of (state or params, batch); `regjax.trainer` jits them."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from flax.training import train_state

from regjax import tasks


def model_inputs(batch: dict, input_keys: tuple[str, ...]) -> list:
  """The model's positional inputs, in `input_keys` order."""
  return [batch[k] for k in input_keys]


def summed_loss_fn(apply_fn, task: tasks.Task, input_keys: tuple[str, ...]):
  """(params, examples, dropout key) -> the masked sum of the training loss over the examples."""
  def summed_loss(params, examples, examples_key):
    outputs = apply_fn({"params": params}, *model_inputs(examples, input_keys), train=True,
                       rngs={"dropout": examples_key})
    return jnp.sum(task.loss(outputs, examples) * examples["mask"])
  return summed_loss


def reverse_complement_some(sequence: jax.Array, key: jax.Array) -> jax.Array:
  """Each one-hot sequence [B, L, 4] (A, C, G, T) reverse-complemented with probability 1/2.

  Reversing the channel axis swaps A <-> T and C <-> G; an N (all-zero row) stays N.
  """
  flip = jax.random.bernoulli(key, 0.5, sequence.shape[:1])
  return jnp.where(flip[:, None, None], sequence[:, ::-1, ::-1], sequence)


def train_step(state: train_state.TrainState, batch: dict, dropout_key: jax.Array, *,
               task: tasks.Task, input_keys: tuple[str, ...], microbatch_size: int = 0,
               reverse_complement: bool = False):
  """One optimizer step on the masked mean loss of `batch` ([B, ...] arrays and a [B] mask);
  returns (new state, loss).

  With 0 < microbatch_size < B, the gradient is summed over chunks of `microbatch_size` examples
  (`sum_over_chunks`) before the one optimizer step: the same update up to float rounding, each
  chunk's dropout drawn from its own key. `reverse_complement` (DNA models) trains on a random
  half of the batch's sequences reverse-complemented, drawn afresh every step.
  """
  key = jax.random.fold_in(dropout_key, state.step)
  if reverse_complement:
    key, flip_key = jax.random.split(key)
    batch = {**batch, "sequence": reverse_complement_some(batch["sequence"], flip_key)}
  summed_loss = summed_loss_fn(state.apply_fn, task, input_keys)
  count = jnp.maximum(jnp.sum(batch["mask"]), 1.0)
  if 0 < microbatch_size < batch["mask"].shape[0]:
    chunks = as_chunks(batch, microbatch_size, jnp)
    loss, grads = sum_over_chunks(summed_loss, state.params, chunks, key,
                                  jnp.arange(len(chunks["mask"])))
    loss, grads = loss / count, jax.tree.map(lambda g: g / count, grads)
  else:
    loss, grads = jax.value_and_grad(lambda p: summed_loss(p, batch, key) / count)(state.params)
  return state.apply_gradients(grads=grads), loss


def indexed_train_step(state: train_state.TrainState, arrays: dict, epoch_rows: dict,
                       dropout_key: jax.Array, **step_options):
  """`train_step` on one batch of an epoch whose rows are already on the device.

  `arrays` are the training split's fields ([N, ...]); `epoch_rows` the epoch's "index" and "mask",
  [S, B] (`input_pipeline.train_batch_indices`). Every epoch has S steps, so the step counter's
  remainder modulo S is this step's batch: nothing is gathered or transferred on the host per step
  (on one CPU core a transfer per step cost about a tenth of the epoch).
  """
  position = state.step % epoch_rows["index"].shape[0]
  index, mask = (jax.lax.dynamic_index_in_dim(epoch_rows[k], position, keepdims=False)
                 for k in ("index", "mask"))
  batch = {k: jnp.take(v, index, axis=0) for k, v in arrays.items()}
  return train_step(state, {**batch, "mask": mask}, dropout_key, **step_options)


def as_chunks(batch: dict, size: int, xp=np) -> dict:
  """The batch as [C, size, ...] chunks (`xp`: numpy on the host, jax.numpy inside jit).

  A batch that `size` does not divide is padded as the input pipeline pads (copies of row 0, masked
  out). Chunk k holds rows k, k + C, k + 2C, ... (C chunks): a batch sharded over devices along its
  first axis keeps its rows on their devices.
  """
  batch_size = batch["mask"].shape[0]
  num_chunks = -(-batch_size // size)
  fill = num_chunks * size - batch_size
  if fill:
    batch = {k: xp.concatenate([v, xp.zeros_like(v[:fill]) if k == "mask"
                                else xp.repeat(v[:1], fill, axis=0)]) for k, v in batch.items()}
  return {k: xp.swapaxes(v.reshape(size, num_chunks, *v.shape[1:]), 0, 1)
          for k, v in batch.items()}


def sum_over_chunks(summed_loss, params, chunks: dict, key: jax.Array, indices: jax.Array):
  """(loss, gradient) of `summed_loss` summed over `chunks` ([C, size, ...]) in order, chunk j's
  dropout drawn from fold_in(key, indices[j]).

  Why chunks: the LSTM models keep every step's activations for the backward pass; at batch 256
  those are ~400 MB per train step, which XLA CPU allocates afresh each step and which no longer
  fit in cache. A `lax.scan` over chunks reuses one chunk's worth of memory (`regjax.speed`).
  """
  def chunk_loss_and_grads(index, chunk):
    return jax.value_and_grad(summed_loss)(params, chunk, jax.random.fold_in(key, index))

  def accumulate(totals, indexed_chunk):
    return jax.tree.map(jnp.add, totals, chunk_loss_and_grads(*indexed_chunk)), None

  first = jax.tree.map(lambda a: a[0], chunks)
  zeros = jax.tree.map(lambda s: jnp.zeros(s.shape, s.dtype),
                       jax.eval_shape(chunk_loss_and_grads, indices[0], first))
  totals, _ = jax.lax.scan(accumulate, zeros, (indices, chunks))
  return totals


def eval_step(params, batch: dict, *, apply_fn, task: tasks.Task, input_keys: tuple[str, ...]):
  """Scores [B] of a batch (padded rows included; the caller drops them by mask)."""
  outputs = apply_fn({"params": params}, *model_inputs(batch, input_keys), train=False)
  return task.score(outputs)


def log_odds_step(params, batch: dict, *, apply_fn, input_keys: tuple[str, ...]):
  """log P(on) / P(off) [B] of a classifier's batch, from its logits (no rounding at P near 1)."""
  outputs = apply_fn({"params": params}, *model_inputs(batch, input_keys), train=False)
  if outputs.shape[-1] == 1:
    return outputs[..., 0]
  return outputs[..., 1] - outputs[..., 0]


def attention_step(params, batch: dict, *, model, input_keys: tuple[str, ...]) -> dict:
  """The attention maps of a batch ({"alpha": [B, C, T], "beta": [B, K], ...})."""
  outputs = model.apply({"params": params}, *model_inputs(batch, input_keys), method="attend")
  return {k: v for k, v in outputs.items() if k.startswith(("alpha", "beta"))}


def skip_empty_batches(step):
  """`step`, except that an all-masked batch (a smaller member of a many-model run out of data)
  leaves the state as it was: no optimizer step, no Adam moment update. Only many-model runs need
  it, so the single-model step does not pay for it (selecting every parameter cost ~10 % of a
  small model's step)."""
  def guarded(state, batch, dropout_key):
    new_state, loss = step(state, batch, dropout_key)
    has_data = jnp.sum(batch["mask"]) > 0
    return jax.tree.map(lambda new, old: jnp.where(has_data, new, old), new_state, state), loss
  return guarded
