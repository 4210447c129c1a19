"""The gapped k-mer kernel: exactly the brute-force definition; the gkm-SVM runs end to end."""

from __future__ import annotations

import numpy as np
import pytest

from regjax import runner
from regjax.baselines import gkm
from tests.conftest import load_config


@pytest.mark.parametrize("g,k,length", [(5, 3, 20), (6, 2, 15), (10, 6, 25), (4, 4, 12),
                                        (3, 1, 9), (8, 5, 30)])
def test_fast_kernel_equals_brute_force(g, k, length):
  rng = np.random.default_rng(g * 100 + k)
  a = rng.integers(0, 4, (7, length)).astype(np.uint8)
  b = rng.integers(0, 4, (5, length)).astype(np.uint8)
  a[0, 3], a[2, -1], b[1, 0] = 4, 4, 4  # N never matches
  b[3] = a[1]  # an identical pair
  fast = gkm.gkm_kernel(a, b, g, k, normalize=False)
  np.testing.assert_array_equal(fast, gkm.gkm_kernel_brute(a, b, g, k, normalize=False))
  normalised = gkm.gkm_kernel(a, None, g, k)
  np.testing.assert_allclose(normalised, gkm.gkm_kernel_brute(a, None, g, k), rtol=1e-12)
  np.testing.assert_allclose(np.diag(normalised), 1.0)
  assert gkm.gkm_kernel(a, b, g, k)[1, 3] == pytest.approx(1.0)


def test_kernel_of_a_known_pair():
  # One 3-mer each, "ACG" vs "ACT": 1 mismatch, so C(3 - 1, 2) = 1 shared gapped 2-mer.
  a = np.array([[0, 1, 2]], np.uint8)
  b = np.array([[0, 1, 3]], np.uint8)
  assert gkm.gkm_kernel(a, b, 3, 2, normalize=False)[0, 0] == 1.0
  assert gkm.gkm_kernel(a, a, 3, 2, normalize=False)[0, 0] == 3.0  # C(3, 2)


@pytest.mark.slow
def test_gkm_svm_config_runs(tmp_path):
  results = runner.run("train", load_config("gakco", "runlocal"), str(tmp_path))
  print(f"gkm-SVM runlocal: test AUROC {results['test']['auroc']:.4f}")
  assert results["test"]["auroc"] > 0.8  # a planted CTCF motif, 400 training sequences;
  # seeds 0-4: 0.872-0.950
  assert results["selected_params"]["C"] in (0.1, 1.0, 10.0)
  assert results["num_train_used"] == 400
