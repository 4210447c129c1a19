r"""Training speed of the original AttentiveChrome's PyTorch structure, the baseline of regjax's target.

  pip install -e ".[bench]"
  python benchmarks/attentivechrome_original_speed.py            # batch 16 and 256, genes/s

The issue sets regjax's AttentiveChrome target as a multiple of the original code's training speed
on this machine. Speeds on the shared VM drift by up to 1.5x between sessions, so this script
measures that baseline again in the session that measures regjax
(`python benchmarks/train_throughput.py --configs=configs/attentivechrome.py`).

The model below restates, for timing only, the computation of QData/AttentiveChrome
v2PyTorch/models.py (`att_chrome`): one `nn.LSTM(1, 32, bidirectional=True)` per mark, called in a
Python loop over the 5 marks; bin-level attention whose scores are one `torch.mm` per example in a
Python loop over the batch (the original's `batch_product`), softmax over bins and a `bmm`; the
same for the HM level (16 units per direction); `Linear(32, 1)` and a sigmoid; `BCELoss`,
gradient-norm clip 1 and Adam, as its train.py. Inputs are random counts of the bundled shape
(100 bins, 5 marks); torch uses every core, as JAX does.
"""

from __future__ import annotations

import argparse
import os
import platform
import time


def build_model(torch, num_marks: int = 5, hidden: int = 32):
  nn = torch.nn

  class Attention(nn.Module):
    """Softmax over positions of (states . context); per-example products as the original."""

    def __init__(self, size: int):
      super().__init__()
      self.context = nn.Parameter(torch.empty(size, 1).uniform_(-0.1, 0.1))

    def forward(self, states):                      # [B, T, D]
      scores = torch.cat([torch.mm(states[b], self.context).unsqueeze(0)
                          for b in range(states.shape[0])], 0).squeeze(2)   # [B, T]
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


def measure(batch_size: int, seconds: float) -> float:
  import torch  # noqa: PLC0415
  torch.manual_seed(0)
  model = build_model(torch)
  optimizer = torch.optim.Adam(model.parameters(), lr=2e-4)
  loss_fn = torch.nn.BCELoss()
  x = torch.poisson(torch.full((batch_size, 100, 5), 2.0))
  y = torch.randint(0, 2, (batch_size, 1)).float()

  def step():
    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()

  step()
  steps, start = 0, time.perf_counter()
  while time.perf_counter() - start < seconds:
    step()
    steps += 1
  return steps * batch_size / (time.perf_counter() - start)


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--batch_sizes", default="16,256")
  parser.add_argument("--seconds", type=float, default=5.0, help="timed seconds per measurement")
  args = parser.parse_args()
  import torch  # noqa: PLC0415
  print(f"{platform.node()}: {os.cpu_count()} CPU cores, torch {torch.__version__} "
        f"({torch.get_num_threads()} threads)")
  for batch_size in [int(b) for b in args.batch_sizes.split(",")]:
    rate = measure(batch_size, args.seconds)
    print(f"original AttentiveChrome (PyTorch) batch {batch_size:4d}: {rate:8.0f} genes/s",
          flush=True)


if __name__ == "__main__":
  main()
