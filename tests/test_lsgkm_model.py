"""lsgkm's model.txt: the kernel against its definition, the file's round trip, the CLI paths."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from regjax import export, predict, runner
from regjax.baselines import gkm, gkm_model, lsgkm_model
from regjax.errors import DataFormatError, UserError
from tests.conftest import TEST_SEED, load_config

COMPLEMENT = str.maketrans("ACGT", "TGCA")


def _random_dna(rng, count, low, high, with_n=False):
  letters = list("ACGTN" if with_n else "ACGT")
  return ["".join(rng.choice(letters, rng.integers(low, high + 1))) for _ in range(count)]


def _brute_kernel(a, b, model):
  """lsgkm's k(x, y) by its definition: every l-mer of x against every l-mer of y (and of y's
  reverse complement unless norc), weighted by the number of mismatches; non-ACGT as A."""
  weights = model.weights()

  def lmers(text):
    text = "".join(c if c in "ACGT" else "A" for c in text.upper())
    return [text[i:i + model.L] for i in range(len(text) - model.L + 1)]

  def raw(x, y):
    others = lmers(y) + ([] if model.norc else lmers(y.translate(COMPLEMENT)[::-1]
                                                     .replace("N", "T")))
    total = 0.0
    for u, v in itertools.product(lmers(x), others):
      m = sum(p != q for p, q in zip(u, v))
      total += weights[m] if m <= model.d else 0.0
    return total

  return np.array([[raw(x, y) / np.sqrt(raw(x, x) * raw(y, y)) for y in b] for x in a])


def _model(kernel_type="gkm_cnt", L=5, k=3, d=2, norc=0, vectors=(), coefficients=()):
  return lsgkm_model.LsgkmModel(kernel_type, L, k, d, norc, 0.0, np.asarray(coefficients,
                                                                            np.float64),
                                list(vectors))


@pytest.mark.parametrize("kernel_type,d,norc", [("gkm_cnt", 2, 0), ("gkm_cnt", 1, 1),
                                                ("gkm_esttrunc", 2, 0), ("gkm_estfull", 0, 0)])
def test_kernel_equals_its_definition(kernel_type, d, norc):
  rng = np.random.default_rng(TEST_SEED)
  a = _random_dna(rng, 5, 7, 14, with_n=True)
  b = _random_dna(rng, 4, 6, 12, with_n=True)
  model = _model(kernel_type, L=5, k=3, d=d, norc=norc)
  np.testing.assert_allclose(lsgkm_model.normalized_kernel(a, b, model), _brute_kernel(a, b, model),
                             rtol=1e-12, atol=1e-12)


def test_full_gkm_cnt_on_one_strand_is_regjax_gkm_kernel():
  rng = np.random.default_rng(TEST_SEED)
  a, b = _random_dna(rng, 6, 30, 40), _random_dna(rng, 5, 25, 45)
  model = _model("gkm_cnt", L=6, k=4, d=2, norc=1)
  codes_a, lengths_a = lsgkm_model.encode(a)
  codes_b, lengths_b = lsgkm_model.encode(b)
  expected = gkm.gkm_kernel(codes_a, codes_b, 6, 4, lengths_a=lengths_a, lengths_b=lengths_b)
  np.testing.assert_allclose(lsgkm_model.normalized_kernel(a, b, model), expected, rtol=1e-10)


def test_estimated_lmer_weights_shape():
  """gkm-SVM's truncated filter gives positive weights falling with the mismatches and none past
  L - k; the full filter's oscillate in sign."""
  truncated = lsgkm_model.lmer_estimate_weights(10, 6, truncated=True)
  assert np.all(np.diff(truncated[:5]) < 0) and np.all(truncated[:5] > 0)
  assert np.all(truncated[5:] == 0)
  full = lsgkm_model.lmer_estimate_weights(10, 6, truncated=False)
  assert full[0] > full[1] > full[2] > 0 > full[3]


def _write_fasta(path, records):
  path.write_text("".join(f">{name}\n{text}\n" for name, text in records))
  return str(path)


@pytest.mark.slow   # trains a gkm-SVM, 10 s
def test_export_read_back_and_score_like_regjax(tmp_path):
  """A regjax gkm-SVM exported as model.txt, read back and scored through --mode=predict
  --model=MODEL.txt, gives the workdir's own scores."""
  rng = np.random.default_rng(TEST_SEED)
  motif = "GCCACTAG"

  def sequence(planted):
    text = "".join(rng.choice(list("ACGT"), 40))
    if planted:
      at = rng.integers(0, 32)
      text = text[:at] + motif + text[at + 8:]
    return text

  pos = _write_fasta(tmp_path / "pos.fa", [(f"p{i}", sequence(True)) for i in range(50)])
  neg = _write_fasta(tmp_path / "neg.fa", [(f"n{i}", sequence(False)) for i in range(50)])
  config = load_config("gakco", "lsgkm")
  config.data.positives, config.data.negatives = pos, neg
  config.model.alphabet, config.model.g, config.model.k = "dna", 6, 3
  workdir = tmp_path / "run"
  runner.run("train", config, str(workdir))
  model_txt = export.export_gkm(str(workdir), str(tmp_path / "run.model.txt"))
  lines = open(model_txt).read().splitlines()
  assert lines[:7] == ["svm_type c_svc", "kernel_type gkm_cnt", "L 6", "k 3", "d 3", "norc 1",
                       "nr_class 2"]
  read = lsgkm_model.read(model_txt)
  saved = gkm_model.load(str(workdir))
  assert read.rho == pytest.approx(-saved.intercept, rel=1e-15)
  assert sorted(read.coefficients) == pytest.approx(sorted(saved.coefficients), rel=1e-15)

  new = _write_fasta(tmp_path / "new.fa", [(f"q{i}", sequence(i % 2 == 0)) for i in range(12)])
  ours = predict.predict_file(str(workdir), new, str(tmp_path / "ours.txt"))
  theirs = predict.predict_file(None, new, str(tmp_path / "theirs.txt"), model=model_txt)
  read_scores = lambda path: [line.split("\t") for line in open(path).read().splitlines()]
  (ids_a, scores_a), (ids_b, scores_b) = (zip(*read_scores(p)) for p in (ours, theirs))
  assert ids_a == ids_b
  np.testing.assert_allclose(np.float64(scores_b), np.float64(scores_a), rtol=1e-4, atol=1e-5)
  with pytest.raises(UserError, match="already exists"):
    export.export_gkm(str(workdir), model_txt)
  with pytest.raises(UserError, match="NAME.model.txt"):
    export.export_gkm(str(workdir), str(tmp_path / "model_dir"))


def test_read_lsgkm_default_model_with_both_strands(tmp_path):
  """A model in lsgkm's default form (esttrunc, norc 0, label order 1 -1) scores as the
  definition says."""
  vectors = ["ACGTACGTTGCA", "TTTTGGGGCCCA", "ACGATCGATCGG"]
  path = tmp_path / "lsgkm.model.txt"
  path.write_text("svm_type c_svc\nkernel_type gkm_esttrunc\nL 6\nk 4\nd 2\nnorc 0\nnr_class 2\n"
                  "total_sv 3\nrho 0.25\nlabel 1 -1\nnr_sv 2 1\nSV\n"
                  f"0.5 {vectors[0]}\n0.75 {vectors[1]}\n-1.25 {vectors[2]}\n")
  model = lsgkm_model.read(str(path))
  assert (model.kernel_type, model.L, model.k, model.d, model.norc) == ("gkm_esttrunc", 6, 4, 2, 0)
  queries = ["ACGTACGTAAAC", "GGGGCCCATTTTGG", "ACGATNGATCGGA"]
  expected = _brute_kernel(queries, vectors, model) @ np.array([0.5, 0.75, -1.25]) - 0.25
  np.testing.assert_allclose(model.score(queries), expected, rtol=1e-12)


@pytest.mark.parametrize("text,message", [
    ("kernel_type gkm_cnt\n", r"no 'SV' line"),
    ("svm_type nu_svc\nSV\n", r"line 1: svm_type 'nu_svc'"),
    ("svm_type c_svc\nkernel_type wgkmrbf\nSV\n", r"line 2: kernel_type 'wgkmrbf' is not supported"),
    ("svm_type c_svc\nkernel_type gkm_cnt\nnr_class 2\nL ten\nSV\n",
     r"line 4: 'L' needs an integer, got 'ten'"),
    ("svm_type c_svc\nkernel_type gkm_cnt\nnr_class 2\nL 6\nk 4\nd 3\ntotal_sv 1\nrho 0\nSV\n",
     r"need 0 < k <= L and 0 <= d <= L - k"),
    ("svm_type c_svc\nkernel_type gkm_cnt\nnr_class 2\nL 6\nk 4\nd 2\ntotal_sv 2\nrho 0\nSV\n"
     "0.5 ACGTACGT\n", r"total_sv says 2 support vectors, the file has 1"),
    ("svm_type c_svc\nkernel_type gkm_cnt\nnr_class 2\nL 6\nk 4\nd 2\ntotal_sv 1\nrho 0\nSV\n"
     "half ACGTACGT\n", r"line 10: the coefficient 'half' is not a number"),
])
def test_model_file_errors(tmp_path, text, message):
  path = tmp_path / "bad.model.txt"
  path.write_text(text)
  with pytest.raises(DataFormatError, match=r"bad.model.txt(, )?.*" + message):
    lsgkm_model.read(str(path))


def test_only_exact_dna_models_export(tmp_path):
  from regjax.baselines import alphabets
  base = dict(g=6, k=3, fixed_length=0, intercept=0.1, vector_lengths=np.array([8]),
              coefficients=np.array([1.0]))
  protein = gkm_model.GkmModel("exact", alphabet=alphabets.PROTEIN,
                               vectors=np.zeros((1, 8), np.uint8), **base)
  with pytest.raises(UserError, match="alphabet is protein"):
    lsgkm_model.from_gkm_model(protein)
  with_n = gkm_model.GkmModel("exact", alphabet=alphabets.DNA,
                              vectors=np.array([[0, 1, 4, 2, 3, 0, 1, 2]], np.uint8), **base)
  with pytest.raises(UserError, match="1 support vectors have letters other than A, C, G, T"):
    lsgkm_model.from_gkm_model(with_n)
  nystroem = gkm_model.GkmModel("nystroem", alphabet=alphabets.DNA,
                                vectors=np.zeros((1, 8), np.uint8), **base)
  with pytest.raises(UserError, match="this one is nystroem"):
    lsgkm_model.from_gkm_model(nystroem)


def test_scoring_in_blocks_equals_one_block(monkeypatch):
  rng = np.random.default_rng(TEST_SEED)
  vectors = _random_dna(rng, 20, 30, 30)
  queries = _random_dna(rng, 23, 12, 40, with_n=True)
  model = lsgkm_model.LsgkmModel("gkm_esttrunc", 8, 5, 3, 0, 0.3, rng.normal(size=20), vectors)
  whole = model.score(queries)
  monkeypatch.setattr(lsgkm_model, "BLOCK_BYTES", 8 * 20 * 2 * 9 * 5)   # blocks of 5 sequences
  seen = []
  blocks = model.score(queries, progress=lambda done, total: seen.append((done, total)))
  assert seen == [(5, 23), (10, 23), (15, 23), (20, 23), (23, 23)]
  np.testing.assert_allclose(blocks, whole, rtol=1e-12, atol=1e-14)
