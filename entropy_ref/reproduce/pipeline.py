"""The reproduction pipeline: select lambdas, train every method and seed, prune, tabulate, plot.

Outputs in ``settings.out``:

``runs/<name>/``        every trained run (config, history, model, run.json) with its cached
                        curve(s);
``results.json``        everything measured (settings, per-run records, summaries, selection,
                        sweep, the data fingerprint, the package version, the BLAS setting,
                        timing); written last, the commit record of the two below
                        (:mod:`.outputs`);
``results.md``          the tables and figure links (:mod:`.report`);
``figures/``            Figures 2, 3, 4 (and the sweep figure) as PNG and PDF.

Everything is resumable: finished runs and matching curves are reused, interrupted runs resume.
The output directory is locked while it is written (one reproduction at a time), and every
training runs its BLAS with one thread, in this process and in the workers of ``jobs > 1``
(:mod:`.jobs`), so the numbers do not depend on ``jobs``.
"""

from __future__ import annotations

import time
from pathlib import Path

from .. import figures
from ..data import load_mnist
from ..storage.lock import lock_directory
from . import phases
from .blas import blas_record, check_jobs, one_blas_thread
from .jobs import workers
from .outputs import commit_output, protocol_identity
from .progress import Tracker
from .report import write_markdown
from .runstore import RunStore
from .select import select_lambda
from .settings import PAPER
from .summary import main_table, ratio_table, render_text, summarize_method
from .sweep import lambda_sweep, main_config, run_record

__all__ = ["reproduce", "RESULTS_JSON", "RESULTS_MD"]

RESULTS_JSON, RESULTS_MD = "results.json", "results.md"


def _train_methods(store, settings, selection, log):
    """Train and prune every variant and seed; return method records and what figures need.

    Variants with a fixed lambda go first (the paper's comparison is available early in a long
    run); a baseline's validation sweep runs just before its first use. The records come back in
    the order of ``settings.methods``.
    """
    by_label, curves, weights, histories = {}, {}, {}, {}
    for v in sorted(settings.variants, key=lambda v: v.lam is None):
        if v.lam is None and v.reg not in selection:
            selection[v.reg] = select_lambda(store, settings, v.reg, log)
        lam = v.lam if v.lam is not None else selection[v.reg]["chosen"]
        log(f"{v.label}: {v.reg}, lambda {lam:g}, {settings.seeds} seed(s), "
            f"{settings.epochs} epoch(s)")
        runs = []
        for seed in range(settings.seeds):
            config, params, history = store.ensure(main_config(settings, v.reg, lam, seed))
            curve = store.curve(config, params, "test", settings.step, settings.sensitivity_data,
                                settings.targets)
            runs.append(run_record(store, config, params, history, curve, settings.targets))
            curves.setdefault(v.label, []).append((curve.nonzero, curve.test_accuracy))
            if seed == 0:
                weights[v.label] = params["W"]
                histories[v.label] = [h["abs_w_percentiles"] for h in history]
        by_label[v.label] = {"label": v.label, "reg": v.reg, "lam": float(lam), "note": v.note,
                             "runs": runs}
    methods = [by_label[m] for m in settings.methods]
    curves = {m: curves[m] for m in settings.methods}
    dense = next((m for m in methods if m["label"] == "none"), None)
    dense_summary = None
    if dense is not None:
        own = summarize_method(dense["runs"], settings.targets)
        dense["summary"] = dense_summary = summarize_method(dense["runs"], settings.targets, own)
    for m in methods:
        if m is not dense:
            m["summary"] = summarize_method(m["runs"], settings.targets, dense_summary)
    return methods, curves, weights, histories


def _compute_totals(methods, selection, sweep):
    """Seconds spent in the artifacts themselves (every distinct run counted once).

    Unlike ``timing`` (this invocation), this does not drop to zero when everything is reused.
    """
    seen = {}
    rows = [r for m in methods for r in m["runs"]] + (sweep["rows"] if sweep else [])
    for r in rows:
        if "train_seconds" in r:
            seen[r["run"]] = (r["train_seconds"], r["curve_seconds"] + r["sensitivity_seconds"],
                              r["epochs"])
    for rec in selection.values():
        for r in rec["rows"]:
            seen[r["run"]] = (r["train_seconds"], r["curve_seconds"], rec["epochs"])
    return {"runs": len(seen), "epochs": sum(v[2] for v in seen.values()),
            "train_seconds": sum(v[0] for v in seen.values()),
            "curve_seconds": sum(v[1] for v in seen.values())}


def _figures(out, curves, weights, histories, sweep, lenet300, batch_size):
    """Draw every figure the available methods allow; return their paths (relative to out)."""
    fig_dir = out / "figures"
    made = {}
    for other in ("sparsity", "entropy"):
        if "none" in weights and other in weights:
            name = "figure2" if other == "sparsity" else "figure2_entropy"
            made[name] = figures.figure2(weights["none"], weights[other], fig_dir / name,
                                         labels=("dense (none)", other))
    paper = {k: v for k, v in PAPER.items() if k in curves} if lenet300 else None
    made["figure3"] = figures.figure3(curves, fig_dir / "figure3", paper=paper)
    picked = {k: histories[k] for k in ("none", "sparsity", "entropy") if k in histories}
    if picked:
        made["figure4"] = figures.figure4(picked, fig_dir / "figure4")
    if sweep is not None:
        made["sweep"] = figures.figure_sweep(sweep["rows"], fig_dir / "sweep",
                                             batch_size=batch_size)
    return {k: [str(Path(p).relative_to(out)) for p in v] for k, v in made.items()}


def reproduce(settings, data=None, log=print, jobs=1):
    """Run the whole reproduction described by ``settings`` (see the module docstring).

    Parameters
    ----------
    settings : ReproSettings
    data : entropy_ref.data.MNIST, optional
        Preloaded images; default ``load_mnist(settings.data_dir)``.
    log : callable, default print
    jobs : int, default 1
        Worker processes for independent runs (:mod:`.jobs`); the numbers are the same for
        every value.

    Returns
    -------
    results : dict
        What ``results.json`` holds.
    """
    check_jobs(jobs)
    out = Path(settings.out)
    with lock_directory(out), one_blas_thread():
        return _reproduce(settings, data, log, jobs, out)


def _reproduce(settings, data, log, jobs, out):
    t0 = time.perf_counter()
    if data is None:
        data = load_mnist(settings.data_dir)
    store = RunStore(out / "runs", data, log)
    n_all = len(data.train_images)
    selection = {}
    with workers(jobs, store, settings, None, log) as pool:
        if pool is not None:
            tracker = Tracker(phases.estimate(store, settings, n_all), log)

            def chosen():           # once the selection runs are done, their main runs start
                for reg in phases.baselines(settings):
                    selection[reg] = select_lambda(store, settings, reg, log)
                return phases.second_phase(store, settings, selection, n_all)

            first = phases.first_phase(store, settings, n_all)
            pool.run(first, tracker, then=(phases.selection_names(first), chosen))
        methods, curves, weights, histories = _train_methods(store, settings, selection, log)
        sweep = lambda_sweep(store, settings, log) if settings.lambda_sweep else None
    fig_paths = _figures(out, curves, weights, histories, sweep,
                         settings.hidden == (300, 100), settings.batch_size)
    data_counts = {"n_train": settings.train_subset or n_all, "n_test": len(data.test_images),
                   "n_val_selection": settings.select_val_size if selection else 0,
                   "fingerprint": store.fingerprint}
    results = {"settings": settings.to_dict(), "data": data_counts, "paper": PAPER,
               "selection": selection, "methods": methods, "sweep": sweep,
               "figures": fig_paths, "compute": _compute_totals(methods, selection, sweep),
               "blas": blas_record(),
               "timing": {**store.timing, "jobs": jobs,
                          "total_seconds": time.perf_counter() - t0}}
    write_markdown(out / RESULTS_MD, results)
    files = [RESULTS_MD] + [p for paths in fig_paths.values() for p in paths]
    results = commit_output(out / RESULTS_JSON, results, files,
                            protocol_identity(settings, store.fingerprint), "results")
    log("")
    log(render_text(*main_table(methods, settings.targets)))
    log("")
    log(render_text(*ratio_table(methods, settings.targets, PAPER)))
    log(f"\nwrote {out / RESULTS_JSON}, {out / RESULTS_MD} and {out / 'figures'}/ "
        f"in {time.perf_counter() - t0:.0f}s")
    return results
