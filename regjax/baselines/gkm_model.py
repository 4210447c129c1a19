"""A trained gkm-SVM as a file (`gkm_model.npz` in the workdir), and scoring new sequences with it.

Two kinds, as trained by `regjax.baselines.gakco`:
- exact: the support vectors (codes, lengths), their dual coefficients and the intercept;
  score(S) = sum_j alpha_j K(S, SV_j) + b with the normalised gkm kernel;
- nystroem: the landmarks, the projection (`gkm_nystroem`) and the linear SVM's weights;
  score(S) = phi(S) . w + b.
Sequences are encoded as in training: to `fixed_length` letters (centre crop or N padding, the
DeepBind DNA data) when it is set, otherwise at their own lengths in the model's alphabet.
"""

from __future__ import annotations

import dataclasses
import json
import os

import numpy as np

from regjax.baselines import alphabets, gkm
from regjax.baselines.gkm_nystroem import NystroemMap
from regjax.errors import DataFormatError

FILENAME = "gkm_model.npz"


@dataclasses.dataclass
class GkmModel:
  """kind 'exact' or 'nystroem'; arrays as named in the module docstring."""

  kind: str
  g: int
  k: int
  alphabet: alphabets.Alphabet
  fixed_length: int
  intercept: float
  vectors: np.ndarray               # exact: support vectors; nystroem: landmarks (codes [m, L])
  vector_lengths: np.ndarray        # their lengths [m]
  coefficients: np.ndarray          # exact: dual coefficients [m]; nystroem: weights [r]
  projection: np.ndarray | None = None   # nystroem: [m, r]

  def encode(self, sequences: list[str]) -> tuple[np.ndarray, np.ndarray | None]:
    if self.fixed_length:
      from regjax.datasets import sequences as dna
      return np.stack([dna.encode(s, self.fixed_length) for s in sequences]), None
    return self.alphabet.encode(sequences)

  def decision_function(self, codes: np.ndarray, lengths: np.ndarray | None = None) -> np.ndarray:
    """Scores [N] of encoded sequences (codes [N, L], optional lengths [N])."""
    if self.kind == "nystroem":
      mapping = NystroemMap(self.vectors, self.vector_lengths, self.projection, self.g, self.k,
                            self.alphabet.size)
      return mapping.transform(codes, lengths) @ self.coefficients + self.intercept
    kernel = gkm.gkm_kernel(codes, self.vectors, self.g, self.k, alphabet_size=self.alphabet.size,
                            lengths_a=lengths, lengths_b=self.vector_lengths)
    return kernel @ self.coefficients + self.intercept

  def score(self, sequences: list[str]) -> np.ndarray:
    return self.decision_function(*self.encode(sequences))

  def save(self, workdir: str) -> str:
    path = os.path.join(workdir, FILENAME)
    meta = {"kind": self.kind, "g": self.g, "k": self.k, "fixed_length": self.fixed_length,
            "intercept": self.intercept, "alphabet": dataclasses.asdict(self.alphabet)}
    arrays = {"vectors": self.vectors, "vector_lengths": self.vector_lengths,
              "coefficients": self.coefficients}
    if self.projection is not None:
      arrays["projection"] = self.projection
    try:
      np.savez_compressed(path, meta=json.dumps(meta), **arrays)
    except OSError as e:
      raise OSError(e.errno, f"cannot write the gkm model ({e.strerror})", path) from None
    return path


def exists(workdir: str | None) -> bool:
  return bool(workdir) and os.path.isfile(os.path.join(workdir, FILENAME))


def load(workdir: str) -> GkmModel:
  path = os.path.join(workdir, FILENAME)
  try:
    with np.load(path) as data:
      meta = json.loads(str(data["meta"]))
      arrays = {name: data[name] for name in data.files if name != "meta"}
  except (OSError, ValueError, KeyError) as e:
    raise DataFormatError(path, f"not a regjax gkm model ({e})") from None
  return GkmModel(meta["kind"], meta["g"], meta["k"], alphabets.Alphabet(**meta["alphabet"]),
                  meta["fixed_length"], meta["intercept"], arrays["vectors"],
                  arrays["vector_lengths"], arrays["coefficients"], arrays.get("projection"))
