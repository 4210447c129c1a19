"""DeepDiff (Sekhon, Singh & Qi, Bioinformatics 2018): differential expression between two cells.

Built from AttentiveChrome's two levels (`BinLevelEncoder`: one BiLSTM(32) + bin attention per
input channel; `MarkLevelEncoder`: BiLSTM(16) + attention over a token sequence). Inputs X_A, X_B
are the [B, 200, 5] mark counts of one gene in cells A and B; the target is
log2((expr_B + 1) / (expr_A + 1)). The seven variants of QData/DeepDiffChrome `models.py`
(docs/fidelity.md, DeepDiff), with the PyTorch parameter counts (ours are lower by one LSTM bias vector per gate):

| variant | level-1 channels (one encoder each) | mark-level sequence(s) | head |
|---|---|---|---|
| raw_d | A - B (5) | 5 tokens | Linear(32, 1) |
| raw_c | A, B (10) | 10 tokens | Linear(32, 1) |
| raw | A, B, A - B (15) | 15 tokens | Linear(32, 1) |
| aux | A (5) and B (5), separate encoders | A's 5, B's 5 (two BiLSTMs) | MLP(cat(v_A, v_B): 64-32-1); aux Linear(32, 1) per cell |
| raw_aux | A, B, A - B (15) + A (5) + B (5) | 25 tokens; aux: A's 5, B's 5 | Linear(32, 1); aux heads |
| aux_siamese | A and B through the *same* 5 encoders | A's 5, B's 5 | as aux; level-1 embeddings [B, 320] per cell |
| raw_aux_siamese | A, B, A - B (15) + shared encoders for A and B | 25 tokens; aux: A's, B's | Linear(32, 1); aux heads; embeddings |

`attend` returns everything; `__call__` returns the training outputs: {"lfc": [B]} plus
"aux_a", "aux_b" ([B], predicted log2(expr + 1) of each cell) for aux variants, plus "embedding_a",
"embedding_b" ([B, 5 * 64], the shared level-1 encodings) for siamese variants.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import linen as nn

from regjax.errors import ConfigError
from regjax.models import layers
from regjax.models.attentivechrome import BinLevelEncoder, MarkLevelEncoder
from regjax.models.recurrent import symmetric_uniform

VARIANTS = ("raw_d", "raw_c", "raw", "aux", "raw_aux", "aux_siamese", "raw_aux_siamese")
_RAW_INPUTS = {"raw_d": ("A-B",), "raw_c": ("A", "B"), "raw": ("A", "B", "A-B"),
               "raw_aux": ("A", "B", "A-B"), "raw_aux_siamese": ("A", "B", "A-B")}


def channel_names(variant: str, mark_names) -> list[str]:
  """Names of the level-1 channels in `alpha` order, e.g. "A-B:H3K4me3"."""
  groups = list(_RAW_INPUTS.get(variant, ()))
  if variant not in ("raw_d", "raw_c", "raw"):
    groups += ["A", "B"]
  return [f"{group}:{mark}" for group in groups for mark in mark_names]


class DeepDiff(nn.Module):
  """DeepDiff, all seven variants.

  Attributes:
    variant: one of VARIANTS.
    bin_hidden_size: units per direction of each channel's BiLSTM (32).
    mark_hidden_size: units per direction of the mark-level BiLSTMs (16).
    diff_hidden_size: hidden units of the aux variants' difference MLP (32).
    init_scale: every parameter starts U(-init_scale, init_scale) (0.1).
    input_transform: "none" (raw counts, as published) or "log1p" (applied before A - B).
    unroll: LSTM time steps per scan iteration (speed only).
    remat: recompute the LSTM gates in the backward pass (speed only, same numbers; off: it
      slowed the default batch of 10).
    fused_lstm: the bin-level BiLSTMs through `fused_lstm` (speed only, same parameters and
      numbers; see `BinLevelEncoder.fused`).
  """

  variant: str = "raw_d"
  bin_hidden_size: int = 32
  mark_hidden_size: int = 16
  diff_hidden_size: int = 32
  init_scale: float = 0.1
  input_transform: str = "none"
  unroll: int = 1
  remat: bool = False
  fused_lstm: bool = True

  @property
  def has_aux(self) -> bool:
    return "aux" in self.variant

  @property
  def is_siamese(self) -> bool:
    return self.variant.endswith("siamese")

  def setup(self):
    if self.variant not in VARIANTS:
      raise ConfigError(f"unknown DeepDiff variant {self.variant!r}; expected one of "
                        f"{', '.join(VARIANTS)}")

    def encoder():
      return BinLevelEncoder(self.bin_hidden_size, self.init_scale, self.unroll, self.remat,
                             self.fused_lstm)

    def mark_level():
      return MarkLevelEncoder(self.mark_hidden_size, self.init_scale, self.unroll, self.remat)

    def dense(size):
      init = symmetric_uniform(self.init_scale)
      return nn.Dense(size, kernel_init=init, bias_init=init)

    if self.variant in _RAW_INPUTS:
      self.raw_encoder = encoder()
      self.diff_level = mark_level()
      self.diff_head = dense(1)
    if self.is_siamese:
      self.shared_encoder = encoder()
    elif self.has_aux:
      self.encoder_a, self.encoder_b = encoder(), encoder()
    if self.has_aux:
      self.level_a, self.level_b = mark_level(), mark_level()
      self.aux_head_a, self.aux_head_b = dense(1), dense(1)
    if self.variant in ("aux", "aux_siamese"):
      self.diff_mlp_hidden, self.diff_mlp_out = dense(self.diff_hidden_size), dense(1)

  def attend(self, marks_a: jax.Array, marks_b: jax.Array) -> dict[str, jax.Array]:
    """Predictions, embeddings and attention maps.

    Args:
      marks_a, marks_b: float [B, T, M] read counts of the same genes in cells A and B.

    Returns:
      The `__call__` outputs plus "alpha" [B, C, T] (bin attention of every level-1 channel, in
      `channel_names` order, each summing to 1 over T) and "beta": [B, K] mark-level attention of
      the difference path (raw variants; sums to 1), or for aux / aux_siamese the concatenation
      [beta_A, beta_B] (each half sums to 1). Aux variants also give "beta_a", "beta_b" [B, M].
    """
    x_a = layers.transform_counts(marks_a, self.input_transform)
    x_b = layers.transform_counts(marks_b, self.input_transform)
    out, alphas, tokens = {}, [], []
    if self.variant in _RAW_INPUTS:
      parts = {"A": x_a, "B": x_b, "A-B": x_a - x_b}
      raw = jnp.concatenate([parts[name] for name in _RAW_INPUTS[self.variant]], axis=-1)
      raw_tokens, raw_alpha = self.raw_encoder(raw)
      alphas.append(raw_alpha)
      tokens.append(raw_tokens)
    if self.has_aux:
      encode_a = self.shared_encoder if self.is_siamese else self.encoder_a
      encode_b = self.shared_encoder if self.is_siamese else self.encoder_b
      tokens_a, alpha_a = encode_a(x_a)                       # [B, 5, 64], [B, 5, T]
      tokens_b, alpha_b = encode_b(x_b)
      alphas += [alpha_a, alpha_b]
      tokens += [tokens_a, tokens_b]
      summary_a, out["beta_a"] = self.level_a(tokens_a)       # [B, 32], [B, 5]
      summary_b, out["beta_b"] = self.level_b(tokens_b)
      out["aux_a"] = self.aux_head_a(summary_a)[:, 0]
      out["aux_b"] = self.aux_head_b(summary_b)[:, 0]
      if self.is_siamese:
        out["embedding_a"] = tokens_a.reshape(tokens_a.shape[0], -1)
        out["embedding_b"] = tokens_b.reshape(tokens_b.shape[0], -1)
    if self.variant in _RAW_INPUTS:
      summary, out["beta"] = self.diff_level(jnp.concatenate(tokens, axis=1))
      out["lfc"] = self.diff_head(summary)[:, 0]
    else:
      hidden = nn.relu(self.diff_mlp_hidden(jnp.concatenate([summary_a, summary_b], axis=-1)))
      out["lfc"] = self.diff_mlp_out(hidden)[:, 0]
      out["beta"] = jnp.concatenate([out["beta_a"], out["beta_b"]], axis=-1)
    out["alpha"] = jnp.concatenate(alphas, axis=1)
    return out

  def __call__(self, marks_a: jax.Array, marks_b: jax.Array,
               train: bool = False) -> dict[str, jax.Array]:
    """marks_a, marks_b: float [B, T, M] -> {"lfc": [B], aux/embedding outputs per variant}."""
    del train
    out = self.attend(marks_a, marks_b)
    keep = ("lfc", "aux_a", "aux_b", "embedding_a", "embedding_b")
    return {k: v for k, v in out.items() if k in keep}
