"""Non-neural baselines, run through the same CLI and results format as the deep models.

`RUNNERS[config.model.name](config, workdir)` trains/evaluates a baseline and writes results.json.
"""

from regjax.baselines import one_mark

RUNNERS = {
    "one_mark": one_mark.run,
}
