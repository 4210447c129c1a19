"""DNA data sets: bundled peaks with shuffled negatives, a user's own files, and the simulation."""

from __future__ import annotations

import collections

import numpy as np
import pytest

from regjax import datasets
from regjax.datasets import dna, sequences, simulation
from regjax.errors import ConfigError
from tests.conftest import load_config


@pytest.fixture(scope="module")
def rest():
  return datasets.create_dataset(load_config("deepmotif_cnn").data)


def test_bundled_rest_splits(rest):
  train, valid, test = (rest.splits[s] for s in ("train", "valid", "test"))
  peaks = 6406
  assert len(valid["label"]) == 2 * round(0.1 * peaks)  # 10 % of the peaks, plus one negative each
  assert len(train["label"]) + len(valid["label"]) == 2 * peaks
  assert len(test["label"]) == 1000 and test["label"].mean() == 0.5  # the _B file as it is
  assert train["sequence"].shape[1:] == (101, 4)
  assert not set(train["id"]) & set(valid["id"])


def test_negatives_are_dinucleotide_shuffles_of_the_same_split(rest):
  valid = rest.splits["valid"]
  ids = list(valid["id"])
  for i in range(0, 50):
    negative = ids.index(f"{ids[i]}_shuffled")
    a, b = valid["codes"][i], valid["codes"][negative]
    assert valid["label"][i] == 1 and valid["label"][negative] == 0
    assert (collections.Counter(zip(a[:-1], a[1:])) == collections.Counter(zip(b[:-1], b[1:])))


def test_unknown_tf_lists_the_choices():
  config = load_config("deepmotif_cnn").data
  config.tf = "GATA1"
  with pytest.raises(ConfigError, match="bundled training sets are REST, CTCFL"):
    datasets.create_dataset(config)


def test_own_fasta_files(tmp_path):
  rng = np.random.default_rng(0)
  train = tmp_path / "peaks.fa"
  train.write_text("".join(f">p{i}\n{sequences.decode(rng.integers(0, 4, 120))}\n"
                           for i in range(40)))
  test = tmp_path / "test.fa"
  test.write_text("".join(f">t{i} {i % 2}\n{sequences.decode(rng.integers(0, 4, 90))}\n"
                          for i in range(10)))
  config = load_config("deepmotif_cnn").data
  config.train_path, config.test_path = str(train), str(test)
  data = datasets.create_dataset(config)
  assert len(data.splits["train"]["label"]) == 2 * 36 and len(data.splits["valid"]["label"]) == 8
  assert data.splits["test"]["label"].tolist() == [0, 1] * 5
  # 120 bp cropped around the centre, 90 bp padded with N (all-zero rows) on both sides.
  assert data.splits["test"]["sequence"][:, :5].sum() == 0
  assert data.info["source"] == "files"
  config.test_path = ""
  with pytest.raises(ConfigError, match="give both"):
    datasets.create_dataset(config)


def test_simulated_motifs_are_planted_where_recorded():
  ppm = simulation.get_motif("CTCF_known1")
  data = simulation.simulate(ppm, 300, 101, seed=3)
  width = len(ppm)
  log_odds = np.log(ppm + 1e-3) - np.log(0.25)

  def best_score(codes, start, strand):
    site = codes[start:start + width]
    if strand < 0:
      site = simulation.reverse_complement(site)
    return log_odds[np.arange(width), site].sum()

  positives = np.flatnonzero(data.labels)
  assert 100 < len(positives) < 200
  planted = [best_score(data.codes[i], data.motif_start[i], data.motif_strand[i]) for i in positives]
  random_sites = [best_score(data.codes[i], 0, 1) for i in np.flatnonzero(data.labels == 0)]
  assert np.median(planted) > np.percentile(random_sites, 99)
  assert (data.motif_start[data.labels == 0] == -1).all()
  assert set(data.motif_strand[positives]) == {-1, 1}


def test_unknown_motif():
  with pytest.raises(ConfigError, match="unknown motif 'CTCF_nope'.*CTCF_"):
    simulation.get_motif("CTCF_nope")
