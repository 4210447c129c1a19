"""Motif databases and the TOMTOM-style comparison."""

from __future__ import annotations

import numpy as np
import pytest

from regjax.datasets import simulation
from regjax.errors import DataFormatError
from regjax.interpret import motifs
from tests.conftest import TEST_SEED


@pytest.fixture(scope="module")
def jaspar():
  return motifs.Comparator(motifs.database("jaspar"))


def test_the_bundled_jaspar_clusters_are_read_whole():
  db = motifs.database("jaspar")
  assert len(db) == 182
  ctcf = next(m for m in db if m.id == "C055:CTCF:C2H2_ZF")
  np.testing.assert_allclose(ctcf.pwm.sum(1), 1.0, atol=1e-6)
  assert ctcf.pwm.shape[1] == 4 and len(ctcf.pwm) >= 12


def test_known_motifs_are_named_on_either_strand(jaspar):
  ctcf = simulation.get_motif("CTCF_known1")
  forward = jaspar.compare(ctcf, top=2)
  assert forward[0]["motif_id"] == "C055:CTCF:C2H2_ZF" and forward[0]["q_value"] < 1e-6
  reverse = jaspar.compare(ctcf[::-1, ::-1], top=1)[0]   # the reverse complement
  assert reverse["motif_id"] == forward[0]["motif_id"] and reverse["strand"] != forward[0]["strand"]
  # a piece of the motif inside random flanks is still found, at the piece's offset
  rng = np.random.default_rng(TEST_SEED)
  flanked = np.concatenate([rng.dirichlet(np.ones(4) * 5, 4), ctcf, rng.dirichlet(np.ones(4) * 5, 3)])
  assert jaspar.compare(flanked, top=1)[0]["motif_id"] == "C055:CTCF:C2H2_ZF"


def test_an_uninformative_query_matches_nothing(jaspar):
  flat = np.full((12, 4), 0.25) + np.random.default_rng(TEST_SEED).normal(0, 1e-3, (12, 4))
  assert jaspar.compare(flat / flat.sum(1, keepdims=True), top=1)[0]["q_value"] > 0.5


def test_filter_pwms_count_the_top_activating_subsequences():
  x = np.zeros((2, 6, 4))
  x[0, [0, 1, 2, 3, 4, 5], [0, 1, 2, 3, 0, 1]] = 1   # ACGTAC
  x[1, [0, 1, 2, 3, 4, 5], [3, 3, 3, 3, 3, 3]] = 1   # TTTTTT
  activations = np.zeros((2, 4, 1))
  activations[0, 1, 0] = 2.0                          # CGT at 1..3
  activations[1, 2, 0] = 0.5                          # below half the maximum
  pwms, counts = motifs.filter_pwms(activations, x, width=3, pseudocount=0.0)
  assert counts[0] == 1
  np.testing.assert_allclose(pwms[0], np.eye(4)[[1, 2, 3]])


def test_a_file_that_is_not_meme_is_refused(tmp_path):
  path = tmp_path / "motifs.txt"
  path.write_text("MOTIF X\nletter-probability matrix: alength= 4 w= 2\n0.2 0.3 x 0.5\n")
  with pytest.raises(DataFormatError, match="line 3.*expected 4 probabilities"):
    motifs.read_meme(path)
  path.write_text("nothing here\n")
  with pytest.raises(DataFormatError, match="no MOTIF"):
    motifs.read_meme(path)


def test_the_information_window_finds_the_motif():
  rng = np.random.default_rng(TEST_SEED)
  ctcf = simulation.get_motif("CTCF_known1")
  background = rng.dirichlet(np.ones(4) * 50, 101)
  background[40:40 + len(ctcf)] = ctcf
  window, start = motifs.informative_window(background, len(ctcf))
  assert abs(start - 40) <= 2
