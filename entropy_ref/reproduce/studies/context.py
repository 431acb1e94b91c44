"""What every study shares: the :class:`Context` (settings, run store, data, accumulated
results), the work estimate, and the records of trained methods.

:func:`seeds_record` trains (or reloads) every seed of one method, prunes each and summarises
them the way the paper-protocol ``results.json`` does; :func:`with_halves` adds the two halves
of ``l_C`` of the final weights (:func:`halves_per_layer`) and the late rise of the test accuracy
(:func:`climb`). :meth:`Context.cost` estimates the seconds a run still needs from what is on
disk (:func:`..progress.run_seconds`), so the estimate printed before a study shrinks as its runs
finish; :meth:`Context.prefetch` hands a phase's independent runs to the worker processes of
``--jobs N``, after which the study's own code finds them on disk.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ...hoyer_rayleigh import loghoyer, rayleigh
from ...train import TrainConfig, load_run
from ..tasks import RunTask
from ..progress import Tracker, split_seconds
from ..runstore import RunStore
from ..select import selection_config
from ..sweep import main_config, run_record
from ..summary import summarize_method

__all__ = ["Context", "seeds_record", "dense_record", "main_cost", "with_halves",
           "halves_per_layer", "climb"]

@dataclass
class Context:
    """What every study needs: the settings, the run store, the data and the accumulated results."""

    settings: object
    study: object
    store: RunStore
    data: object
    log: object
    tracker: Tracker | None = None
    pool: object = None                               # jobs.Pool, or None: one process
    results: dict = field(default_factory=dict)
    curves: dict = field(default_factory=dict)        # label -> [(nonzero, acc)] per seed
    histories: dict = field(default_factory=dict)     # label -> [test acc per epoch] per seed
    params: dict = field(default_factory=dict)        # label -> params of seed 0
    memo: dict = field(default_factory=dict)          # large inputs a study reuses

    @property
    def n_train_all(self):
        return len(self.data.train_images)

    def cost(self, config, curve=True, split=False):
        """Estimated seconds still needed to train ``config`` (and compute its curve); with
        ``split``, the pair (training, curve)."""
        extra = getattr(config, self.study.layout_field, None) if self.study.layout_field else None
        slower = extra is not None and extra != getattr(TrainConfig(), self.study.layout_field)
        step = None
        if curve:
            step = (self.study.select_step or self.settings.step) if config.val_size \
                else self.settings.step
        pair = split_seconds(self.store, config, self.n_train_all, step, 1.2 if slower else 1.0)
        return pair if split else sum(pair)

    def prefetch(self, tasks, then=None):
        """Run ``tasks`` (:mod:`..jobs`) in the worker processes, if there are any (``then``: see
        :meth:`..jobs.Pool.run`)."""
        if self.pool is not None:
            self.pool.run(list(tasks), self.tracker, then)

    def main_tasks(self, reg, lam, seeds=None, epochs=None, extra=None):
        """:class:`..tasks.RunTask` of every seed of one method: main protocol, test curve."""
        s = self.settings
        for seed in range(s.seeds if seeds is None else seeds):
            config = self.train_config(reg, lam, seed, epochs, extra)
            yield RunTask(config, (("test", s.step, s.sensitivity_data, s.targets),),
                          self.cost(config, split=True))

    def selection_tasks(self, settings, reg, grid, extra=None):
        """:class:`..tasks.RunTask` of the validation runs of ``reg`` over ``grid``."""
        for lam in grid:
            config = selection_config(settings, reg, lam, extra)
            yield RunTask(config, (("val", settings.step, "train", (settings.select_target,)),),
                          self.cost(config, split=True))

    def train_config(self, reg, lam, seed, epochs=None, extra=None):
        """The main-protocol config (optionally with an extra TrainConfig field)."""
        config = main_config(self.settings, reg, lam, seed, epochs)
        if extra:
            config = TrainConfig(**{**config.to_dict(), **extra})
        return config


def seeds_record(ctx, label, reg, lam, note, seeds=None, epochs=None, extra=None,
                 dense_summary=None):
    """Train (or reload) every seed of one method, prune each, and summarise.

    Returns the method record (as in the paper-protocol ``results.json``); the curves, per-epoch
    test accuracies and seed-0 weights go to ``ctx.curves`` / ``ctx.histories`` / ``ctx.params``
    under ``label``.
    """
    s = ctx.settings
    seeds = s.seeds if seeds is None else seeds
    runs, curves, hist = [], [], []
    for seed in range(seeds):
        config = ctx.train_config(reg, lam, seed, epochs, extra)
        est = ctx.cost(config)
        config, params, history = ctx.store.ensure(config)
        curve = ctx.store.curve(config, params, "test", s.step, s.sensitivity_data, s.targets)
        runs.append(run_record(ctx.store, config, params, history, curve, s.targets))
        curves.append((curve.nonzero, curve.test_accuracy))
        hist.append([h["test_accuracy"] for h in history])
        if seed == 0:
            ctx.params[label] = params
        if ctx.tracker:
            ctx.tracker.step(est, f"{label} seed {seed}")
    ctx.curves[label], ctx.histories[label] = curves, hist
    rec = {"label": label, "reg": reg, "lam": float(lam), "note": note, "runs": runs}
    if extra:
        rec["train_options"] = {k: v for k, v in extra.items()}
    rec["summary"] = summarize_method(runs, s.targets, dense_summary)
    return rec


def dense_record(ctx, epochs=None, seeds=None):
    """The dense model (``none``) record, summarised against itself."""
    rec = seeds_record(ctx, "none" if epochs is None else f"none@{epochs}", "none", 0.0,
                       "dense baseline, cross-entropy only", seeds=seeds, epochs=epochs)
    rec["summary"] = summarize_method(rec["runs"], ctx.settings.targets, rec["summary"])
    return rec


def main_cost(ctx, reg, grid, seeds, epochs=None, extra=None):
    """Estimated seconds of the main runs of ``reg`` whose lambda will be one of ``grid``."""
    total = 0.0
    for seed in range(seeds):
        total += min(ctx.cost(ctx.train_config(reg, lam, seed, epochs, extra)) for lam in grid)
    return total


def halves_per_layer(params):
    """``{"loghoyer": [...], "rayleigh": [...]}`` of each weight matrix (float64, nats)."""
    Ws = [np.asarray(W, dtype=np.float64) for W in params["W"]]
    return {"loghoyer": [float(loghoyer(W)) for W in Ws],
            "rayleigh": [float(rayleigh(W)) for W in Ws]}


def climb(histories, window):
    """Seed-mean rise of the test accuracy over the last ``window`` epochs (None if too short).

    Examples
    --------
    >>> round(climb([[0.90, 0.91, 0.93], [0.90, 0.92, 0.95]], 2), 12)
    0.04
    """
    rises = [h[-1] - h[-1 - window] for h in histories if len(h) > window]
    return float(np.mean(rises)) if rises else None


def with_halves(ctx, rec):
    """Add the final weights' halves (per seed, and the seed mean) and the climb to a record."""
    per_seed = []
    for r in rec["runs"]:
        _, params, _ = load_run(ctx.store.root / r["run"])
        r["halves_per_layer"] = halves_per_layer(params)
        per_seed.append(r["halves_per_layer"])
    rec["summary"]["halves_per_layer"] = {
        k: [float(v) for v in np.mean([h[k] for h in per_seed], axis=0)]
        for k in ("loghoyer", "rayleigh")}
    rec["summary"]["climb"] = climb(ctx.histories[rec["label"]], ctx.study.long_window)
    return rec
