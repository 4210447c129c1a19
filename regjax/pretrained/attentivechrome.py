"""The published AttentiveChrome weights (PyTorch state_dict) -> regjax's AttentiveChrome params.

QData/AttentiveChrome `v2PyTorch/models.py` names its tensors `rnn_hms.<mark>.rnn.*` (one BiLSTM
per mark, marks in the DeepChrome CSV order H3K27me3, H3K36me3, H3K4me1, H3K4me3, H3K9me3),
`rnn_hms.<mark>.bin_attention.bin_context_vector` [64, 1], `hm_level_rnn_1.rnn.*` with its
`bin_attention.bin_context_vector` [32, 1], and `fdiff1_1` = Linear(32 -> 1).

PyTorch's LSTM keeps W_ih [4H, D], W_hh [4H, H] and two biases b_ih, b_hh [4H] with gate rows in
the order i, f, g, o, and `_reverse` tensors for the backward direction. Flax's OptimizedLSTMCell
has one [D, H] input kernel per gate (`ii`, `if`, `ig`, `io`, no bias) and one [H, H] recurrent
kernel with bias per gate (`hi`, ...): so kernels are the transposed row blocks and the one bias is
b_ih + b_hh, the same function. Cell 0 is the forward direction, cell 1 the backward one.
"""

from __future__ import annotations

import numpy as np

from regjax.errors import DataFormatError

NUM_MARKS = 5
GATES = "ifgo"


def _lstm_cell(state: dict, prefix: str, suffix: str, path) -> dict:
  w_ih = state[f"{prefix}.weight_ih_l0{suffix}"]
  w_hh = state[f"{prefix}.weight_hh_l0{suffix}"]
  bias = state[f"{prefix}.bias_ih_l0{suffix}"] + state[f"{prefix}.bias_hh_l0{suffix}"]
  hidden = w_hh.shape[1]
  if w_ih.shape[0] != 4 * hidden or w_hh.shape[0] != 4 * hidden:
    raise DataFormatError(path, f"{prefix}: LSTM weights of shapes {w_ih.shape}, {w_hh.shape} "
                          "are not [4H, D] and [4H, H]")
  cell = {}
  for index, gate in enumerate(GATES):
    rows = slice(index * hidden, (index + 1) * hidden)
    cell[f"i{gate}"] = {"kernel": w_ih[rows].T.copy()}
    cell[f"h{gate}"] = {"kernel": w_hh[rows].T.copy(), "bias": bias[rows].copy()}
  return cell


def _bilstm(state, prefix, path) -> dict:
  return {"OptimizedLSTMCell_0": _lstm_cell(state, prefix, "", path),
          "OptimizedLSTMCell_1": _lstm_cell(state, prefix, "_reverse", path)}


def convert_state_dict(state: dict[str, np.ndarray], path="weights") -> tuple[dict, dict]:
  """(params for regjax's AttentiveChrome, its model config fields) from the original's tensors.

  Raises:
    DataFormatError: a tensor is missing or has another shape than the architecture needs, or the
      file holds tensors AttentiveChrome does not have.
  """
  expected = {f"rnn_hms.{m}.{p}" for m in range(NUM_MARKS) for p in (
      *(f"rnn.{w}_l0{s}" for w in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
        for s in ("", "_reverse")), "bin_attention.bin_context_vector")}
  expected |= {f"hm_level_rnn_1.rnn.{w}_l0{s}" for w in ("weight_ih", "weight_hh", "bias_ih",
                                                          "bias_hh") for s in ("", "_reverse")}
  expected |= {"hm_level_rnn_1.bin_attention.bin_context_vector", "fdiff1_1.weight",
               "fdiff1_1.bias"}
  missing, extra = sorted(expected - set(state)), sorted(set(state) - expected)
  if missing or extra:
    raise DataFormatError(path, "not an AttentiveChrome state_dict: "
                          + (f"missing {', '.join(missing[:3])}" if missing else "")
                          + ("; " if missing and extra else "")
                          + (f"unexpected {', '.join(extra[:3])}" if extra else ""))
  marks = [_bilstm(state, f"rnn_hms.{m}.rnn", path) for m in range(NUM_MARKS)]
  stack = lambda *leaves: np.stack(leaves)
  import jax  # tree utilities only
  bin_lstm = jax.tree.map(stack, *marks)
  bin_context = np.stack([state[f"rnn_hms.{m}.bin_attention.bin_context_vector"][:, 0]
                          for m in range(NUM_MARKS)])
  params = {
      "bin_level": {"channels": {"BiLSTM_0": bin_lstm,
                                 "ContextAttention_0": {"context": bin_context}}},
      "mark_level": {"BiLSTM_0": _bilstm(state, "hm_level_rnn_1.rnn", path),
                     "ContextAttention_0": {
                         "context": state["hm_level_rnn_1.bin_attention.bin_context_vector"][:, 0]}},
      "output": {"kernel": state["fdiff1_1.weight"].T.copy(), "bias": state["fdiff1_1.bias"]},
  }
  fields = {"bin_hidden_size": int(state["rnn_hms.0.rnn.weight_hh_l0"].shape[1]),
            "mark_hidden_size": int(state["hm_level_rnn_1.rnn.weight_hh_l0"].shape[1]),
            "num_outputs": int(state["fdiff1_1.weight"].shape[0])}
  return params, fields
