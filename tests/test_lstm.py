"""The LSTM baseline reads the final state of each direction."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from regjax.models.lstm import BinLSTM
from regjax.models.recurrent import BiLSTM


def test_output_shape_and_final_states():
  marks = jnp.asarray(np.random.default_rng(0).poisson(2.0, (3, 100, 5)), jnp.float32)
  model = BinLSTM()
  params = model.init(jax.random.key(1), marks)["params"]
  assert model.apply({"params": params}, marks).shape == (3, 1)
  # The final states the head reads are the last forward output and the first backward output.
  lstm = BiLSTM(32, 0.1, return_carry=True)
  lstm_params = {"params": params["BiLSTM_0"]}
  (fwd, bwd), outputs = lstm.apply(lstm_params, marks)
  np.testing.assert_allclose(fwd[1], outputs[:, -1, :32], atol=1e-6)
  np.testing.assert_allclose(bwd[1], outputs[:, 0, 32:], atol=1e-6)
