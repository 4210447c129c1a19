"""AttentiveChrome: attention maps are distributions, per-mark encoders are independent, it learns."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from regjax import metrics
from regjax.models.attentivechrome import AttentiveChrome
from tests.conftest import TEST_SEED


@pytest.fixture(scope="module")
def model_and_params():
  model = AttentiveChrome()
  marks = jnp.asarray(np.random.default_rng(0).poisson(3.0, (4, 100, 5)), jnp.float32)
  return model, model.init(jax.random.key(1), marks)["params"], marks


def test_shapes_and_parameters(model_and_params):
  model, params, marks = model_and_params
  out = model.apply({"params": params}, marks, method=model.attend)
  assert out["logits"].shape == (4, 1)
  assert out["alpha"].shape == (4, 5, 100) and out["beta"].shape == (4, 5)
  assert out["bin_encodings"].shape == (4, 5, 64)
  # 55,681 in PyTorch minus its second LSTM bias vector (5 marks x 2 directions x 128 + 2 x 64).
  assert sum(x.size for x in jax.tree.leaves(params)) == 55_681 - 1_408
  leaves = jax.tree.leaves(params)
  assert max(float(jnp.abs(x).max()) for x in leaves) <= 0.1  # U(-0.1, 0.1) everywhere


def test_one_encoder_per_mark_with_its_own_weights(model_and_params):
  _, params, _ = model_and_params
  encoders = params["bin_level"]
  for leaf in jax.tree.leaves(encoders):
    assert leaf.shape[0] == 5  # stacked on the mark axis by nn.vmap
    assert not np.allclose(leaf[0], leaf[1])  # not shared


def test_attention_maps_are_distributions(model_and_params):
  model, params, marks = model_and_params
  out = model.apply({"params": params}, marks * 7.0, method=model.attend)
  np.testing.assert_allclose(out["alpha"].sum(-1), 1.0, atol=1e-5)
  np.testing.assert_allclose(out["beta"].sum(-1), 1.0, atol=1e-5)
  assert bool((out["alpha"] >= 0).all() and (out["beta"] >= 0).all())


@pytest.mark.parametrize("mark", [0, 3])
def test_perturbing_one_mark_changes_only_its_encoding(model_and_params, mark):
  model, params, marks = model_and_params
  base = model.apply({"params": params}, marks, method=model.attend)
  perturbed_marks = marks.at[:, 40:60, mark].add(25.0)
  perturbed = model.apply({"params": params}, perturbed_marks, method=model.attend)
  changed = np.abs(np.asarray(perturbed["bin_encodings"] - base["bin_encodings"])).max(axis=(0, 2))
  others = [m for m in range(5) if m != mark]
  assert changed[mark] > 1e-3
  np.testing.assert_array_equal(changed[others], 0.0)
  np.testing.assert_array_equal(perturbed["alpha"][:, others], base["alpha"][:, others])


@pytest.mark.slow
@pytest.mark.parametrize("data_seed", [0, 1, 2, 3])
def test_overfits_sixteen_genes(data_seed):
  """Learning works: training AUROC 1.0 on 16 genes within a few hundred steps.

  The 16 genes are Poisson noise with alternating labels, so the model has to memorise them. How
  many steps that takes depends on float rounding: with Adam at lr 1e-2 the loss can sit at 0.69
  for a few hundred steps and then drop, and data seed 0 took 168, 226 and 350 steps through the
  Flax LSTM and two versions of the fused one whose gradients agree to 1e-7. So four data sets are
  checked, at lr 5e-3 (74-289 steps over the three implementations), each with a budget of 500;
  over REGJAX_TEST_SEED 0-4 (other data and initial parameters) they took 54-335 steps.
  """
  rng = np.random.default_rng(data_seed + 4 * TEST_SEED)
  marks = jnp.asarray(rng.poisson(3.0, (16, 100, 5)).astype(np.float32))
  labels = jnp.asarray(np.tile([0, 1], 8))
  model = AttentiveChrome()
  params = model.init(jax.random.key(TEST_SEED), marks[:1])["params"]
  tx = optax.chain(optax.clip_by_global_norm(1.0), optax.adam(5e-3))
  opt_state = tx.init(params)

  @jax.jit
  def step(params, opt_state):
    def loss_fn(p):
      logits = model.apply({"params": p}, marks)[:, 0]
      return optax.sigmoid_binary_cross_entropy(logits, labels.astype(jnp.float32)).mean()
    loss, grads = jax.value_and_grad(loss_fn)(params)
    updates, opt_state = tx.update(grads, opt_state)
    return optax.apply_updates(params, updates), opt_state, loss

  score = jax.jit(lambda p: model.apply({"params": p}, marks)[:, 0])
  for i in range(500):
    params, opt_state, loss = step(params, opt_state)
    scores = np.asarray(score(params))
    if metrics.auroc(np.asarray(labels), scores) == 1.0 and float(loss) < 0.3:
      break
  assert metrics.auroc(np.asarray(labels), scores) == 1.0, f"stuck at loss {float(loss)}"
  print(f"training AUROC 1.0 after {i + 1} steps")


@pytest.mark.parametrize("cell", ["flax", "torch_rnn"])
def test_bilstm_remat_changes_neither_parameters_nor_numbers(cell):
  """remat is a speed knob: same parameter tree, same outputs, same gradients."""
  from regjax.models.recurrent import BiLSTM
  x = jnp.asarray(np.random.default_rng(0).random((3, 12, 2)), jnp.float32)
  plain, remat = BiLSTM(4, 0.1, cell=cell), BiLSTM(4, 0.1, cell=cell, remat=True)
  params = plain.init(jax.random.key(0), x)
  assert jax.tree.structure(remat.init(jax.random.key(0), x)) == jax.tree.structure(params)

  def grads(model):
    return jax.grad(lambda p: jnp.sum(jnp.sin(model.apply(p, x))))(params)
  np.testing.assert_array_equal(remat.apply(params, x), plain.apply(params, x))
  for a, b in zip(jax.tree.leaves(grads(remat)), jax.tree.leaves(grads(plain))):
    np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
