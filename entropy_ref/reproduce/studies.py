"""``entropy-ref reproduce --study ...``: the studies of :mod:`.study_settings`, end to end.

Outputs in ``settings.out`` (beside the paper-protocol reproduction, sharing its ``runs/``):

``studies.json``   everything measured, per run and summarised (no curves); rewritten after every
                   study, so an interrupted invocation keeps what finished;
``studies.md``     the tables (:mod:`.study_report`);
``figures/``       one figure per study (:mod:`entropy_ref.study_figures`).

Before starting, the work still to do is estimated from the runs already on disk and printed;
while running, every finished unit logs the share of the estimate done and the ETA.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..data import load_mnist
from ..mlp import LENET300_SIZES
from ..train import TrainConfig
from ..train.progress import format_duration
from ..train.runio import MODEL, load_checkpoint
from .curves import curve_files, write_json
from .runstore import RunStore
from .settings import PAPER
from .sweep import main_config, run_record
from .summary import summarize_method

__all__ = ["STUDIES_JSON", "STUDIES_MD", "Context", "Tracker", "run_studies", "seeds_record",
           "envelope"]

STUDIES_JSON, STUDIES_MD = "studies.json", "studies.md"

#: seconds per epoch of LeNet300 on 60,000 images on the project's 2-core machine (measured);
#: the estimate scales it by images and weights
SECONDS_PER_EPOCH = {"none": 1.2, "l1": 1.3, "hoyer": 1.35, "loghoyer": 1.4, "sparsity": 2.0,
                     "entropy": 2.0, "rayleigh": 2.0}
#: seconds of one 1,001-point (step 0.1) sensitivity + curve computation of LeNet300 (idle)
SECONDS_PER_CURVE = 10.5
_N_LENET = 784 * 300 + 300 * 100 + 100 * 10


class Tracker:
    """Share of the estimated work done and the ETA, logged after every unit of work."""

    def __init__(self, total, log):
        self.total, self.done, self.log = float(total), 0.0, log
        self.t0 = time.perf_counter()

    def step(self, estimate, what):
        """Count ``estimate`` seconds of planned work as done and log progress."""
        self.done += estimate
        if estimate <= 0:
            return
        elapsed = time.perf_counter() - self.t0
        rate = elapsed / self.done if self.done else 1.0
        left = max(0.0, self.total - self.done) * rate
        share = 100 * min(1.0, self.done / self.total) if self.total else 100
        self.log(f"[progress] {what}: {share:.0f}% of the estimate done, "
                 f"{format_duration(elapsed)} elapsed, ETA {format_duration(left)}")


@dataclass
class Context:
    """What every study needs: the settings, the run store, the data and the accumulated results."""

    settings: object
    study: object
    store: RunStore
    data: object
    log: object
    tracker: Tracker | None = None
    results: dict = field(default_factory=dict)
    curves: dict = field(default_factory=dict)        # label -> [(nonzero, acc)] per seed
    histories: dict = field(default_factory=dict)     # label -> [test acc per epoch] per seed
    params: dict = field(default_factory=dict)        # label -> params of seed 0

    @property
    def n_train_all(self):
        return len(self.data.train_images)

    def cost(self, config, curve=True):
        """Estimated seconds still needed to train ``config`` (and compute its curve)."""
        out = self.store.run_dir(config)
        done = 0
        if (out / MODEL).is_file():
            try:
                done = load_checkpoint(out)["epoch"]
            except (ValueError, OSError):
                done = 0
        n_img = (config.train_subset or self.n_train_all - config.val_size)
        sizes = config.sizes
        n_w = sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
        scale_t = n_img / 60000 * n_w / _N_LENET
        per_epoch = SECONDS_PER_EPOCH.get(config.reg, 2.0) * scale_t
        extra = getattr(config, self.study.layout_field, None) if self.study.layout_field else None
        if extra is not None and extra != getattr(TrainConfig(), self.study.layout_field):
            per_epoch *= 1.2
        seconds = max(0, config.epochs - done) * per_epoch
        if curve:
            split = "val" if config.val_size else "test"
            step = (self.study.select_step or self.settings.step) if config.val_size \
                else self.settings.step
            if not all(p.is_file() for p in curve_files(out, split)):
                seconds += SECONDS_PER_CURVE * n_w / _N_LENET * (n_img + 10000) / 70000 \
                    * 0.1 / step
        return seconds

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


def envelope(nonzero, accuracy, grid):
    """Best accuracy reachable with at most ``x`` nonzero weights, for every ``x`` of ``grid``.

    The curve's Pareto envelope: the quantity "nonzero weights needed for X%" inverts.

    Examples
    --------
    >>> envelope(np.array([100, 50, 10]), np.array([0.9, 0.95, 0.5]), np.array([5, 10, 60, 200]))
    array([ nan, 0.5 , 0.95, 0.95])
    """
    nz = np.asarray(nonzero, dtype=np.float64)
    acc = np.asarray(accuracy, dtype=np.float64)
    order = np.argsort(nz, kind="stable")
    best = np.maximum.accumulate(acc[order])
    idx = np.searchsorted(nz[order], np.asarray(grid, dtype=np.float64), side="right") - 1
    return np.where(idx >= 0, best[np.maximum(idx, 0)], np.nan)


def _write(ctx, t0):
    from .study_report import write_markdown
    out = Path(ctx.settings.out)
    results = {"format": 1, "settings": ctx.settings.to_dict(), "study": ctx.study.to_dict(),
               "paper": PAPER, "data": {"n_train": ctx.n_train_all,
                                        "n_test": len(ctx.data.test_images)},
               **ctx.results,
               "timing": {**ctx.store.timing, "total_seconds": time.perf_counter() - t0}}
    write_json(out / STUDIES_JSON, results)
    write_markdown(out / STUDIES_MD, results)
    return results


def run_studies(settings, study, data=None, log=print):
    """Run the studies named in ``study.studies`` (see the module docstring); return the results.

    Parameters
    ----------
    settings : ReproSettings
        The protocol (seeds, epochs, widths, step, targets, selection split).
    study : StudySettings
    data : entropy_ref.data.MNIST, optional
    log : callable
    """
    from . import study_fair, study_finetune
    t0 = time.perf_counter()
    out = Path(settings.out)
    out.mkdir(parents=True, exist_ok=True)
    if data is None:
        data = load_mnist(settings.data_dir)
    if settings.hidden != LENET300_SIZES[1:-1]:
        log(f"note: hidden widths {settings.hidden}, not LeNet300: the paper's points are not "
            "comparable")
    ctx = Context(settings, study, RunStore(out / "runs", data, log), data, log)
    runners = {"fair": study_fair.fair, "ablation": study_fair.ablation,
               "finetune": study_finetune.finetune_study, "layout": study_finetune.layout,
               "long": study_fair.long}
    estimators = {"fair": study_fair.estimate_fair, "ablation": study_fair.estimate_ablation,
                  "finetune": study_finetune.estimate_finetune,
                  "layout": study_finetune.estimate_layout, "long": study_fair.estimate_long}
    needs = set(study.studies)
    if needs & {"ablation", "finetune", "layout", "long"}:
        needs.add("fair")                       # they build on the tuned lambdas
    order = [s for s in ("fair", "ablation", "finetune", "layout", "long") if s in needs]
    estimates = {name: estimators[name](ctx) for name in order}
    total = sum(estimates.values())
    log("studies: " + ", ".join(order) + "; estimated work left (2-core machine, idle): "
        + ", ".join(f"{n} {format_duration(v)}" for n, v in estimates.items())
        + f"; total {format_duration(total)}")
    ctx.tracker = Tracker(total, log)
    results = None
    for name in order:
        log(f"== study: {name}")
        t1 = time.perf_counter()
        ctx.results[name] = runners[name](ctx)
        ctx.results[name]["seconds"] = time.perf_counter() - t1
        results = _write(ctx, t0)
        log(f"== {name} done in {format_duration(time.perf_counter() - t1)}; "
            f"wrote {out / STUDIES_JSON}")
    from .study_report import draw_figures
    ctx.results["figures"] = draw_figures(ctx, out)
    results = _write(ctx, t0)
    log(f"wrote {out / STUDIES_JSON}, {out / STUDIES_MD} and {out / 'figures'}/ in "
        f"{format_duration(time.perf_counter() - t0)}")
    return results
