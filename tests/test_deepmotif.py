"""DeepMotif models: published sizes, torch-rnn LSTM init, and a short real training run."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from regjax import train
from regjax.models.deepmotif import DeepMotifCNN, DeepMotifCNNRNN, DeepMotifRNN
from tests.conftest import load_config


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


@pytest.mark.slow
def test_runlocal_cnn_learns_the_simulated_motif(tmp_path):
  config = load_config("deepmotif_cnn", "runlocal")
  config.train.num_epochs = 3
  results = train.train_and_evaluate(config, str(tmp_path))
  assert results["dataset"] == "simulated_motifs/CTCF_known1"
  print(f"runlocal DeepMotif CNN, 3 epochs: test AUROC {results['test']['auroc']:.4f}")
  assert results["test"]["auroc"] > 0.9
