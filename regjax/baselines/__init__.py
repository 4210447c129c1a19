"""Non-neural baselines, run through the same CLI and results format as the deep models.

`RUNNERS[config.model.name](config, workdir)` fits/evaluates a baseline and writes results.json.
"""

from regjax.baselines import classical, gakco, one_mark
from regjax.graphs import runner as graphs_runner

RUNNERS = {
    "jeek": graphs_runner.run,
    "one_mark": one_mark.run,
    "classical": classical.run,
    "gakco": gakco.run,
}
