"""A Nystroem approximation of the gkm kernel, for tens of thousands of training sequences.

The exact kernel costs ~ N^2 (N training sequences). Nystroem (Williams & Seeger 2001) picks m
landmark sequences, computes the exact kernel among them, K_mm, and between every sequence and
them, K_nm, and maps each sequence to features phi = K_nm U L^-1/2, where K_mm = U L U^T, so that
phi(S) . phi(T) approximates K(S, T) (exactly when S or T is a landmark). A linear SVM on phi then
costs ~ N m instead of N^2: with m fixed, ten times the sequences cost ten times the time.
Landmarks are a seeded, class-balanced sample of the training sequences; eigenvalues below 1e-10
of the largest are dropped (a rank-deficient K_mm).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from regjax.baselines import gkm


@dataclasses.dataclass
class NystroemMap:
  """landmarks: codes [m, L] and lengths [m]; projection [m, r] = U L^-1/2."""

  landmarks: np.ndarray
  landmark_lengths: np.ndarray
  projection: np.ndarray
  g: int
  k: int
  alphabet_size: int

  def transform(self, codes: np.ndarray, lengths: np.ndarray | None = None,
                progress=None) -> np.ndarray:
    """Features float64 [N, r] of sequences (codes [N, L'], optional lengths [N])."""
    kernel = gkm.gkm_kernel(codes, self.landmarks, self.g, self.k, progress=progress,
                            alphabet_size=self.alphabet_size, lengths_a=lengths,
                            lengths_b=self.landmark_lengths)
    return kernel @ self.projection


def fit(codes: np.ndarray, lengths: np.ndarray | None, labels: np.ndarray, num_landmarks: int,
        g: int, k: int, alphabet_size: int = 4, seed: int = 0) -> NystroemMap:
  """Picks landmarks (half from each class where possible) and computes the projection."""
  rng = np.random.default_rng(seed)
  if num_landmarks >= len(codes):
    chosen = np.arange(len(codes))
  else:
    chosen = []
    for cls in np.unique(labels):
      members = np.flatnonzero(labels == cls)
      chosen.append(rng.choice(members, min(len(members), num_landmarks // 2), replace=False))
    chosen = np.sort(np.concatenate(chosen))
  landmarks = codes[chosen]
  landmark_lengths = None if lengths is None else lengths[chosen]
  kernel = gkm.gkm_kernel(landmarks, None, g, k, alphabet_size=alphabet_size,
                          lengths_a=landmark_lengths)
  values, vectors = np.linalg.eigh(kernel)
  keep = values > 1e-10 * values.max()
  projection = vectors[:, keep] / np.sqrt(values[keep])
  return NystroemMap(landmarks, landmark_lengths, projection, g, k, alphabet_size)
