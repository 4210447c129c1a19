r"""DeepSHAP side by side: regjax `deep_shap` vs tangermeme `deep_lift_shap` on the DeepMotif CNN.

  pip install -e ".[bench]"          # torch (CPU), captum, tangermeme
  python benchmarks/deepshap_speed.py [--sequences 256] [--shuffles 20]

One set of weights runs in both frameworks (the regjax CNN's parameters copied into a torch.nn
twin built from modules, ReLU and MaxPool1d, so that tangermeme's hooks see every non-linearity;
the global max is a MaxPool1d over all 19 positions). Both explain logit 1 - logit 0 of random
101-bp sequences against the *same* 20 dinucleotide shuffles of each sequence, so their
contributions can be compared number for number (parity: the largest difference is printed).
Speed: sequences per second after a warm-up call, references given; the shuffling is timed
separately with each library's own shuffler, and the two together. Threads: torch uses as many as JAX does.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import jax
import jax.numpy as jnp
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from benchmarks.train_throughput import machine  # noqa: E402
from regjax.interpret import deeplift  # noqa: E402
from regjax.models.deepmotif import DeepMotifCNN  # noqa: E402


def module_twin(params):
  """torch.nn.Sequential DeepMotif CNN with the regjax parameters -> [N, 1] = logit 1 - logit 0."""
  import torch
  from torch import nn
  convs = [nn.Conv1d(4, 128, 9), nn.Conv1d(128, 128, 5), nn.Conv1d(128, 128, 3)]
  head = nn.Linear(128, 1)
  twin = nn.Sequential(convs[0], nn.ReLU(), nn.MaxPool1d(2), convs[1], nn.ReLU(), nn.MaxPool1d(2),
                       convs[2], nn.ReLU(), nn.MaxPool1d(19), nn.Flatten(), head).eval()
  with torch.no_grad():
    for i, conv in enumerate(convs):
      conv.weight.copy_(torch.from_numpy(np.asarray(params[f"convs_{i}"]["kernel"])
                                         .transpose(2, 1, 0).copy()))
      conv.bias.copy_(torch.from_numpy(np.array(params[f"convs_{i}"]["bias"])))
    kernel, bias = np.asarray(params["output"]["kernel"]), np.asarray(params["output"]["bias"])
    head.weight.copy_(torch.from_numpy((kernel[:, 1] - kernel[:, 0])[None].copy()))
    head.bias.copy_(torch.tensor([bias[1] - bias[0]]))
  return twin


def timed(fn, repeats: int = 1) -> tuple[float, object]:
  out = fn()  # warm-up: compilation and first-call costs are not counted
  start = time.perf_counter()
  for _ in range(repeats):
    out = fn()
  return (time.perf_counter() - start) / repeats, out


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--sequences", type=int, default=256)
  parser.add_argument("--shuffles", type=int, default=20)
  parser.add_argument("--chunk", type=int, default=32, help="regjax sequences per call")
  parser.add_argument("--batch", type=int, default=128, help="tangermeme batch size")
  args = parser.parse_args()
  import torch
  from tangermeme.deep_lift_shap import deep_lift_shap
  from tangermeme.ersatz import dinucleotide_shuffle as tm_shuffle
  torch.set_num_threads(os.cpu_count())
  print(machine() + f"; jax {jax.__version__} on {jax.devices()[0].platform}; "
        f"torch {torch.__version__}, {torch.get_num_threads()} threads")

  model = DeepMotifCNN()
  params = model.init(jax.random.key(0), jnp.zeros((1, 101, 4)))["params"]
  rng = np.random.default_rng(0)
  codes = rng.integers(0, 4, (args.sequences, 101)).astype(np.uint8)
  x = np.eye(4, dtype=np.float32)[codes]
  t_ours_shuffle, refs = timed(lambda: deeplift.shuffled_references(codes, args.shuffles, 0))
  twin = module_twin(params)
  xt = torch.from_numpy(x.transpose(0, 2, 1).copy())
  refs_t = torch.from_numpy(refs.transpose(0, 1, 3, 2).copy())          # [N, K, 4, L]
  t_tm_shuffle, _ = timed(lambda: tm_shuffle(xt, n=args.shuffles, random_state=0))
  score = deeplift.deeplift_score(model.apply)
  print(f"same model: max |score difference| "
        f"{np.abs(np.asarray(score(params, x[:64])) - twin(xt[:64]).detach().numpy()[:, 0]).max():.2e}")

  t_ours, ours = timed(lambda: deeplift.deeplift(model.apply, params, x, refs, one_hot=True,
                                                 chunk_size=args.chunk), 2)
  t_theirs, theirs = timed(lambda: deep_lift_shap(
      twin, xt, target=0, references=refs_t, batch_size=args.batch, device="cpu",
      warning_threshold=1e9))
  _, theirs_hyp = timed(lambda: deep_lift_shap(
      twin, xt, target=0, references=refs_t, batch_size=args.batch, device="cpu",
      hypothetical=True, warning_threshold=1e9))
  theirs = theirs.numpy().transpose(0, 2, 1)
  theirs_hyp = theirs_hyp.numpy().transpose(0, 2, 1)
  scale = np.abs(ours["contributions"]).max()
  print(f"parity: max |contribution difference| {np.abs(ours['contributions'] - theirs).max():.2e}"
        f" (largest contribution {scale:.2e}); max |hypothetical difference| "
        f"{np.abs(ours['hypothetical'] - theirs_hyp).max():.2e}")
  print(f"regjax summation to delta: {deeplift.summation_error(ours)}")
  n = args.sequences
  print(f"\n{'DeepSHAP, ' + str(args.shuffles) + ' refs, 101 bp':34s} {'regjax seq/s':>13s} "
        f"{'tangermeme':>11s} {'ratio':>7s}")
  print(f"{'contributions (references given)':34s} {n / t_ours:13.1f} {n / t_theirs:11.1f} "
        f"{t_theirs / t_ours:7.2f}x")
  print(f"{'dinucleotide shuffles (own code)':34s} {n / t_ours_shuffle:13.1f} "
        f"{n / t_tm_shuffle:11.1f} {t_tm_shuffle / t_ours_shuffle:7.2f}x")
  ours_total, theirs_total = t_ours + t_ours_shuffle, t_theirs + t_tm_shuffle
  print(f"{'both (shuffles + contributions)':34s} {n / ours_total:13.1f} "
        f"{n / theirs_total:11.1f} {theirs_total / ours_total:7.2f}x")


if __name__ == "__main__":
  main()
