r"""Interpretation speed, side by side: regjax vs PyTorch peers on the DeepMotif CNN (101 bp).

  pip install -e ".[bench]"          # torch (CPU), captum, tangermeme
  python benchmarks/interpret_speed.py

The same weights run in both frameworks (the regjax CNN's parameters copied into an equivalent
torch.nn model; the outputs are checked equal). Both explain the same score, the log-odds of
"bound" (logit 1 - logit 0). Measured, in sequences per second, after one warm-up call:
* saliency: regjax `saliency` vs captum `Saliency`;
* integrated gradients, 50 steps (midpoint rule in both), zero and dinucleotide-shuffled
  baselines: regjax `integrated_gradients` (its first-layer-once path, `fast_ig`; and, for
  reference, gradients of the whole model at every step) vs captum `IntegratedGradients`;
* full in-silico mutagenesis (every position, every base): regjax `in_silico_mutagenesis` (its
  windowed path, recomputing only each substitution's receptive field; and, for reference, full
  forward passes of every mutant) vs tangermeme `saturation_mutagenesis` (fastISM, its default
  in tangermeme >= 1.6).
Threads: torch uses as many as JAX does (all cores).
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
from regjax import interpret  # noqa: E402
from regjax.datasets import sequences  # noqa: E402
from regjax.models.deepmotif import DeepMotifCNN  # noqa: E402


def torch_twin(params):
  """A torch.nn DeepMotif CNN with the regjax parameters, returning logit 1 - logit 0 [N, 1]."""
  import torch
  from torch import nn

  class Twin(nn.Module):
    def __init__(self):
      super().__init__()
      self.convs = nn.ModuleList([nn.Conv1d(4, 128, 9), nn.Conv1d(128, 128, 5),
                                  nn.Conv1d(128, 128, 3)])
      self.output = nn.Linear(128, 2)

    def forward(self, x):                      # x: [N, 4, L] (channels first)
      for i, conv in enumerate(self.convs):
        x = torch.relu(conv(x))
        if i < 2:
          x = nn.functional.max_pool1d(x, 2)
      logits = self.output(x.max(dim=-1).values)
      return (logits[:, 1] - logits[:, 0])[:, None]

  twin = Twin().eval()
  with torch.no_grad():
    for i, conv in enumerate(twin.convs):
      kernel = np.asarray(params["convs_" + str(i)]["kernel"])       # [w, in, out]
      conv.weight.copy_(torch.from_numpy(kernel.transpose(2, 1, 0).copy()))
      conv.bias.copy_(torch.from_numpy(np.array(params["convs_" + str(i)]["bias"])))
    twin.output.weight.copy_(torch.from_numpy(np.asarray(params["output"]["kernel"]).T.copy()))
    twin.output.bias.copy_(torch.from_numpy(np.array(params["output"]["bias"])))
  return twin


def rate(fn, count: int, repeats: int = 1) -> float:
  fn()  # warm-up: compilation / first-call costs are not counted
  start = time.perf_counter()
  for _ in range(repeats):
    fn()
  return count * repeats / (time.perf_counter() - start)


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--saliency", type=int, default=4000, help="sequences for saliency")
  parser.add_argument("--ig", type=int, default=256, help="sequences for integrated gradients")
  parser.add_argument("--ism", type=int, default=128, help="sequences for ISM")
  args = parser.parse_args()
  import torch
  from captum.attr import IntegratedGradients, Saliency
  from tangermeme.saturation_mutagenesis import saturation_mutagenesis
  torch.set_num_threads(os.cpu_count())
  print(machine() + f"; torch {torch.__version__}, {torch.get_num_threads()} threads")

  model = DeepMotifCNN()
  params = model.init(jax.random.key(0), jnp.zeros((1, 101, 4)))["params"]
  rng = np.random.default_rng(0)
  x = sequences.one_hot(rng.integers(0, 4, (args.saliency, 101)).astype(np.uint8))
  twin = torch_twin(params)
  xt = torch.from_numpy(x.transpose(0, 2, 1).copy())
  score = interpret.model_score(model.apply)
  ours = np.asarray(jax.jit(score)(params, x[:64]))
  theirs = twin(xt[:64]).detach().numpy()[:, 0]
  print(f"same model: max |score difference| {np.abs(ours - theirs).max():.2e}")

  results = {}
  results["saliency"] = (
      rate(lambda: interpret.saliency(model.apply, params, x, chunk_size=500), len(x), 3),
      rate(lambda: Saliency(twin).attribute(xt.clone().requires_grad_(), target=0, abs=False),
           len(x), 3))
  maps = interpret.saliency(model.apply, params, x[:64])
  captum_maps = Saliency(twin).attribute(xt[:64].clone().requires_grad_(), target=0, abs=False)
  print(f"saliency agreement: max |difference| "
        f"{np.abs(maps - captum_maps.numpy().transpose(0, 2, 1)).max():.2e}")
  xi, xti = x[:args.ig], xt[:args.ig]
  codes = np.argmax(xi, axis=-1).astype(np.uint8)
  shuffled = interpret.shuffled_baselines(codes)
  shuffled_t = torch.from_numpy(shuffled.transpose(0, 2, 1).copy())
  # Captum's "riemann_middle" is regjax's midpoint rule: the same 50 gradient points.
  captum_ig = IntegratedGradients(twin)
  for label, base, base_t in (("zero baseline", None, None),
                              ("shuffled baselines", shuffled, shuffled_t)):
    peer = rate(lambda: captum_ig.attribute(xti, base_t, target=0, n_steps=50,
                                            method="riemann_middle", internal_batch_size=800),
                len(xi))
    results[f"IG 50 steps, {label}"] = (
        rate(lambda: interpret.integrated_gradients(model.apply, params, xi, base, steps=50),
             len(xi)), peer)
    results[f"  same, generic path ({label.split()[0]})"] = (
        rate(lambda: interpret.integrated_gradients(model.apply, params, xi, base, steps=50,
                                                    method="generic"), len(xi)), peer)
    ig = interpret.integrated_gradients(model.apply, params, xi[:32], None if base is None
                                        else base[:32], steps=50)
    captum_maps = captum_ig.attribute(xti[:32], None if base_t is None else base_t[:32],
                                      target=0, n_steps=50, method="riemann_middle")
    print(f"IG agreement ({label}): max |difference| "
          f"{np.abs(ig - captum_maps.numpy().transpose(0, 2, 1)).max():.2e} "
          f"(largest attribution {np.abs(ig).max():.2e})")
  xm, xtm = x[:args.ism], xt[:args.ism]
  peer_ism = rate(lambda: saturation_mutagenesis(twin, xtm, batch_size=256, device="cpu"), len(xm))
  results["in-silico mutagenesis (full)"] = (
      rate(lambda: interpret.in_silico_mutagenesis(model.apply, params, xm), len(xm)), peer_ism)
  results["  same, full forward passes"] = (
      rate(lambda: interpret.in_silico_mutagenesis(model.apply, params, xm, method="full"),
           len(xm)), peer_ism)
  print(f"{'method':34s} {'regjax seq/s':>13s} {'peer seq/s':>11s} {'ratio':>7s}")
  for name, (ours_rate, peer_rate) in results.items():
    print(f"{name:34s} {ours_rate:13.0f} {peer_rate:11.0f} {ours_rate / peer_rate:7.2f}x")


if __name__ == "__main__":
  main()
