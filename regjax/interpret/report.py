"""`--mode=interpret`: every interpretation method that applies to a trained model.

The model is a workdir's best checkpoint, explained on its test split (`WORKDIR/interpret/`) or on
the examples of `--input` files (`WORKDIR/interpret-<input>/`), or a model directory / pretrained
model explained on `--input` files (`--output` folder; `regjax.interpret.subject`). Each folder has
one PNG per figure with its arrays beside it (`.npz`), a `summary.json`, and `index.md` that shows
the figures in order. What runs depends on the model:

* histone classifiers/regressors (DeepChrome, AttentiveChrome, LSTM): gradient x input saliency and
  integrated gradients averaged over ON and OFF test genes (high/low expression for regression),
  class optimisation of ON and OFF (DeepChrome's lr 0.1), DeepChrome's first-layer feature maps,
  AttentiveChrome's alpha and beta per gene and averaged over ON and OFF genes;
* DeepDiff: saliency of both cells and attention maps averaged over genes up (lfc >= 2), down
  (lfc <= -2) and unchanged in cell B;
* DeepMotif: DeMo's saliency, integrated gradients (dinucleotide-shuffled baseline) and ISM of the
  first bound test sequences, temporal output values (RNN models), class optimisation of the bound
  and unbound class as PWM logos; on simulated data the planted motif is marked and scored; then
  DeepSHAP, the TF-MoDISco files (and patterns) and the motifs named against JASPAR and ENCODE
  (`regjax.interpret.motif_report`).
Histone models also get DeepLIFT maps against an empty (all-zero) gene.
"""

from __future__ import annotations

import os
import time

import numpy as np

from regjax import plotting, reporting
from regjax.errors import UserError
from regjax.interpret import deeplift, motif_report, motifs, subject
from regjax.interpret import (attention_maps, best_window, class_optimization, feature_maps,
                              group_means, in_silico_mutagenesis, integrated_gradients, motif_match,
                              saliency, shuffled_baselines, temporal_outputs)

DEFAULTS = {"num_sequences": 50, "num_plots": 4, "num_starts": 16, "steps": 1000, "ig_steps": 50,
            "shuffles": 20, "modisco_seqlets": 2000, "modisco": True, "max_filters": 0}


class Report:
  """Collects figures (PNG + npz) and writes index.md."""

  def __init__(self, folder: str, title: str):
    self.folder = folder
    self.title = title
    self.sections: list[tuple[str, str, str]] = []
    self.summary: dict = {}
    os.makedirs(folder, exist_ok=True)

  def add(self, name: str, figure, description: str, **arrays) -> None:
    path = os.path.join(self.folder, f"{name}.png")
    figure.savefig(path, dpi=110, bbox_inches="tight")
    plotting.close(figure)
    if arrays:
      np.savez_compressed(os.path.join(self.folder, f"{name}.npz"), **arrays)
    self.sections.append((name, description, os.path.basename(path)))
    print(f"  wrote {os.path.basename(self.folder)}/{name}.png")

  def write(self) -> None:
    lines = [f"# {self.title}", ""]
    for key, value in self.summary.items():
      lines.append(f"- **{key}**: {value}")
    lines.append("")
    for name, description, image in self.sections:
      npz = f" (arrays: `{name}.npz`)" if os.path.exists(os.path.join(self.folder, f"{name}.npz")) else ""
      lines += [f"## {name}", "", description + npz, "", f"![{name}]({image})", ""]
    with open(os.path.join(self.folder, "index.md"), "w") as f:
      f.write("\n".join(lines))
    reporting.write_json(os.path.join(self.folder, "summary.json"), self.summary)


def _settings(config) -> dict:
  settings = dict(DEFAULTS)
  settings.update(dict(config.get("interpret", {}) or {}))
  return settings


def interpret_workdir(config, workdir: str, input_paths: str | None = None) -> dict:
  """Runs every applicable method on the best checkpoint of `workdir`; returns the summary.

  The model and data come from the workdir's own config.json (what was trained): its test split,
  or the genes / sequences of `input_paths` (`--input`). Only the `interpret` settings of `config`
  (num_sequences, num_plots, num_starts, steps, ig_steps) apply. Writes WORKDIR/interpret/ (or,
  with `input_paths`, a new WORKDIR/interpret-<input name>[-N]/).
  """
  folder = os.path.join(os.path.abspath(workdir), "interpret")
  if input_paths:
    folder = _new_folder(folder + "-" + (os.path.basename(input_paths.split(",")[0]).split(".")[0]
                                         or "input"))
  return interpret(subject.from_workdir(workdir, input_paths), folder, config)


def interpret_model_dir(config, model: str, input_paths: str, output: str) -> dict:
  """`--mode=interpret --model=DIR --input=FILE --output=FOLDER`: a model directory (or
  pretrained:NAME) explained on the examples of `input_paths`, written to a new folder."""
  from regjax.writing import refuse_existing
  refuse_existing(output)
  return interpret(subject.from_model_dir(model, input_paths), os.path.abspath(output), config)


def _new_folder(base: str) -> str:
  path, n = base, 1
  while os.path.exists(path):
    n += 1
    path = f"{base}-{n}"
  return path


def interpret(subject_: subject.Subject, folder: str, config=None) -> dict:
  """Every method that applies to `subject_` (a `regjax.interpret.subject.Subject`), written to
  `folder` (index.md, PNGs, npz arrays, summary.json); returns the summary."""
  start = time.time()
  report = Report(folder, f"Interpretation of {subject_.name} on {subject_.source}")
  settings = _settings(config) if config is not None else dict(DEFAULTS)
  print(f"Interpreting {subject_.name} on {subject_.source}")
  report.summary["examples"] = int(len(subject_.examples["id"]))
  report.summary["groups from"] = subject_.grouped_by
  if subject_.input_keys == ("sequence",):
    _dna(report, subject_, settings)
  elif subject_.task == "differential":
    _deepdiff(report, subject_)
  else:
    _histone(report, subject_, settings)
  report.summary["time_s"] = round(time.time() - start, 1)
  report.write()
  print(f"Index: {os.path.join(report.folder, 'index.md')}")
  return report.summary


def _histone(report: Report, subject_: subject.Subject, settings) -> None:
  test, params, model = subject_.examples, subject_.params, subject_.module
  marks, names = test["marks"], subject_.mark_names
  groups, group_names = subject_.groups, subject_.group_names
  apply_fn = model.apply
  maps = saliency(apply_fn, params, marks, method="gradient_x_input")
  report.add("saliency", plotting.plot_mark_heatmaps(
      group_means(maps, groups, group_names), names, signed=True,
      title="gradient x input, mean over test genes"),
      "Saliency (gradient x input of the ON log-odds / the prediction), every test gene; mean map "
      "per group. Red pushes towards ON / higher expression.", maps=maps, gene_ids=test["id"])
  ig = integrated_gradients(apply_fn, params, marks, steps=settings["ig_steps"])
  report.add("integrated_gradients", plotting.plot_mark_heatmaps(
      group_means(ig, groups, group_names), names, signed=True,
      title=f"integrated gradients (zero baseline, {settings['ig_steps']} steps)"),
      "Integrated gradients from an all-zero input, every test gene; mean map per group.",
      attributions=ig, gene_ids=test["id"])
  lift = deeplift.deeplift(apply_fn, params, marks, np.zeros(marks.shape[1:], np.float32))
  report.add("deeplift", plotting.plot_mark_heatmaps(
      group_means(lift["contributions"], groups, group_names), names, signed=True,
      title="DeepLIFT (Rescale) against an all-zero input"),
      "DeepLIFT contributions against zero signal, every gene; mean map per group. Each gene's "
      "contributions sum to its score minus the score of an empty gene.",
      contributions=lift["contributions"], gene_ids=test["id"], delta=lift["delta"][:, 0])
  report.summary["DeepLIFT summation to delta (max |error|)"] = (
      f"{deeplift.summation_error(lift)['max_abs']:.2e}")
  report.summary["saliency share per mark"] = {
      n: round(float(s), 3) for n, s in zip(names, np.abs(maps).sum((0, 1)) / np.abs(maps).sum())}
  if subject_.task == "classification":
    shape = marks.shape[1:]
    # x in [0, 1] means 0 .. a high count of each mark (99th percentile of the training bins).
    scale = subject_.input_scale
    report.summary["class optimisation scale from"] = subject_.input_scale_from
    panels, arrays = {}, {"input_scale": scale}
    for cls, label in ((1, "ON"), (0, "OFF")):
      result = class_optimization(apply_fn, params, shape, cls, settings["num_starts"],
                                  settings["steps"], learning_rate=0.1, input_scale=scale)
      panels[f"{label}: mean of {settings['num_starts']} starts"] = result["mean"]
      panels[f"{label}: sd across starts"] = result["std"]
      arrays[f"{label.lower()}_inputs"] = result["inputs"]
      report.summary[f"class optimisation P({label})"] = round(float(result["p_class"].mean()), 3)
    report.add("class_optimization", plotting.plot_mark_heatmaps(
        panels, names, title=f"class optimisation (DeepChrome's 7_viz, lr 0.1, "
        f"{settings['steps']} steps, {settings['num_starts']} starts)"),
        "Inputs optimised to look ON and OFF to the model (clamped to [0, 1], divided by the max; "
        f"1 stands for each mark's 99th-percentile count in {subject_.input_scale_from}).",
        **arrays)
  if hasattr(model, "first_layer_activations"):
    activations = feature_maps(model, params, marks)
    means = group_means(activations, groups, group_names)
    report.add("feature_maps", plotting.plot_mark_heatmaps(
        means, [f"f{i}" if i % 5 == 0 else "" for i in range(activations.shape[-1])],
        title="first-layer activations (filters x positions)"),
        "DeepChrome's feature maps: conv + ReLU outputs averaged over each group of test genes.",
        **{k.replace(" ", "_"): v for k, v in means.items()})
  if hasattr(model, "attend"):
    att = attention_maps(model, params, marks)
    _attention_by_group(report, att, groups, group_names, names,
                        "AttentiveChrome's bin-level (alpha) and mark-level (beta) attention "
                        "averaged over {name} ({count}); per-gene maps in attention_per_gene.npz.")
    np.savez_compressed(os.path.join(report.folder, "attention_per_gene.npz"),
                        gene_ids=test["id"], **att)
    report.summary["mean beta"] = {n: round(float(b), 3) for n, b in zip(names, att["beta"].mean(0))}


def _attention_by_group(report: Report, att: dict, groups: np.ndarray, group_names: dict,
                        channels, caption: str) -> None:
  """One attention figure per non-empty group of test genes: alpha and beta averaged over it.

  caption: a template with {name} (the group) and {count} (its number of genes).
  """
  for key, name in group_names.items():
    rows = groups == key
    if rows.any():
      report.add("attention_" + "_".join(name.lower().split()), plotting.plot_attention(
          att["alpha"][rows].mean(0), att["beta"][rows].mean(0), channels,
          title=f"attention, mean over {name}"),
          caption.format(name=name, count=int(rows.sum())))


def _deepdiff(report: Report, subject_: subject.Subject) -> None:
  from regjax.models.deepdiff import channel_names
  test, params, model = subject_.examples, subject_.params, subject_.module
  names = subject_.mark_names
  groups, group_names = subject_.groups, subject_.group_names
  grad_a, grad_b = saliency(model.apply, params, (test["marks_a"], test["marks_b"]),
                            method="gradient_x_input")
  panels = {}
  for key, name in group_names.items():
    if np.any(groups == key):
      panels[f"cell A, {name}"] = grad_a[groups == key].mean(0)
      panels[f"cell B, {name}"] = grad_b[groups == key].mean(0)
  report.add("saliency", plotting.plot_mark_heatmaps(panels, names, signed=True,
                                                     title="gradient x input of the predicted lfc"),
             "Saliency of the predicted log2 fold change with respect to both cells' marks, mean "
             "over genes up, down and unchanged in cell B.", cell_a=grad_a, cell_b=grad_b,
             gene_ids=test["id"])
  att = attention_maps(model, params, (test["marks_a"], test["marks_b"]))
  channels = channel_names(subject_.variant, names)
  _attention_by_group(report, att, groups, group_names, channels,
                      "Bin-level attention of every level-1 channel and the mark-level attention, "
                      "averaged over the test {name} ({count}).")
  np.savez_compressed(os.path.join(report.folder, "attention_per_gene.npz"),
                      gene_ids=test["id"], channels=np.array(channels), **att)


def _dna(report: Report, subject_: subject.Subject, settings) -> None:
  test, params, model = subject_.examples, subject_.params, subject_.module
  bound = np.flatnonzero(subject_.groups == 1)[:settings["num_sequences"]]
  if not len(bound):
    raise UserError(f"no bound sequences to interpret in {subject_.source} (grouped by "
                    f"{subject_.grouped_by})")
  x, codes, ids = test["sequence"][bound], test["codes"][bound], test["id"][bound]
  apply_fn = model.apply
  planted = test.get("motif_start")
  sal = saliency(apply_fn, params, x, method="observed_base")
  ig = integrated_gradients(apply_fn, params, x, shuffled_baselines(codes), steps=settings["ig_steps"])
  ism = in_silico_mutagenesis(apply_fn, params, x)
  np.savez_compressed(os.path.join(report.folder, "attributions.npz"), ids=ids, sequence=x,
                      saliency=sal, integrated_gradients=ig, ism=ism)
  temporal = None
  if hasattr(model, "recurrent_output"):
    temporal = temporal_outputs(model, params, x)
    np.savez_compressed(os.path.join(report.folder, "temporal_outputs.npz"), ids=ids,
                        forward=temporal[0], backward=temporal[1])
  for i in range(min(settings["num_plots"], len(x))):
    marked = None
    if planted is not None:
      start = int(planted[bound[i]])
      marked = (start, start + len(_planted_motif(subject_)))
    report.add(f"sequence_{i}_{ids[i]}", plotting.plot_sequence_maps(
        x[i], {"saliency |grad| x input": sal[i], "integrated gradients": ig[i],
               "ISM delta": ism[i]},
        logo_scores={"ISM delta": -ism[i].sum(-1) / 3},
        title=f"{ids[i]}" + (f" (motif planted at {marked[0]}-{marked[1] - 1})" if marked else "")),
        "DeMo saliency (|gradient| at the observed base), integrated gradients against a "
        "dinucleotide-shuffled baseline, and in-silico mutagenesis (score change of every "
        "substitution; the logo shows minus the mean change). Arrays for all sequences: "
        "attributions.npz.")
    if temporal is not None:
      report.add(f"temporal_{i}_{ids[i]}", plotting.plot_temporal(
          temporal[0][i], temporal[1][i], marked=marked, title=f"temporal output values, {ids[i]}"),
          "P(bound) of the model on each prefix (forward) and suffix (backward) of the sequence.")
  panels = []
  for cls, label in ((1, "bound"), (0, "unbound")):
    result = class_optimization(apply_fn, params, x.shape[1:], cls, settings["num_starts"],
                                settings["steps"], learning_rate=0.05, pwm=True)
    best = int(np.argmax(result["p_class"]))
    panels.append((label, result, best))
    report.summary[f"class optimisation P({label}), best start"] = round(
        float(result["p_class"][best]), 3)
  fig, axes = plotting.plt.subplots(2, 1, figsize=(14, 4))
  for ax, (label, result, best) in zip(axes, panels):
    plotting.plot_logo(plotting.information_content(result["inputs"][best]), ax=ax,
                       title=f"class optimisation: {label} (best of {settings['num_starts']} starts)")
  fig.tight_layout()
  report.add("class_optimization", fig, "DeMo class optimisation (RMSprop lr 0.05, lambda 0.009, "
             f"{settings['steps']} steps) as PWM logos.", bound=panels[0][1]["inputs"], unbound=panels[1][1]["inputs"],
             p_bound=panels[0][1]["p_class"], p_unbound=panels[1][1]["p_class"])
  patterns = motif_report.deepshap_and_modisco(report, subject_, x, codes, ids, settings)
  window, _ = motifs.informative_window(panels[0][1]["inputs"][panels[0][2]], 20)
  motif_report.name_motifs(report, [("class_optimization", "bound (best start)",
                                     motifs.trim(window))]
                           + motif_report.first_layer_pwms(subject_, x, settings["max_filters"])
                           + patterns)
  if planted is not None:
    motif = _planted_motif(subject_)
    starts = planted[bound]
    windows = best_window(sal.sum(-1), len(motif))
    report.summary["saliency window overlaps planted motif"] = f"{np.mean(np.abs(windows - starts) < len(motif)):.1%}"
    worst = ism.min(-1).argmin(-1)
    inside = (worst >= starts) & (worst < starts + len(motif))
    report.summary["ISM most damaging position inside motif"] = f"{np.mean(inside):.1%}"
    report.summary["class-optimisation PWM vs planted motif (Pearson r)"] = round(
        motif_match(panels[0][1]["inputs"][panels[0][2]], motif)["pearson_r"], 3)


def _planted_motif(subject_: subject.Subject) -> np.ndarray:
  from regjax.datasets import simulation
  return simulation.get_motif(subject_.motif)
