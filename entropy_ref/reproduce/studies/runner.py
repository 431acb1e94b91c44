"""``entropy-ref reproduce --study ...``: the studies of :mod:`.registry`, end to end.

Outputs in ``settings.out`` (beside the paper-protocol reproduction, sharing its ``runs/``):

``studies.json``   everything measured, per run and summarised (no curves), each study with its
                   identity (:mod:`.accumulate`), the data fingerprint, the package version and
                   the BLAS setting; committed after every study, last, as the record of the two
                   below (:mod:`..outputs`), so an interrupted invocation keeps what finished;
``studies.md``     the tables (:mod:`.report`);
``figures/``       one figure per study (:mod:`.figures`), drawn when the study ends.

Studies accumulate: the studies already in ``studies.json`` are kept beside those asked for, or
dropped with the reason in the log when their settings changed (:mod:`.accumulate`). Before
starting, the work still to do is estimated from the runs already on disk and printed; while
running, every finished unit logs the share of the estimate done and the ETA. With ``jobs > 1``
each study hands its independent runs to worker processes (:meth:`.context.Context.prefetch`).
"""

from __future__ import annotations

import time
from pathlib import Path

from ...data import load_mnist
from ...mlp import LENET300_SIZES
from ...storage.identity import digest
from ...storage.lock import lock_directory
from ...train.progress import format_duration
from ..blas import blas_record, check_jobs, one_blas_thread
from ..jobs import workers
from ..outputs import commit_output, protocol_identity
from ..progress import Tracker
from ..runstore import RunStore
from ..settings import PAPER
from . import accumulate
from .context import Context
from .figures import FIGURES, draw_figure
from .registry import resolve
from .report import write_markdown

__all__ = ["STUDIES_JSON", "STUDIES_MD", "run_studies"]

STUDIES_JSON, STUDIES_MD = "studies.json", "studies.md"


def _write(ctx, t0, identities, figures, jobs):
    """Commit ``studies.md``, the figures so far and ``studies.json`` (last); return the results."""
    out = Path(ctx.settings.out)
    done = {name: {"identity": identities[name], "key": digest(identities[name])}
            for name in ctx.results}
    results = {"settings": ctx.settings.to_dict(), "study": ctx.study.to_dict(),
               "paper": PAPER, "data": {"n_train": ctx.n_train_all,
                                        "n_test": len(ctx.data.test_images),
                                        "fingerprint": ctx.store.fingerprint},
               "studies": done, **ctx.results, "figures": dict(figures), "blas": blas_record(),
               "timing": {**ctx.store.timing, "jobs": jobs,
                          "total_seconds": time.perf_counter() - t0}}
    write_markdown(out / STUDIES_MD, results)
    files = [STUDIES_MD] + [p for paths in figures.values() for p in paths]
    ident = protocol_identity(ctx.settings, ctx.store.fingerprint, accumulate.PROTOCOL_FIELDS)
    return commit_output(out / STUDIES_JSON, results, files, ident, "studies")


def _remove_stale_figures(out, figures, log):
    """Remove the figures of studies that ``studies.json`` no longer holds (dropped ones)."""
    listed = {p for paths in figures.values() for p in paths}
    for name, _ in FIGURES.values():
        for ext in ("png", "pdf"):
            rel = f"figures/{name}.{ext}"
            if rel not in listed and (Path(out) / rel).is_file():
                (Path(out) / rel).unlink()
                log(f"removed {rel}: its study is not in studies.json")


def run_studies(settings, study, data=None, log=print, jobs=1):
    """Run the studies named in ``study.studies`` (see the module docstring); return the results.

    Parameters
    ----------
    settings : ReproSettings
        The protocol (seeds, epochs, widths, step, targets, selection split).
    study : StudySettings
    data : entropy_ref.data.MNIST, optional
    log : callable
    jobs : int, default 1
        Worker processes for independent runs (:mod:`..jobs`); the numbers do not depend on it.
    """
    study.check_protocol(settings)          # e.g. long_epochs beyond the protocol's epochs
    check_jobs(jobs)
    out = Path(settings.out)
    with lock_directory(out), one_blas_thread():
        return _run(settings, study, data, log, jobs, out)


def _run(settings, study, data, log, jobs, out):
    t0 = time.perf_counter()
    if data is None:
        data = load_mnist(settings.data_dir)
    if settings.hidden != LENET300_SIZES[1:-1]:
        log(f"note: hidden widths {settings.hidden}, not LeNet300: the paper's points are not "
            "comparable")
    store = RunStore(out / "runs", data, log)
    previous = accumulate.previous_studies(out / STUDIES_JSON, log)
    names, identities, study = accumulate.plan(settings, study, store.fingerprint, previous, log)
    ctx = Context(settings, study, store, data, log)
    order = resolve(names)
    estimates = {s.name: s.estimate(ctx) for s in order}
    total = sum(estimates.values())
    log("studies: " + ", ".join(estimates) + "; estimated work left (2-core machine, idle): "
        + ", ".join(f"{n} {format_duration(v)}" for n, v in estimates.items())
        + f"; total {format_duration(total)}")
    ctx.tracker = Tracker(total, log)
    figures = {}
    with workers(jobs, store, settings, study, log) as pool:
        ctx.pool = pool
        for s in order:
            log(f"== study: {s.name}")
            t1 = time.perf_counter()
            ctx.results[s.name] = s.run(ctx)
            ctx.results[s.name]["seconds"] = time.perf_counter() - t1
            figures.update(draw_figure(ctx, out, s.name))
            _write(ctx, t0, identities, figures, jobs)
            log(f"== {s.name} done in {format_duration(time.perf_counter() - t1)}; "
                f"wrote {out / STUDIES_JSON}")
        ctx.pool = None
    _remove_stale_figures(out, figures, log)
    results = _write(ctx, t0, identities, figures, jobs)
    log(f"wrote {out / STUDIES_JSON}, {out / STUDIES_MD} and {out / 'figures'}/ in "
        f"{format_duration(time.perf_counter() - t0)}")
    return results
