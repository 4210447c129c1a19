"""DeepMotif models: published sizes, torch-rnn LSTM init, lengths.

That the CNN and CNN-RNN learn a planted motif is tested with the interpretation that must find it
(`test_interpret_groundtruth.py`: 4,000 training sequences, 5 epochs, test AUROC > 0.95 at every
seed); a 3-epoch run on 2,000 sequences sat at the edge of any threshold (0.83-0.91 across
machines)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from regjax.models.deepmotif import DeepMotifCNN, DeepMotifCNNRNN, DeepMotifRNN


@pytest.mark.parametrize("module,size", [(DeepMotifCNN, 136_322), (DeepMotifRNN, 9_602),
                                         (DeepMotifCNNRNN, 46_082)])
def test_published_parameter_counts(module, size):
  params = module().init(jax.random.key(0), jnp.zeros((1, 101, 4)))["params"]
  assert sum(x.size for x in jax.tree.leaves(params)) == size  # as QData/DeepMotif (docs/fidelity.md)
  assert module().apply({"params": params}, jnp.zeros((3, 101, 4))).shape == (3, 2)


def test_cnn_lengths_and_lstm_forget_bias():
  model = DeepMotifCNN()
  x = jnp.zeros((2, 101, 4))
  params = model.init(jax.random.key(0), x)["params"]
  assert model.apply({"params": params}, x, method=model.feature_maps).shape == (2, 19, 128)
  rnn = DeepMotifRNN().init(jax.random.key(0), x)["params"]
  bias = rnn["rnn"]["BiLSTM_0"]["TorchRnnLSTMCell_0"]["bias"]
  np.testing.assert_array_equal(bias[32:64], 1.0)  # forget gate (order i, f, o, g)
  np.testing.assert_array_equal(bias[:32], 0.0)


def test_cnnrnn_convolution_keeps_every_position():
  model = DeepMotifCNNRNN()
  x = jnp.zeros((2, 101, 4))
  params = model.init(jax.random.key(0), x)["params"]
  assert model.apply({"params": params}, x, method=model.conv_features).shape == (2, 101, 128)
