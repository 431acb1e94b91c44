"""The fair comparison: every method at a lambda chosen on the validation split by one rule.

Every method's lambda is chosen on the validation split by :func:`..select.choose` over its
``fair_grid`` (one run per lambda: seed 0, training images minus the last ``select_val_size``;
the fewest nonzero weights reaching ``select_target`` validation accuracy wins), then trained with
every seed on the whole training set and pruned. The dense model is trained beside them.
The other studies build on this one: its chosen lambdas, its dense model and its records.
"""

from __future__ import annotations

import dataclasses

from ..select import choose, select_lambda, selection_config
from .context import dense_record, main_cost, seeds_record, with_halves

__all__ = ["run", "estimate", "fair_settings", "select_each"]


def fair_settings(ctx):
    """The protocol with the fair grids and the selection runs' epochs, target and step."""
    return dataclasses.replace(ctx.settings, select_grid=ctx.study.fair_grid,
                               step=ctx.study.select_step or ctx.settings.step,
                               select_epochs=ctx.study.select_epochs
                               or ctx.settings.select_epochs,
                               select_target=ctx.study.select_target
                               or ctx.settings.select_target)


def select_each(ctx, reg, grid, what, extra=None):
    """:func:`..select.select_lambda` one lambda at a time, progress logged after each run.

    Returns the per-lambda records (each with its one row), in ``grid`` order; ``what`` names
    the runs in the progress lines, ``extra`` holds more TrainConfig fields of the runs.
    """
    s = fair_settings(ctx)
    records = []
    for lam in grid:
        one = dataclasses.replace(s, select_grid=((reg, (lam,)),))
        est = ctx.cost(selection_config(s, reg, lam, extra))
        records.append(select_lambda(ctx.store, one, reg, lambda *a: None, extra))
        ctx.tracker.step(est, f"selection {what} lambda {lam:g}")
    return records


def _select(ctx, reg, grid):
    """The selection record of ``reg`` over ``grid`` (as :func:`..select.select_lambda`'s)."""
    records = select_each(ctx, reg, grid, reg)
    rows = [row for rec in records for row in rec["rows"]]
    record = records[-1]
    record.update(grid=[float(v) for v in grid], rows=rows, chosen=rows[choose(rows)]["lam"])
    ctx.log(f"  {reg}: chose lambda {record['chosen']:g} on the validation split")
    return record


def estimate(ctx):
    """Seconds still needed: the dense runs, every selection run, the cheapest main runs."""
    s = fair_settings(ctx)
    total = sum(ctx.cost(ctx.train_config("none", 0.0, seed)) for seed in range(s.seeds))
    for reg, grid in ctx.study.fair_grid:
        total += sum(ctx.cost(selection_config(s, reg, lam)) for lam in grid)
        total += main_cost(ctx, reg, grid, s.seeds)
    return total


def run(ctx):
    """Validation-tuned lambda for every method, then every seed on the whole training set."""
    s, fs = ctx.settings, fair_settings(ctx)
    selection = {}

    def chosen():                   # once the selection runs are done, their main runs start
        selection.update({reg: _select(ctx, reg, grid) for reg, grid in ctx.study.fair_grid})
        return [t for reg in ctx.study.fair_methods
                for t in ctx.main_tasks(reg, selection[reg]["chosen"])]

    tasks = [t for reg, grid in ctx.study.fair_grid for t in ctx.selection_tasks(fs, reg, grid)]
    ctx.prefetch(tasks + list(ctx.main_tasks("none", 0.0)),
                 then=([t.name for t in tasks], chosen))
    if not selection:
        chosen()
    dense = with_halves(ctx, dense_record(ctx))
    methods = []
    for reg in ctx.study.fair_methods:
        lam = selection[reg]["chosen"]
        ctx.log(f"{reg}: lambda {lam:g} (validation), {s.seeds} seed(s), {s.epochs} epoch(s)")
        rec = seeds_record(ctx, reg, reg, lam, "lambda chosen on the validation split",
                           dense_summary=dense["summary"])
        methods.append(with_halves(ctx, rec))
    return {"selection": selection, "dense": dense, "methods": methods,
            "val_size": s.select_val_size, "target": fs.select_target,
            "select_step": fs.step, "select_epochs": fs.select_epochs or s.epochs}
