r"""Training speed of the original AttentiveChrome's PyTorch structure, the baseline of regjax's target.

  pip install -e ".[bench]"
  python benchmarks/attentivechrome_original_speed.py            # batch 16 and 256, genes/s
  python benchmarks/attentivechrome_original_speed.py --paired_rounds=8 --seconds=3
      # the same alternated with regjax's step in one process: per-round and median ratios

regjax's AttentiveChrome speed is quoted as a multiple of the original code's training speed on
the same machine. A shared VM drifts by up to 1.5x between minutes, so `--paired_rounds`
alternates the two steps in one process and reports the ratio of each round.

The model below restates, for timing only, the computation of QData/AttentiveChrome
v2PyTorch/models.py (`att_chrome`): one `nn.LSTM(1, 32, bidirectional=True)` per mark, called in a
Python loop over the 5 marks; bin-level attention whose scores are one `torch.mm` per example in a
Python loop over the batch, each concatenated onto the scores so far (the original's
`batch_product`, whose cost grows with the batch squared), softmax over bins and a `bmm`; the
same for the HM level (16 units per direction); `Linear(32, 1)` and a sigmoid; `BCELoss`,
gradient-norm clip 1 and Adam, as its train.py. Inputs are random counts of the bundled shape
(100 bins, 5 marks); torch uses every core, as JAX does.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time


def build_model(torch, num_marks: int = 5, hidden: int = 32):
  nn = torch.nn

  class Attention(nn.Module):
    """Softmax over positions of (states . context); per-example products as the original."""

    def __init__(self, size: int):
      super().__init__()
      self.context = nn.Parameter(torch.empty(size, 1).uniform_(-0.1, 0.1))

    def forward(self, states):                      # [B, T, D]
      # Like the original's batch_product: one product per example, the result grown by one row
      # at a time (a new concatenation per example, so its cost grows with the batch squared).
      scores = torch.mm(states[0], self.context).unsqueeze(0)
      for b in range(1, states.shape[0]):
        scores = torch.cat((scores, torch.mm(states[b], self.context).unsqueeze(0)), 0)
      scores = scores.squeeze(2)                                              # [B, T]
      alpha = torch.softmax(scores, dim=1)
      return torch.bmm(alpha.unsqueeze(1), states), alpha                    # [B, 1, D]

  class Encoder(nn.Module):
    def __init__(self, inputs: int, units: int):
      super().__init__()
      self.lstm = nn.LSTM(inputs, units, bidirectional=True)
      self.attention = Attention(2 * units)

    def forward(self, sequence):                    # [T, B, inputs]
      states, _ = self.lstm(sequence)
      return self.attention(states.permute(1, 0, 2))

  class AttentiveChrome(nn.Module):
    def __init__(self):
      super().__init__()
      self.marks = nn.ModuleList([Encoder(1, hidden) for _ in range(num_marks)])
      self.hm_level = Encoder(2 * hidden, hidden // 2)
      self.out = nn.Linear(hidden, 1)
      for parameter in self.parameters():
        parameter.data.uniform_(-0.1, 0.1)

    def forward(self, x):                           # [B, T, M]
      reps = [encoder(x[:, :, m].t().unsqueeze(2))[0] for m, encoder in enumerate(self.marks)]
      level1 = torch.cat(reps, 1).permute(1, 0, 2)  # [M, B, 2H]
      final, _ = self.hm_level(level1)
      return torch.sigmoid(self.out(final.squeeze(1)))

  return AttentiveChrome()


def make_stepper(batch_size: int, device: str = "cpu"):
  """The original's training step on one random batch; returns run(seconds) -> (steps, seconds).
  On "cuda" the original's nn.LSTMs run through cuDNN, as its train.py does on a GPU."""
  import torch  # noqa: PLC0415
  torch.manual_seed(0)
  model = build_model(torch).to(device)
  optimizer = torch.optim.Adam(model.parameters(), lr=2e-4)
  loss_fn = torch.nn.BCELoss()
  x = torch.poisson(torch.full((batch_size, 100, 5), 2.0)).to(device)
  y = torch.randint(0, 2, (batch_size, 1)).float().to(device)
  synchronize = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)

  def run(seconds: float) -> tuple[int, float]:
    steps, start = 0, time.perf_counter()
    while True:
      optimizer.zero_grad()
      loss = loss_fn(model(x), y)
      loss.backward()
      torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
      optimizer.step()
      steps += 1
      if time.perf_counter() - start >= seconds:
        synchronize()  # GPU work is asynchronous: count it finished
        return steps, time.perf_counter() - start

  run(0)
  return run


def paired(batch_size: int, rounds: int, seconds: float,
           device: str = "cpu") -> list[tuple[float, float]]:
  """Alternates `seconds` of the original's steps with `seconds` of regjax's, `rounds` times, in
  one process: both see the same machine at nearly the same moment, so the ratio of each pair is
  free of the shared VM's drift (up to 1.5x between minutes). Returns (original, regjax) genes/s."""
  sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
  import train_throughput  # noqa: PLC0415

  from regjax import config_loader  # noqa: PLC0415 (JAX only when regjax is timed too)
  config = config_loader.load_config("configs/attentivechrome.py")
  ours, theirs = train_throughput.make_stepper(config, batch_size), make_stepper(batch_size, device)
  pairs = []
  for _ in range(rounds):
    rates = []
    for run in (theirs, ours):
      steps, elapsed = run(seconds)
      rates.append(steps * batch_size / elapsed)
    pairs.append(tuple(rates))
    print(f"  batch {batch_size:4d}: original {rates[0]:6.0f}, regjax {rates[1]:6.0f} genes/s, "
          f"ratio {rates[1] / rates[0]:.2f}", flush=True)
  return pairs


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--batch_sizes", default="16,256")
  parser.add_argument("--seconds", type=float, default=5.0, help="timed seconds per measurement")
  parser.add_argument("--paired_rounds", type=int, default=0,
                      help="also time regjax's AttentiveChrome step in this many alternating "
                      "rounds per batch size and print the median ratio")
  parser.add_argument("--device", default="cpu", help="torch device of the original: cpu or "
                      "cuda (regjax runs on JAX's default backend, the GPU where there is one)")
  args = parser.parse_args()
  import torch  # noqa: PLC0415
  print(f"{platform.node()}: {os.cpu_count()} CPU cores, torch {torch.__version__} "
        f"({torch.get_num_threads()} threads), original on {args.device}")
  for batch_size in [int(b) for b in args.batch_sizes.split(",")]:
    if args.paired_rounds:
      pairs = paired(batch_size, args.paired_rounds, args.seconds, args.device)
      ratios = sorted(ours / theirs for theirs, ours in pairs)
      print(f"batch {batch_size:4d}: regjax / original median {statistics.median(ratios):.2f}x "
            f"(range {ratios[0]:.2f}-{ratios[-1]:.2f}, {len(ratios)} rounds); median genes/s "
            f"original {statistics.median(p[0] for p in pairs):.0f}, "
            f"regjax {statistics.median(p[1] for p in pairs):.0f}", flush=True)
      continue
    steps, elapsed = make_stepper(batch_size, args.device)(args.seconds)
    print(f"original AttentiveChrome (PyTorch) batch {batch_size:4d}: "
          f"{steps * batch_size / elapsed:8.0f} genes/s", flush=True)


if __name__ == "__main__":
  main()
