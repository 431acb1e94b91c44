"""``entropy-ref reproduce --study ...``: the studies of :mod:`.registry`, end to end.

Outputs in ``settings.out`` (beside the paper-protocol reproduction, sharing its ``runs/``):

``studies.json``   everything measured, per run and summarised (no curves); rewritten after every
                   study, so an interrupted invocation keeps what finished;
``studies.md``     the tables (:mod:`.report`);
``figures/``       one figure per study (:mod:`.figures`).

Before starting, the work still to do is estimated from the runs already on disk and printed;
while running, every finished unit logs the share of the estimate done and the ETA.
"""

from __future__ import annotations

import time
from pathlib import Path

from ...data import load_mnist
from ...mlp import LENET300_SIZES
from ...train.progress import format_duration
from ..curves import write_json
from ..runstore import RunStore
from ..settings import PAPER
from .context import Context, Tracker
from .figures import draw_figures
from .registry import resolve
from .report import write_markdown

__all__ = ["STUDIES_JSON", "STUDIES_MD", "run_studies"]

STUDIES_JSON, STUDIES_MD = "studies.json", "studies.md"


def _write(ctx, t0):
    """Write ``studies.json`` and ``studies.md`` from what ``ctx`` holds; return the results."""
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
    study.check_protocol(settings)          # e.g. long_epochs beyond the protocol's epochs
    t0 = time.perf_counter()
    out = Path(settings.out)
    out.mkdir(parents=True, exist_ok=True)
    if data is None:
        data = load_mnist(settings.data_dir)
    if settings.hidden != LENET300_SIZES[1:-1]:
        log(f"note: hidden widths {settings.hidden}, not LeNet300: the paper's points are not "
            "comparable")
    ctx = Context(settings, study, RunStore(out / "runs", data, log), data, log)
    order = resolve(study.studies)
    estimates = {s.name: s.estimate(ctx) for s in order}
    total = sum(estimates.values())
    log("studies: " + ", ".join(estimates) + "; estimated work left (2-core machine, idle): "
        + ", ".join(f"{n} {format_duration(v)}" for n, v in estimates.items())
        + f"; total {format_duration(total)}")
    ctx.tracker = Tracker(total, log)
    for s in order:
        log(f"== study: {s.name}")
        t1 = time.perf_counter()
        ctx.results[s.name] = s.run(ctx)
        ctx.results[s.name]["seconds"] = time.perf_counter() - t1
        _write(ctx, t0)
        log(f"== {s.name} done in {format_duration(time.perf_counter() - t1)}; "
            f"wrote {out / STUDIES_JSON}")
    ctx.results["figures"] = draw_figures(ctx, out)
    results = _write(ctx, t0)
    log(f"wrote {out / STUDIES_JSON}, {out / STUDIES_MD} and {out / 'figures'}/ in "
        f"{format_duration(time.perf_counter() - t0)}")
    return results
