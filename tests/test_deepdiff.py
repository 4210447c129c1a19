"""DeepDiff: the seven variants' sizes, attention maps, shared siamese encoders, and a real run."""

from __future__ import annotations

import json
import os

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from regjax import train
from regjax.models.deepdiff import VARIANTS, DeepDiff, channel_names
from tests.conftest import load_config

# PyTorch counts of QData/DeepDiffChrome (docs/fidelity.md, DeepDiff); Flax's LSTM has one bias per gate instead of two, i.e. 256 fewer
# parameters per bin-level encoder (2 directions x 4 x 32) and 128 per mark-level one.
TORCH_PARAMS = {"raw_d": 55_681, "raw_c": 100_801, "raw": 145_921, "aux": 113_475,
                "raw_aux": 257_283, "aux_siamese": 68_355, "raw_aux_siamese": 212_163}
ENCODERS = {"raw_d": (5, 1), "raw_c": (10, 1), "raw": (15, 1), "aux": (10, 2), "raw_aux": (25, 3),
            "aux_siamese": (5, 2), "raw_aux_siamese": (20, 3)}


@pytest.fixture(scope="module")
def inputs():
  """Two cells of 3 genes; 20 bins instead of 200 (no parameter depends on the bin count)."""
  rng = np.random.default_rng(0)
  return (jnp.asarray(rng.poisson(3.0, (3, 20, 5)), jnp.float32),
          jnp.asarray(rng.poisson(3.0, (3, 20, 5)), jnp.float32))


def _params(model, num_bins: int = 200):
  """(parameter shapes, random U(-0.1, 0.1) parameters of those shapes) of `model`.

  The parameters are drawn in numpy from the traced shapes: compiling Flax's `init` of the larger
  variants took longer than everything else here, and no test below depends on the initialiser.
  """
  cell = jax.ShapeDtypeStruct((3, num_bins, 5), jnp.float32)
  shapes = jax.eval_shape(model.init, jax.random.key(1), cell, cell)["params"]
  rng = np.random.default_rng(1)
  return shapes, jax.tree.map(
      lambda s: jnp.asarray(rng.uniform(-0.1, 0.1, s.shape), s.dtype), shapes)


@pytest.mark.parametrize("variant", VARIANTS)
def test_variant_sizes_and_outputs(variant, inputs):
  model = DeepDiff(variant=variant)
  shapes, params = _params(model)   # the published 200 bins; no parameter depends on them
  bin_encoders, mark_levels = ENCODERS[variant]
  expected = TORCH_PARAMS[variant] - 256 * bin_encoders - 128 * mark_levels
  assert sum(x.size for x in jax.tree.leaves(shapes)) == expected
  out = jax.jit(lambda p: model.apply({"params": p}, *inputs, method=model.attend))(params)
  channels = len(channel_names(variant, "MMMMM"))
  assert out["lfc"].shape == (3,)
  assert out["alpha"].shape == (3, channels, 20)
  np.testing.assert_allclose(out["alpha"].sum(-1), 1.0, atol=1e-5)
  if variant in ("aux", "aux_siamese"):
    np.testing.assert_allclose(out["beta"][:, :5].sum(-1), 1.0, atol=1e-5)
    np.testing.assert_allclose(out["beta"][:, 5:].sum(-1), 1.0, atol=1e-5)
  else:
    np.testing.assert_allclose(out["beta"].sum(-1), 1.0, atol=1e-5)
  training_outputs = jax.eval_shape(lambda p: model.apply({"params": p}, *inputs), params)
  assert ("aux_a" in training_outputs) == ("aux" in variant)
  assert ("embedding_a" in training_outputs) == variant.endswith("siamese")


def test_siamese_cells_share_their_encoders(inputs):
  model = DeepDiff(variant="aux_siamese")
  _, params = _params(model)
  assert "shared_encoder" in params and "encoder_a" not in params
  marks_a, _ = inputs
  out = jax.jit(lambda a: model.apply({"params": params}, a, a))(marks_a)
  np.testing.assert_array_equal(out["embedding_a"], out["embedding_b"])  # same input, same weights
  assert out["embedding_a"].shape == (3, 5 * 64)


def test_raw_d_reads_only_the_difference(inputs):
  model = DeepDiff(variant="raw_d", input_transform="none")
  marks_a, marks_b = inputs
  _, params = _params(model)
  lfc = jax.jit(lambda a, b: model.apply({"params": params}, a, b)["lfc"])
  np.testing.assert_allclose(lfc(marks_a + 5.0, marks_b + 5.0), lfc(marks_a, marks_b), rtol=1e-5)


def test_channel_names():
  names = channel_names("raw_aux", ["m1", "m2"])
  assert names == ["A:m1", "A:m2", "B:m1", "B:m2", "A-B:m1", "A-B:m2", "A:m1", "A:m2", "B:m1", "B:m2"]


@pytest.mark.slow
def test_short_siamese_run_saves_test_attention(tmp_path):
  config = load_config("deepdiff", "runlocal")
  config.model.variant = "aux_siamese"
  config.train.num_epochs = 1
  config.train.batch_size = 20
  results = train.train_and_evaluate(config, str(tmp_path))
  assert set(results["test"]) == {"pearson_r", "mse", "num_examples"}
  maps = np.load(tmp_path / "attention" / "test.npz")
  assert maps["alpha"].shape == (200, 10, 200) and maps["beta"].shape == (200, 10)
  assert maps["ids"].shape == (200,)
  np.testing.assert_allclose(maps["alpha"].sum(-1), 1.0, atol=1e-5)
  on_disk = json.load(open(tmp_path / "results.json"))
  assert on_disk["attention_file"] == os.path.join("attention", "test.npz")
  assert on_disk["dataset"] == "deepdiff_pairs/E123_vs_E003"

  # --mode=interpret on the same run: saliency of both cells, attention per group of genes.
  from regjax.interpret import report
  config.interpret = load_config("deepdiff", "interpret_fast").interpret
  report.interpret_workdir(config, str(tmp_path))
  written = set(os.listdir(tmp_path / "interpret"))
  assert {"saliency.png", "saliency.npz", "attention_per_gene.npz", "index.md"} <= written
  assert "attention_unchanged_genes.png" in written
  per_gene = np.load(tmp_path / "interpret" / "attention_per_gene.npz")
  assert per_gene["alpha"].shape == (200, 10, 200) and len(per_gene["channels"]) == 10
  # aux_siamese: one mark-level attention per cell, 5 weights each, each summing to 1
  np.testing.assert_allclose(per_gene["beta"].reshape(200, 2, 5).sum(-1), 1.0, atol=1e-5)
