"""The gapped k-mer kernel: exactly the brute-force definition; the gkm-SVM runs end to end."""

from __future__ import annotations

import numpy as np
import pytest

from regjax import predict, runner
from regjax.baselines import alphabets, gkm, gkm_nystroem, lsgkm_io
from regjax.errors import DataFormatError, UserError
from tests.conftest import TEST_SEED, load_config


@pytest.mark.parametrize("method", ["matmul", "gather"])
@pytest.mark.parametrize("g,k,length", [(5, 3, 20), (6, 2, 15), (10, 6, 25), (4, 4, 12),
                                        (3, 1, 9), (8, 5, 30)])
def test_fast_kernel_equals_brute_force(g, k, length, method):
  rng = np.random.default_rng(g * 100 + k)
  a = rng.integers(0, 4, (7, length)).astype(np.uint8)
  b = rng.integers(0, 4, (5, length)).astype(np.uint8)
  a[0, 3], a[2, -1], b[1, 0] = 4, 4, 4  # N never matches
  b[3] = a[1]  # an identical pair
  fast = gkm.gkm_kernel(a, b, g, k, normalize=False, method=method)
  np.testing.assert_array_equal(fast, gkm.gkm_kernel_brute(a, b, g, k, normalize=False))
  normalised = gkm.gkm_kernel(a, None, g, k, method=method)
  np.testing.assert_allclose(normalised, gkm.gkm_kernel_brute(a, None, g, k), rtol=1e-12)
  np.testing.assert_allclose(np.diag(normalised), 1.0)
  assert gkm.gkm_kernel(a, b, g, k, method=method)[1, 3] == pytest.approx(1.0)
  lengths_b = rng.integers(g, length + 1, len(b))  # variable lengths, padded
  np.testing.assert_array_equal(
      gkm.gkm_kernel(a, b, g, k, normalize=False, lengths_b=lengths_b, method=method),
      gkm.gkm_kernel_brute(a, b, g, k, normalize=False, lengths_b=lengths_b))
  np.testing.assert_allclose(gkm.gkm_kernel(b, a, g, k, lengths_a=lengths_b, method=method),
                             gkm.gkm_kernel_brute(b, a, g, k, lengths_a=lengths_b), rtol=1e-12)


@pytest.mark.parametrize("g,k,alphabet_size", [(5, 3, 4), (10, 6, 4), (4, 2, 20), (3, 3, 4)])
def test_self_kernel_is_the_diagonal(g, k, alphabet_size):
  rng = np.random.default_rng(g + k)
  codes = rng.integers(0, alphabet_size + 1, (6, 24)).astype(np.uint8)  # the largest code: N/X
  lengths = rng.integers(g, 25, len(codes))
  brute = gkm.gkm_kernel_brute(codes, None, g, k, normalize=False, alphabet_size=alphabet_size,
                               lengths_a=lengths)
  np.testing.assert_array_equal(gkm.self_kernel(codes, g, k, alphabet_size, lengths),
                                np.diag(brute))


def test_kernel_methods_choice():
  assert gkm._pick_method("auto", 4**6, 92) == "gather"
  assert gkm._pick_method("auto", 4**3, 92) == "matmul"
  assert gkm._pick_method("matmul", 20**4, 92) == "sparse"
  with pytest.raises(ValueError, match="unknown gkm kernel method"):
    gkm.gkm_kernel(np.zeros((1, 5), np.uint8), None, 3, 2, method="fft")


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


@pytest.mark.parametrize("g,k", [(4, 2), (5, 3), (6, 4)])
def test_protein_kernel_equals_brute_force(g, k):
  """20 letters: 20^4 columns and more take the sparse path; X never matches; variable lengths."""
  rng = np.random.default_rng(g + k)
  letters = alphabets.PROTEIN.letters
  texts = ["".join(rng.choice(list(letters), rng.integers(g, 30))) for _ in range(9)]
  texts[2] = texts[2][:3] + "X" + texts[2][4:]     # an unknown residue
  texts[5] = texts[1].lower()                       # case does not matter for protein
  codes, lengths = alphabets.PROTEIN.encode(texts)
  assert (20**k > gkm.DENSE_COLUMNS) == (k >= 4)
  a, b = slice(0, 6), slice(4, 9)
  fast = gkm.gkm_kernel(codes[a], codes[b], g, k, normalize=False, alphabet_size=20,
                        lengths_a=lengths[a], lengths_b=lengths[b])
  brute = gkm.gkm_kernel_brute(codes[a], codes[b], g, k, normalize=False, alphabet_size=20,
                               lengths_a=lengths[a], lengths_b=lengths[b])
  np.testing.assert_array_equal(fast, brute)
  normalised = gkm.gkm_kernel(codes, None, g, k, alphabet_size=20, lengths_a=lengths)
  np.testing.assert_allclose(normalised, gkm.gkm_kernel_brute(codes, None, g, k, alphabet_size=20,
                                                              lengths_a=lengths), rtol=1e-12)
  assert normalised[1, 5] == pytest.approx(1.0)


def test_text_alphabet_and_padding():
  texts = ["the cat sat", "a cat", "the hat"]
  alphabet = alphabets.get("text", texts)
  assert alphabet.letters == " acehst"
  codes, lengths = alphabet.encode(texts)
  assert codes.shape == (3, 11) and list(lengths) == [11, 5, 7]
  assert alphabet.decode(codes[1], lengths[1]) == "a cat"
  # Padding must not create windows: the kernel of the padded batch equals that of each pair alone.
  padded = gkm.gkm_kernel(codes, None, 3, 2, normalize=False, alphabet_size=alphabet.size,
                          lengths_a=lengths)
  for i in range(3):
    for j in range(3):
      alone_i, alone_j = (alphabet.encode([texts[x]])[0] for x in (i, j))
      assert padded[i, j] == gkm.gkm_kernel_brute(alone_i, alone_j, 3, 2, normalize=False,
                                                  alphabet_size=alphabet.size)[0, 0]
  with pytest.raises(ValueError, match="unknown alphabet 'klingon'"):
    alphabets.get("klingon")


def test_nystroem_features_reproduce_the_kernel():
  """Exact on the landmarks; elsewhere closer to the exact kernel as landmarks are added."""
  rng = np.random.default_rng(0)
  codes = rng.integers(0, 4, (120, 40)).astype(np.uint8)
  codes[60:, 10:20] = codes[0, 10:20]                 # a shared "motif": structure to capture
  labels = (np.arange(120) >= 60).astype(int)
  exact = gkm.gkm_kernel(codes, None, 6, 3)
  errors = []
  for m in (10, 40, 120):
    mapping = gkm_nystroem.fit(codes, None, labels, m, 6, 3, seed=1)
    features = mapping.transform(codes)
    approx = features @ features.T
    errors.append(np.linalg.norm(approx - exact) / np.linalg.norm(exact))
    landmark_rows = [int(np.flatnonzero((codes == row).all(1))[0]) for row in mapping.landmarks]
    np.testing.assert_allclose(approx[np.ix_(landmark_rows, landmark_rows)],
                               exact[np.ix_(landmark_rows, landmark_rows)], atol=1e-8)
  print("Nystroem relative Frobenius errors (m = 10, 40, 120):", np.round(errors, 4))
  assert errors[0] > errors[1] > errors[2] and errors[2] < 1e-8


def _write_fasta(path, records):
  path.write_text("".join(f">{name} some description\n{text[:25]}\n{text[25:]}\n"
                          for name, text in records))
  return str(path)


@pytest.mark.parametrize("approximation", ["exact", "nystroem"])
def test_lsgkm_fasta_protein_train_and_predict(tmp_path, approximation):
  """lsgkm's two FASTA files in (protein, variable lengths), gkmpredict's scores out."""
  rng = np.random.default_rng(TEST_SEED)
  letters = list(alphabets.PROTEIN.letters)

  def sequence(motif):
    text = "".join(rng.choice(letters, rng.integers(30, 50)))
    if motif:
      at = rng.integers(0, len(text) - 8)
      text = text[:at] + "WHCMWPKY" + text[at + 8:]
    return text

  pos = _write_fasta(tmp_path / "pos.fa", [(f"p{i}", sequence(True)) for i in range(120)])
  neg = _write_fasta(tmp_path / "neg.fa", [(f"n{i}", sequence(False)) for i in range(120)])
  config = load_config("gakco", "lsgkm")
  config.data.positives, config.data.negatives = pos, neg
  config.model.alphabet, config.model.g, config.model.k = "protein", 5, 3
  config.model.approximation, config.model.landmarks = approximation, 60
  workdir = tmp_path / "run"
  results = runner.run("train", config, str(workdir))
  print(f"{approximation}: test AUROC {results['test']['auroc']:.3f}")
  assert results["test"]["auroc"] > 0.9 and results["alphabet"] == alphabets.PROTEIN.letters
  # The saved model scores the test split exactly as the run did.
  rows = [line.split("\t") for line in (workdir / "predictions" / "test.tsv").read_text()
          .splitlines()[1:]]
  ids, texts = lsgkm_io.read_fasta(pos)
  by_id = dict(zip(ids, texts))
  by_id.update(zip(*lsgkm_io.read_fasta(neg)))
  new = _write_fasta(tmp_path / "new.fa", [(name, by_id[name]) for name, _, _ in rows])
  out = predict.predict_file(str(workdir), new, str(tmp_path / "scores.txt"))
  scored = [line.split("\t") for line in open(out).read().splitlines()]
  assert [name for name, _ in scored] == [name for name, _, _ in rows]
  np.testing.assert_allclose([float(s) for _, s in scored], [float(s) for _, s, _ in rows],
                             rtol=1e-4, atol=1e-5)
  with pytest.raises(UserError, match="scores.txt already exists"):
    predict.predict_file(str(workdir), new, str(tmp_path / "scores.txt"))


def test_lsgkm_fasta_errors(tmp_path):
  bad = tmp_path / "bad.fa"
  bad.write_text("ACGT\n>x\nACGT\n")
  with pytest.raises(DataFormatError, match=r"bad.fa, line 1: expected a FASTA header"):
    lsgkm_io.read_fasta(str(bad))
  bad.write_text(">x\n>y\nACGT\n")
  with pytest.raises(DataFormatError, match=r"bad.fa, line 1: record 'x' has no sequence"):
    lsgkm_io.read_fasta(str(bad))
