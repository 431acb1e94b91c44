"""The regime study's work on one model as steps for the worker processes of ``--jobs N``.

A :class:`RegimeTask` is one run and the regime results wanted of it (``{kind: tags}``, see
:mod:`.regime_work`). For the workers (:meth:`..jobs.Pool.run`) it is a few steps: the
training, if the run is not finished, then one step per *unit* of its results, each waiting for
the training only (so two workers may work on one model at once):

``select``          every level's selection fine-tune (one sensitivity serves them all);
``finetune``        every level's final fine-tune (likewise);
``iterative``       one step per ranking (``magnitude``, ``sensitivity``): a chain of cycles.

Each step commits its results in the run's directory; the study's own code then reads them there
(:func:`.regime_work.model_results` finds every one committed); without workers it computes
them itself, with the same seeds. The estimates (seconds on the 2-core machine, idle) count only
what is not yet committed: the training from the run's record, each result from its file.
"""

from __future__ import annotations

from ...errors import CorruptFileError
from ...prune.iterative import schedule
from ...train import load_run
from ..progress import SECONDS_PER_EPOCH, run_seconds
from ..runstore import run_name
from .context import Context
from .regime_work import lookup, model_results, protocol, result_path

__all__ = ["SECONDS_SENSITIVITY", "units", "unit_seconds", "RegimeTask", "RegimeStep"]

#: seconds of one sensitivity of LeNet300 on 60,000 images (float64, measured)
SECONDS_SENSITIVITY = 1.5
_N_LENET = 784 * 300 + 300 * 100 + 100 * 10


def units(work):
    """``[(kind, tags)]``: the steps of ``work`` (``{kind: tags}``) after the training.

    Examples
    --------
    >>> units({"finetune": [90.0, 99.0], "iterative": ["magnitude", "sensitivity"]})
    [('finetune', (90.0, 99.0)), ('iterative', ('magnitude',)), ('iterative', ('sensitivity',))]
    """
    out = []
    for kind, tags in work.items():
        if kind == "iterative":
            out += [(kind, (tag,)) for tag in tags]
        else:
            out.append((kind, tuple(tags)))
    return out


def _n_weights(config):
    return sum(a * b for a, b in zip(config.sizes[:-1], config.sizes[1:]))


def unit_seconds(ctx, config, kind, tags):
    """Estimated seconds of the results of ``kind`` at ``tags`` not yet committed for ``config``."""
    st = ctx.study
    run_dir = ctx.store.run_dir(config)
    missing = [tag for tag in tags
               if not result_path(run_dir, protocol(ctx, kind, tag, config)).is_file()]
    if not missing:
        return 0.0
    n_img = config.train_subset or ctx.n_train_all - config.val_size
    scale = n_img / 60000 * _n_weights(config) / _N_LENET
    epoch, sens = SECONDS_PER_EPOCH["none"] * scale, SECONDS_SENSITIVITY * scale
    if kind == "iterative":
        n_cycles = len(schedule(_n_weights(config), st.regime_levels, st.regime_fraction))
        return sum(n_cycles * (st.regime_cycle_epochs * epoch + 0.2
                               + (sens if tag == "sensitivity" else 0.2)) for tag in missing)
    return sens + sum(max(protocol(ctx, kind, tag, config)["epochs"]) * epoch + 0.3
                      for tag in missing)


class RegimeTask:
    """The regime results ``work`` (``{kind: tags}``) of the run ``config`` (module docstring).

    Build it with :meth:`build`, which estimates each step from what is on disk.
    """

    def __init__(self, config, work, estimates):
        self.config, self.work = config, {k: tuple(v) for k, v in work.items()}
        self.estimates = dict(estimates)        # "training" and each unit -> seconds
        self.estimate = float(sum(self.estimates.values()))
        self.name = run_name(config)

    @classmethod
    def build(cls, ctx, config, work):
        """The task with its estimates (training, then every unit) from ``ctx``'s store."""
        est = {"training": run_seconds(ctx.store, config, ctx.n_train_all)}
        for kind, tags in units(work):
            est[(kind, tags)] = unit_seconds(ctx, config, kind, tags)
        return cls(config, work, est)

    def _missing(self, store, settings, study, log=None):
        """The units with a result not committed (every unit when the run cannot be read); a
        corrupt result is said to ``log``, once (the worker computes it again)."""
        try:
            _, params, _ = load_run(store.run_dir(self.config))
        except (CorruptFileError, ValueError, OSError):
            return units(self.work)
        ctx = Context(settings, study, store, store.data, log or (lambda *a: None))
        return [(kind, tags) for kind, tags in units(self.work)
                if any(result is None for *_, result in lookup(ctx, self.config, params, kind,
                                                               tags))]

    def pending(self, store, settings=None, study=None) -> bool:
        """False when the run is finished and every result of its work is committed."""
        if settings is None or not store.finished(self.config):
            return True
        return bool(self._missing(store, settings, study, store.log))

    def parts(self, store, settings=None, study=None):
        """The training (if the run is not finished), then every unit still to compute, each
        waiting for the training only."""
        if not store.finished(self.config):
            steps = [RegimeStep(self, "training", (), self.estimates["training"], None)]
            return steps + [RegimeStep(self, kind, tags, self.estimates[(kind, tags)], 0)
                            for kind, tags in units(self.work)]
        return [RegimeStep(self, kind, tags, self.estimates[(kind, tags)], None)
                for kind, tags in self._missing(store, settings, study)]


class RegimeStep:
    """One step of a :class:`RegimeTask`: its ``"training"``, or one unit of results.

    ``after`` is the index of the step it waits for among the task's parts (None: none).
    """

    def __init__(self, task, kind, tags, estimate, after):
        self.task, self.kind, self.tags = task, kind, tuple(tags)
        self.estimate, self.after, self.key = float(estimate), after, task.name
        what = "training" if kind == "training" else f"regime {kind}" + (
            f" {tags[0]}" if kind == "iterative" else "")
        self.name = f"{task.name} ({what})"

    def run(self, env):
        """Train (or reuse) the run, or compute (or reuse) the unit's results."""
        if self.kind == "training":
            env.store.ensure(self.task.config)
            return
        ctx = Context(env.settings, env.study, env.store, env.store.data, lambda *a: None)
        model_results(ctx, self.task.config, self.kind, self.tags)
