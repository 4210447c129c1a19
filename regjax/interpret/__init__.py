"""Interpretation methods: pure functions of (apply function or model, params, inputs), jitted,
vmapped and chunked so that memory stays bounded.

saliency (gradient, gradient x input, DeMo's observed-base map), integrated gradients, in-silico
mutagenesis, temporal output values, class optimisation, attention maps, DeepChrome feature maps.
`regjax.interpret.report` runs every method that applies to a trained workdir.

For the DeepMotif CNN, integrated gradients and ISM take model-specific fast paths automatically
(`fast_ig`: the first block once per sequence; `fast_ism`: only the receptive field a substitution
touches); `method="generic"` / `method="full"` run the model-agnostic computation they equal.
"""

from regjax.interpret.class_optimization import class_optimization
from regjax.interpret.core import model_score
from regjax.interpret.integrated_gradients import (completeness_gap, integrated_gradients,
                                                   shuffled_baselines)
from regjax.interpret.maps import (attention_maps, best_window, feature_maps, group_means,
                                   motif_match)
from regjax.interpret.mutagenesis import in_silico_mutagenesis
from regjax.interpret.saliency import saliency
from regjax.interpret.temporal import temporal_outputs

__all__ = [
    "attention_maps", "best_window", "class_optimization", "completeness_gap", "feature_maps",
    "group_means", "in_silico_mutagenesis", "integrated_gradients", "model_score", "motif_match",
    "saliency", "shuffled_baselines", "temporal_outputs",
]
