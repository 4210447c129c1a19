"""Published AttentiveChrome weights read without torch, and the model directory they become."""

from __future__ import annotations

import json
import pickle
import shutil
import subprocess
import sys

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

import regjax
from regjax import model_dir
from regjax.datasets import histone_csv, histone_sources
from regjax.errors import DataFormatError, UserError
from regjax.pretrained import attentivechrome, torch_legacy
from tests.conftest import REPO

WEIGHTS = REPO / "tests" / "data" / "pretrained" / "E003_attchrome_avgAUC_model.pt"
EXPECTED = REPO / "tests" / "data" / "pretrained" / "deepchrome_toy_test_expected.tsv"
TOY_TEST = histone_sources.bundled_data_dir() / "deepchrome_toy" / "test.csv"


def test_legacy_reader_gives_every_tensor_of_the_published_file():
  state = torch_legacy.load_state_dict(WEIGHTS)
  assert len(state) == 56
  assert state["rnn_hms.0.rnn.weight_ih_l0"].shape == (128, 1)
  assert state["hm_level_rnn_1.rnn.weight_hh_l0"].shape == (64, 16)
  assert state["fdiff1_1.weight"].dtype == np.float32
  assert sum(v.size for v in state.values()) == 55_681  # AttentiveChrome's published count


@pytest.mark.slow
def test_imported_model_reproduces_the_original_outputs(tmp_path):
  out = tmp_path / "e003"
  done = subprocess.run([sys.executable, "-m", "regjax.import_weights", "attentivechrome",
                         str(WEIGHTS), f"--output={out}", "--cell=E003"], cwd=REPO,
                        capture_output=True, text=True)
  assert done.returncode == 0, done.stderr
  model = regjax.load_model(out)
  toy = histone_csv.read_deepchrome_csv(TOY_TEST)
  np.testing.assert_allclose(model.predict(toy.marks), np.loadtxt(EXPECTED), atol=1e-5, rtol=0)
  shipped = regjax.load_model("pretrained:attentivechrome_E003")
  np.testing.assert_array_equal(shipped.predict(toy.marks), model.predict(toy.marks))
  assert "E003" in shipped.describe() and "H3K27me3" in shipped.describe()
  # The bundled valid genes are the only ones the published model never saw.
  valid = histone_sources.load_bundled_split("E003", "valid")
  auroc = roc_auc_score(valid.labels, shipped.predict(valid.marks, batch_size=64))
  print(f"published AttentiveChrome E003 on the bundled E003 valid split: AUROC {auroc:.4f}")
  assert auroc == pytest.approx(0.865, abs=0.01)


def test_foreign_or_damaged_files_are_one_clear_error(tmp_path):
  zipped = tmp_path / "new.pt"
  zipped.write_bytes(b"PK\x03\x04" + b"\0" * 100)
  with pytest.raises(DataFormatError, match="zip-format torch file"):
    torch_legacy.load_state_dict(zipped)
  truncated = tmp_path / "cut.pt"
  truncated.write_bytes(WEIGHTS.read_bytes()[:-1000])
  with pytest.raises(DataFormatError, match="truncated"):
    torch_legacy.load_state_dict(truncated)
  evil = tmp_path / "evil.pt"
  with open(evil, "wb") as f:
    for item in (torch_legacy.MAGIC_NUMBER, torch_legacy.PROTOCOL_VERSION, {}):
      pickle.dump(item, f)
    f.write(b"cos\nsystem\n(S'true'\ntR.")  # a pickle that would run os.system
  with pytest.raises(DataFormatError, match="os.system, which is not part of a plain state_dict"):
    torch_legacy.load_state_dict(evil)
  state = torch_legacy.load_state_dict(WEIGHTS)
  del state["fdiff1_1.bias"]
  with pytest.raises(DataFormatError, match="missing fdiff1_1.bias"):
    attentivechrome.convert_state_dict(state)


def test_damaged_model_directories_are_refused(tmp_path):
  with pytest.raises(DataFormatError, match="no model.json"):
    regjax.load_model(tmp_path)
  copy = tmp_path / "copy"
  shutil.copytree(model_dir.resolve("pretrained:attentivechrome_E003"), copy)
  spec = json.loads((copy / "model.json").read_text())
  spec["model"]["bin_hidden_size"] = 16
  (copy / "model.json").write_text(json.dumps(spec))
  with pytest.raises(DataFormatError, match="do not fit the architecture"):
    regjax.load_model(copy)
  spec["format_version"] = 99
  (copy / "model.json").write_text(json.dumps(spec))
  with pytest.raises(DataFormatError, match="format version 99"):
    regjax.load_model(copy)
  with pytest.raises(UserError, match="no pretrained model 'nope'; shipped: attentivechrome_E003"):
    regjax.load_model("pretrained:nope")


def test_the_readme_lines_interpret_a_published_model():
  from regjax import interpret
  model = regjax.load_model("pretrained:attentivechrome_E003")
  marks = histone_csv.read_deepchrome_csv(TOY_TEST).marks
  maps = interpret.saliency(model.apply_fn, model.params, marks)
  assert maps.shape == marks.shape and np.all(np.isfinite(maps))
  attention = interpret.attention_maps(model.module, model.params, marks)
  np.testing.assert_allclose(attention["alpha"].sum(-1), 1.0, atol=1e-5)
  assert attention["beta"].shape == (10, 5)
