"""Many independent one-input LSTMs in one loop, with a hand-written backward pass.

AttentiveChrome and DeepDiff run one BiLSTM per histone mark, each reading a single number per bin:
2 x marks independent LSTMs (one per mark and direction; "units" below) of 100 steps. Written as
`nn.vmap` of Flax's `OptimizedLSTMCell`, XLA on CPU spent most of a training step in the recurrence,
for reasons found by profiling (`benchmarks/train_throughput.py`, notes in benchmarks/README.md):

* the cell computes the four gates with one matrix product and then splits it along the last axis;
  for the fusions that slice gates out of that axis XLA's CPU code generator emitted scalar code
  (LLVM IR dumps: no vector types), and the cell's sigmoids and tanhs took ~4.5x longer per step
  (96 vs 21 us at batch 16, 10 units). Here each gate has its own product ([U, B, H] x [U, H, H])
  and its own array, and the elementwise fusions are vectorised;
* JAX's automatic backward pass of the scan accumulates the weight gradients inside the loop (four
  more small matrix products per step) and transposes every saved [T, U, B, H] array afterwards.
  The backward pass here only carries dh and dc through the loop and stores the gate gradients;
  the weight gradients are then four large products over all steps and examples at once, on
  arrays kept unit-major ([U, T, B, H]) so no transposes are needed;
* the input of each unit is one number per step, so the input projection is an elementwise
  multiply-add inside the step instead of a [T, U, B, 4H] array built beforehand.

Same numbers as the Flax cell (to float rounding; `tests/test_fused_lstm.py`), and the callers keep
Flax's parameter layout, so checkpoints do not depend on which implementation ran.

Gate order (i, f, g, o) and equations are Flax's `OptimizedLSTMCell`:
  i = sigmoid(x w_ii + h W_hi + b_i), f = sigmoid(x w_if + h W_hf + b_f),
  g = tanh(x w_ig + h W_hg + b_g),    o = sigmoid(x w_io + h W_ho + b_o),
  c' = f c + i g,  h' = o tanh(c').
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax import lax

from regjax import parallel

Gates = tuple[jax.Array, jax.Array, jax.Array, jax.Array]   # (i, f, g, o)


def _pre_activations(input_kernels: Gates, hidden_kernels: Gates, biases: Gates, x_t, h) -> list:
  """x_t [U, B], h [U, B, H] -> the four gate pre-activations, each [U, B, H]."""
  return [x_t[..., None] * w[:, None, :] + b[:, None, :] + jnp.einsum("ubh,uhg->ubg", h, k)
          for w, k, b in zip(input_kernels, hidden_kernels, biases)]


def _cell(pre: list, c):
  """Gate activations, new cell and hidden state from the pre-activations."""
  i, f, o = jax.nn.sigmoid(pre[0]), jax.nn.sigmoid(pre[1]), jax.nn.sigmoid(pre[3])
  g = jnp.tanh(pre[2])
  c = f * c + i * g
  return o * jnp.tanh(c), c, (i, f, g, o)


def _at(buffer, t):
  """buffer [U, T, ...] at step t -> [U, ...]."""
  return lax.dynamic_index_in_dim(buffer, t, axis=1, keepdims=False)


def _put(buffer, value, t):
  return lax.dynamic_update_index_in_dim(buffer, value, t, axis=1)


def _forward(input_kernels, hidden_kernels, biases, inputs):
  """Runs the units; returns [U, T, B, H] buffers (h, c, i, f, g, o) for every step."""
  units, steps, batch = inputs.shape
  hidden = hidden_kernels[0].shape[-1]
  zeros = jnp.zeros((units, steps, batch, hidden), inputs.dtype)

  def body(t, carry):
    h, c, buffers = carry
    pre = _pre_activations(input_kernels, hidden_kernels, biases, _at(inputs, t), h)
    h, c, gates = _cell(pre, c)
    return h, c, tuple(_put(buf, v, t) for buf, v in zip(buffers, (h, c) + gates))

  state = jnp.zeros((units, batch, hidden), inputs.dtype)
  return lax.fori_loop(0, steps, body, (state, state, (zeros,) * 6))[2]


@jax.custom_vjp
def multi_lstm(input_kernels: Gates, hidden_kernels: Gates, biases: Gates,
               inputs: jax.Array) -> jax.Array:
  """U independent LSTMs, each reading one number per step, from zero initial states.

  Args:
    input_kernels: 4 x [U, H], the input weights of gates (i, f, g, o).
    hidden_kernels: 4 x [U, H, H], the recurrent weights (h @ kernel).
    biases: 4 x [U, H].
    inputs: float [U, T, B], unit-major.

  Returns:
    Hidden states float [U, T, B, H].
  """
  return _forward(input_kernels, hidden_kernels, biases, inputs)[0]


def _multi_lstm_fwd(input_kernels, hidden_kernels, biases, inputs):
  buffers = _forward(input_kernels, hidden_kernels, biases, inputs)
  return buffers[0], (input_kernels, hidden_kernels, inputs, buffers)


def _multi_lstm_bwd(residuals, grad_hs):
  input_kernels, hidden_kernels, inputs, (hs, cs, *gates) = residuals
  units, steps, batch, hidden = hs.shape
  transposed = tuple(jnp.swapaxes(k, 1, 2) for k in hidden_kernels)

  def body(s, carry):
    dh, dc, shifted, _ = carry
    t = steps - 1 - s
    i, f, g, o = (_at(a, t) for a in gates)
    c = _at(cs, t)
    c_prev = _at(cs, jnp.maximum(t - 1, 0)) * (t > 0)
    dh = dh + _at(grad_hs, t)
    tanh_c = jnp.tanh(c)
    dc = dc + dh * o * (1 - tanh_c * tanh_c)
    d_gates = (dc * g * i * (1 - i), dc * c_prev * f * (1 - f), dc * i * (1 - g * g),
               dh * tanh_c * o * (1 - o))                          # d pre-activations
    dh = sum(jnp.einsum("ubg,ugh->ubh", d, k) for d, k in zip(d_gates, transposed))
    # Slot t - 1 pairs this step's gate gradient with h_{t-1} = hs[:, t - 1], so the recurrent
    # weight gradient is one product with hs after the loop; step 0 (h_{-1} = 0) writes zeros to
    # the last slot and is returned separately for the input-weight and bias gradients.
    keep = (t > 0).astype(hs.dtype)
    shifted = tuple(_put(buf, d * keep, (t - 1) % steps) for buf, d in zip(shifted, d_gates))
    return dh, dc * f, shifted, d_gates

  state = jnp.zeros((units, batch, hidden), hs.dtype)
  init = (state, state, (jnp.zeros_like(hs),) * 4, (state,) * 4)
  _, _, shifted, first = lax.fori_loop(0, steps, body, init)

  next_inputs = jnp.roll(inputs, -1, axis=1)   # x_{t+1} for slot t
  x0 = inputs[:, 0]
  if parallel.batch_devices() == 1:
    # One contraction axis n = (steps x examples), so the products need no transposes.
    flat = lambda a: a.reshape(units, steps * batch, *a.shape[3:])   # noqa: E731
    contracted = "n"
  else:
    # The examples are split over devices: a merged (steps x examples) axis cannot be split the
    # same way, and XLA would gather every device's [U, T, B, H] buffers before each product.
    # Contracting the two axes unmerged lets each device add up its own examples; on one device
    # XLA would transpose the buffers for it instead (benchmarks/README.md).
    flat = lambda a: a   # noqa: E731
    contracted = "tb"
  d_hidden = tuple(jnp.einsum(f"u{contracted}h,u{contracted}g->uhg", flat(hs), flat(d))
                   for d in shifted)
  # The input-weight and bias gradients of slots 0..T-1 are one product per gate with the two
  # columns [x_{t+1}, 1]: one read of each gate-gradient buffer (a multiply-and-sum per gate and
  # a separate sum for the bias took 2.3x as long at batch 16; a [U, N] x [U, N, H] product
  # without the column of ones ran as a naive loop).
  columns = jnp.stack([next_inputs, jnp.ones_like(next_inputs)], axis=-1)   # [U, T, B, 2]
  input_and_bias = [jnp.einsum(f"u{contracted}k,u{contracted}g->ukg", flat(columns), flat(d))
                    for d in shifted]                                        # 4 x [U, 2, H]
  d_input = tuple(ib[:, 0] + jnp.einsum("ub,ubg->ug", x0, d0)
                  for ib, d0 in zip(input_and_bias, first))
  d_bias = tuple(ib[:, 1] + d0.sum(1) for ib, d0 in zip(input_and_bias, first))
  dx_next = sum(jnp.einsum(f"u{contracted}g,ug->u{contracted}", flat(d), w)
                for d, w in zip(shifted, input_kernels))
  dx0 = sum(jnp.einsum("ubg,ug->ub", d0, w) for d0, w in zip(first, input_kernels))
  d_inputs = jnp.concatenate([dx0[:, None], dx_next.reshape(units, steps, batch)[:, :-1]], axis=1)
  return d_input, d_hidden, d_bias, d_inputs


multi_lstm.defvjp(_multi_lstm_fwd, _multi_lstm_bwd)


def bidirectional_units(forward_params: dict, backward_params: dict, x: jax.Array) -> jax.Array:
  """One BiLSTM per channel, all channels and both directions in one `multi_lstm`.

  Args:
    forward_params, backward_params: `OptimizedLSTMCell` parameters stacked over channels
      ({"ii": {"kernel": [C, 1, H]}, ..., "hi": {"kernel": [C, H, H], "bias": [C, H]}, ...}).
    x: float [C, T, B], one number per channel, bin and example.

  Returns:
    float [2C, T, B, H]: rows 0..C-1 the forward LSTMs' states in bin order; rows C..2C-1 the
    backward LSTMs' states in their own reading order (row C + c, step t is channel c's backward
    state at bin T - 1 - t). Callers that need both directions at the same bin flip only small
    arrays (attention weights), never these states: on CPU, flipping and concatenating them cost
    more than a tenth of a training step at batch 256.
  """
  def stacked(gate_name, leaf):
    return jnp.concatenate([forward_params[gate_name][leaf], backward_params[gate_name][leaf]])

  input_kernels = tuple(stacked(f"i{gate}", "kernel")[:, 0, :] for gate in "ifgo")
  hidden_kernels = tuple(stacked(f"h{gate}", "kernel") for gate in "ifgo")
  biases = tuple(stacked(f"h{gate}", "bias") for gate in "ifgo")
  return multi_lstm(input_kernels, hidden_kernels, biases, jnp.concatenate([x, x[:, ::-1]]))
