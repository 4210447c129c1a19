"""The DNA report's last steps: DeepSHAP, the TF-MoDISco hand-off, and motifs named.

* DeepSHAP of the interpreted bound sequences against `shuffles` dinucleotide shuffles each
  (`regjax.interpret.deeplift`); summation to delta goes into the summary.
* `modisco/ohe.npz` and `modisco/shap.npz` (one-hot sequences and hypothetical contributions,
  (N, 4, L) under `arr_0`, the layout modisco-lite's `modisco motifs -s ohe.npz -a shap.npz`
  reads). With the `motifs` extra installed (modisco-lite), MoDISco runs on them here and its
  positive patterns (PPM, seqlet count) join the report; otherwise the report says how to run it.
* `motif_matches.tsv`: every query PWM (class optimisation's bound PWM, trimmed to its most
  informative 20 columns; each first-layer filter's PWM from its top-activating subsequences;
  MoDISco patterns) against JASPAR 2024 and the ENCODE motifs (`regjax.interpret.motifs`), the
  best `top_matches` of each; and a logo panel of the best queries beside their top JASPAR match.
"""

from __future__ import annotations

import os

import numpy as np

from regjax import plotting
from regjax.interpret import deeplift, motifs

DATABASES = ("jaspar", "encode")
COLUMNS = ("source", "pattern", "rank", "database", "motif_id", "motif_name", "offset", "strand",
           "p_value", "q_value")


def deepshap_and_modisco(report, subject, x: np.ndarray, codes: np.ndarray, ids, settings) -> list:
  """DeepSHAP of x [N, L, 4], the MoDISco files (and run), -> [(source, name, pwm)] patterns."""
  result = deeplift.deep_shap(subject.module.apply, subject.params, x, codes,
                              num_shuffles=settings["shuffles"], seed=0)
  error = deeplift.summation_error(result)
  report.summary["DeepSHAP summation to delta (max |error|)"] = f"{error['max_abs']:.2e}"
  np.savez_compressed(os.path.join(report.folder, "deepshap.npz"), ids=ids, sequence=x,
                      contributions=result["contributions"], hypothetical=result["hypothetical"],
                      delta=result["delta"])
  folder = os.path.join(report.folder, "modisco")
  os.makedirs(folder, exist_ok=True)
  np.savez_compressed(os.path.join(folder, "ohe.npz"), x.transpose(0, 2, 1))
  np.savez_compressed(os.path.join(folder, "shap.npz"), result["hypothetical"].transpose(0, 2, 1))
  for i in range(min(settings["num_plots"], len(x))):
    report.add(f"deepshap_{i}_{ids[i]}", plotting.plot_sequence_maps(
        x[i], {"DeepSHAP": result["contributions"][i], "hypothetical": result["hypothetical"][i]},
        logo_scores={"hypothetical": result["contributions"][i].sum(-1)},
        title=f"DeepSHAP, {ids[i]} ({settings['shuffles']} dinucleotide shuffles)"),
        "DeepSHAP contributions (DeepLIFT Rescale, averaged over dinucleotide-shuffled "
        "references) at the observed bases, and the hypothetical contributions of all four bases "
        "(what TF-MoDISco reads). Arrays for all sequences: deepshap.npz.")
  return _modisco(report, x, result["hypothetical"], folder, settings)


def _modisco(report, x, hypothetical, folder, settings) -> list:
  if not settings.get("modisco", True):
    report.summary["TF-MoDISco"] = "skipped (interpret.modisco = False)"
    return []
  try:
    from modiscolite import tfmodisco
  except ImportError:
    report.summary["TF-MoDISco"] = (
        "not installed (pip install 'regjax[motifs]'); or run `modisco motifs -s "
        "interpret/modisco/ohe.npz -a interpret/modisco/shap.npz -n 2000 -o modisco.h5`")
    return []
  print(f"  running TF-MoDISco on {len(x)} sequences")
  positive, _ = tfmodisco.TFMoDISco(
      one_hot=x.astype(np.float32), hypothetical_contribs=hypothetical.astype(np.float32),
      max_seqlets_per_metacluster=settings["modisco_seqlets"], min_metacluster_size=20,
      final_min_cluster_size=15)
  patterns = []
  for k, pattern in enumerate(positive or []):
    ppm = np.asarray(pattern.sequence, dtype=float)
    ppm = (ppm + 1e-3) / (ppm + 1e-3).sum(1, keepdims=True)
    patterns.append(("modisco", f"pattern_{k} ({len(pattern.seqlets)} seqlets)", motifs.trim(ppm)))
  np.savez_compressed(os.path.join(folder, "patterns.npz"),
                      **{f"pattern_{k}": p for k, (_, _, p) in enumerate(patterns)})
  report.summary["TF-MoDISco patterns"] = [name for _, name, _ in patterns]
  return patterns


def first_layer_pwms(subject, x: np.ndarray, limit: int = 0) -> list:
  """[(source, name, pwm)] of the first convolution's filters (DeepMotif CNN and CNN-RNN) with at
  least 5 top-activating subsequences; with `limit`, only that many, most information first."""
  params = subject.params
  layer = params.get("convs_0") or params.get("conv")
  if layer is None:
    return []
  kernel, bias = np.asarray(layer["kernel"]), np.asarray(layer["bias"])       # [W, 4, F], [F]
  width = kernel.shape[0]
  if "conv" in params:   # 'same' padding: position p reads p - (W - 1) // 2 ..
    left = (width - 1) // 2
    x = np.pad(x, ((0, 0), (left, width - 1 - left), (0, 0)))
  windows = motifs.sliding_windows(x, width)                                     # [N, P, W, 4]
  activations = np.maximum(np.einsum("npwa,waf->npf", windows, kernel) + bias, 0)
  pwms, counts = motifs.filter_pwms(activations, x, width)
  kept = [f for f in range(len(pwms)) if counts[f] >= 5]
  if limit:
    kept = sorted(kept, key=lambda f: -motifs.column_bits(pwms[f]).sum())[:limit]
  return [("filter", f"filter_{f} ({counts[f]} subsequences)", motifs.trim(pwms[f]))
          for f in sorted(kept)]


def name_motifs(report, queries: list, top: int = 3) -> None:
  """Writes motif_matches.tsv and the logo panel of the best-matched queries."""
  if not queries:
    return
  comparators = {name: motifs.Comparator(motifs.database(name)) for name in DATABASES}
  jaspar = {m.id: m for m in comparators["jaspar"].motifs}
  rows, best = [], []
  for source, name, pwm in queries:
    for db, comparator in comparators.items():
      matches = comparator.compare(pwm, top=top)
      for m in matches:
        rows.append((source, name, m["rank"], db, m["motif_id"], m["motif_name"], m["offset"],
                     m["strand"], f"{m['p_value']:.3g}", f"{m['q_value']:.3g}"))
      if db == "jaspar" and matches:
        best.append((matches[0]["q_value"], source, name, pwm, matches[0]))
  with open(os.path.join(report.folder, "motif_matches.tsv"), "w") as f:
    f.write("\t".join(COLUMNS) + "\n")
    f.writelines("\t".join(map(str, row)) + "\n" for row in rows)
  for source in ("class_optimization", "modisco"):
    named = [b for b in best if b[1] == source]
    if named:
      report.summary[f"{source} top JASPAR match"] = (
          f"{named[0][4]['motif_name']} (q = {named[0][0]:.2g})")
  filters = sorted((b for b in best if b[1] == "filter"), key=lambda b: b[0])  # by q-value
  shown = [b for b in best if b[1] != "filter"] + filters[:6]
  fig, axes = plotting.plt.subplots(len(shown), 2, figsize=(12, 1.6 * len(shown)), squeeze=False)
  for (q_value, source, name, pwm, match), (left, right) in zip(shown, axes):
    plotting.plot_logo(plotting.information_content(pwm), ax=left, title=f"{source}: {name}")
    target = jaspar[match["motif_id"]].pwm
    if match["strand"] == "-":
      target = target[::-1, ::-1]
    plotting.plot_logo(plotting.information_content(target), ax=right,
                       title=f"{match['motif_name']} ({match['strand']}, offset "
                             f"{match['offset']}, q = {q_value:.2g})")
  fig.tight_layout()
  report.add("motif_matches", fig, "What the model learned, named: each pattern (left) beside its "
             "closest JASPAR 2024 cluster (right; TOMTOM-style comparison, Pearson column "
             "similarity, q-value over the database). Class optimisation, MoDISco patterns and "
             "the six best-matched first-layer filters; every match against JASPAR and the ENCODE "
             "motifs is in motif_matches.tsv.")
