"""The regime map: every method tuned for the level it is judged at, against iterative pruning.

For every removal level of ``regime_levels`` (90 to 99.5% of the weights) and every method of
``regime_grid`` (``none`` besides):

1. **Selection.** Every lambda of the method's grid (the fair study's grids, extended to clearly
   accuracy-limiting strengths) is trained on the validation split exactly as the fair study's
   selection runs are (seed 0, the training images minus the last ``select_val_size``, the same
   epochs), so those runs are reused. Each is pruned at the level by the paper's sensitivity (on
   its own training images), fine-tuned ``regime_select_epochs`` epochs with cross-entropy only
   (mask kept), and scored on the validation images. Per level the lambda with the highest
   fine-tuned validation accuracy wins; **a tie goes to the smaller lambda** (the weaker
   regularizer), see :func:`choose`.
2. **Final models.** The chosen lambda of each (method, level) is trained with every seed on the
   whole training set (a lambda trained before, by this study or another, is reused), pruned at
   the level and fine-tuned ``max(regime_finetune_epochs)`` epochs, the test accuracy recorded
   one-shot and after each fine-tune length.
3. **Iterative pruning.** From the dense model and from each method's model chosen for
   ``regime_iterative_level``, every seed: cycles of pruning ``regime_fraction`` of the surviving
   weights (global ranking by magnitude, and by sensitivity) and retraining
   ``regime_cycle_epochs`` epochs, landing exactly on every level
   (:mod:`entropy_ref.prune.iterative`).

Budgets (epochs): training ``epochs``; one-shot + fine-tune ``epochs + k``; iterative at a level
``epochs + cycles * regime_cycle_epochs`` (the cycles needed to reach it). Results are committed
beside each model (:mod:`.regime_work`). With ``--jobs N`` the work is done by N worker processes
(:mod:`.regime_tasks`): the selection units and the dense model's work first; as soon as every
selection unit has ended, the lambdas are chosen here and the chosen models' trainings, fine-tunes
and iterative chains join the workers; the study then reads every committed result. The record's
tables and verdict facts are in :mod:`.regime_report`.
"""

from __future__ import annotations

import json

from ...prune.iterative import RANKINGS
from ..runstore import run_name
from ..select import selection_config
from ..summary import mean_std
from .fair import fair_settings
from .regime_tasks import RegimeTask
from .regime_work import model_results, protocol, result_path

__all__ = ["TIE_RULE", "methods", "choose", "run", "estimate"]

#: how the selection breaks a tie, as recorded in the results
TIE_RULE = ("highest fine-tuned validation accuracy; equal accuracies (the same count of "
            "correct images) go to the smaller lambda")


def methods(study):
    """The methods of the regime map: ``none`` and the methods of ``regime_grid``."""
    return ("none",) + tuple(reg for reg, _ in study.regime_grid)


def choose(rows, levels):
    """``{level: lambda}``: per level the row with the best fine-tuned validation accuracy.

    A tie (equal accuracy) goes to the smaller lambda.

    Examples
    --------
    >>> rows = [{"lam": 0.1, "levels": {"90": {"finetuned_accuracy": {"2": 0.95}}}},
    ...         {"lam": 1.0, "levels": {"90": {"finetuned_accuracy": {"2": 0.95}}}},
    ...         {"lam": 3.0, "levels": {"90": {"finetuned_accuracy": {"2": 0.93}}}}]
    >>> choose(rows, (90.0,))
    {'90': 0.1}
    """
    out = {}
    for level in levels:
        key = f"{level:g}"

        def merit(row):
            (acc,) = row["levels"][key]["finetuned_accuracy"].values()
            return acc, -row["lam"]
        out[key] = max(rows, key=merit)["lam"]
    return out


def _work_seconds(ctx, config, work):
    """Estimated seconds of ``work`` (``{kind: tags}``) on ``config`` not yet done."""
    return RegimeTask.build(ctx, config, work).estimate


def _selection_configs(ctx):
    fs = fair_settings(ctx)
    return [(reg, lam, selection_config(fs, reg, lam)) for reg, grid in ctx.study.regime_grid
            for lam in grid]


def _final_work(ctx, chosen, only=None):
    """``[(method, lam, seed, config, {kind: tags})]``: the final models and their work (of the
    methods ``only``, default every one; ``chosen`` is not read for ``none``)."""
    st, s = ctx.study, ctx.settings
    wanted = {}                                              # (method, lam) -> work
    for method in methods(st) if only is None else only:
        for level in st.regime_levels:
            lam = 0.0 if method == "none" else chosen[method][f"{level:g}"]
            wanted.setdefault((method, lam), {}).setdefault("finetune", []).append(level)
        if method in st.regime_iterative_methods:
            lam = 0.0 if method == "none" else chosen[method][f"{st.regime_iterative_level:g}"]
            wanted.setdefault((method, lam), {})["iterative"] = list(RANKINGS)
    return [(method, lam, seed, ctx.train_config(method, lam, seed), work)
            for (method, lam), work in wanted.items() for seed in range(s.seeds)]


def _chosen_on_disk(ctx):
    """The chosen lambdas if every selection result is committed, else None (for estimates)."""
    st, rows = ctx.study, {}
    for reg, lam, config in _selection_configs(ctx):
        levels = {}
        for level in st.regime_levels:
            path = result_path(ctx.store.run_dir(config), protocol(ctx, "select", level, config))
            if not path.is_file():
                return None
            try:
                levels[f"{level:g}"] = json.loads(path.read_text())["result"]
            except (OSError, ValueError, KeyError):
                return None
        rows.setdefault(reg, []).append({"lam": lam, "levels": levels})
    return {reg: choose(r, st.regime_levels) for reg, r in rows.items()}


def _guess(grid, levels):
    """Lambdas per level before the selection ran: from the middle of the grid at the lowest
    level to its strongest value at the highest (about half the levels get a lambda of their own).

    Examples
    --------
    >>> _guess((1, 2, 3, 4, 5, 6), (90, 95, 99))
    {'90': 4, '95': 5, '99': 6}
    """
    mid, n = len(grid) // 2, len(levels)
    return {f"{lv:g}": grid[mid + i * (len(grid) - 1 - mid) // max(1, n - 1)]
            for i, lv in enumerate(levels)}


def _fair_trains(ctx):
    """Names of the runs the fair study trains when it runs before (its estimate counts them):
    the selection runs of its grids and the dense runs."""
    if "fair" not in ctx.study.studies:
        return set()
    fs = fair_settings(ctx)
    return {run_name(selection_config(fs, reg, lam)) for reg, grid in ctx.study.fair_grid
            for lam in grid} | {run_name(ctx.train_config("none", 0.0, seed))
                                for seed in range(ctx.settings.seeds)}


def _tasks(ctx, jobs, shared=frozenset()):
    """A :class:`.regime_tasks.RegimeTask` per ``(config, work)``; the training of the runs
    named in ``shared`` is not counted in the estimates (another study's)."""
    out = []
    for config, work in jobs:
        task = RegimeTask.build(ctx, config, work)
        if task.name in shared:
            task = RegimeTask(config, work, {**task.estimates, "training": 0.0})
        out.append(task)
    return out


def _selection_tasks(ctx, shared=frozenset()):
    levels = ctx.study.regime_levels
    return _tasks(ctx, [(config, {"select": levels}) for _, _, config in _selection_configs(ctx)],
                  shared)


def _final_tasks(ctx, chosen, only=None, shared=frozenset()):
    return _tasks(ctx, [(config, work) for *_, config, work in _final_work(ctx, chosen, only)],
                  shared)


def estimate(ctx):
    """Seconds still needed: selection runs and fine-tunes, final runs, fine-tunes, cycles (the
    runs the fair study trains before it not counted twice)."""
    st, shared = ctx.study, _fair_trains(ctx)
    chosen = _chosen_on_disk(ctx) or {reg: _guess(grid, st.regime_levels)
                                      for reg, grid in st.regime_grid}
    return sum(t.estimate for t in _selection_tasks(ctx, shared)
               + _final_tasks(ctx, chosen, shared=shared))


def _selection(ctx):
    """The selection per method (committed results read, or computed here)."""
    st = ctx.study
    rows = {}
    for reg, lam, config in _selection_configs(ctx):
        est = _work_seconds(ctx, config, {"select": st.regime_levels})
        res = model_results(ctx, config, "select", st.regime_levels)
        rows.setdefault(reg, []).append({"lam": lam, "run": ctx.store.run_dir(config).name,
                                         "levels": res})
        ctx.tracker.step(est, f"regime selection {reg} lambda {lam:g}")
    out = {reg: {"rows": r, "chosen": choose(r, st.regime_levels)} for reg, r in rows.items()}
    for reg, rec in out.items():
        ctx.log(f"  {reg}: lambda per level " + ", ".join(f"{k}%: {v:g}"
                                                          for k, v in rec["chosen"].items()))
    return out


def _prefetch(ctx):
    """With worker processes: the selection units and the dense model's work first; once the
    selection units have ended, the choice, then the chosen models' work. Returns the
    selection (None without workers)."""
    if ctx.pool is None:
        return None
    selection = {}

    def decide():
        selection.update(_selection(ctx))
        chosen = {reg: rec["chosen"] for reg, rec in selection.items()}
        return _final_tasks(ctx, chosen, [m for m in methods(ctx.study) if m != "none"])

    first = _selection_tasks(ctx)
    ctx.prefetch(first + _final_tasks(ctx, None, ("none",)),
                 then=([t.name for t in first], decide))
    return selection


def run(ctx):
    """Selection per level, final models, one-shot / fine-tuned / iterative accuracies."""
    st, s = ctx.study, ctx.settings
    selection = _prefetch(ctx) or _selection(ctx)
    chosen = {reg: rec["chosen"] for reg, rec in selection.items()}
    final = _final_work(ctx, chosen)
    cells = {m: {f"{lv:g}": {"lam": None, "runs": []} for lv in st.regime_levels}
             for m in methods(st)}
    iterative = {}
    for method, lam, seed, config, work in final:
        est = _work_seconds(ctx, config, work)
        run_dir = ctx.store.run_dir(config).name
        oneshot = model_results(ctx, config, "finetune", work.get("finetune", ()))
        for level, res in oneshot.items():
            cells[method][level]["lam"] = None if method == "none" else lam
            cells[method][level]["runs"].append({"run": run_dir, "seed": seed, **res})
        if "iterative" in work:
            rec = iterative.setdefault(method, {"lam": None if method == "none" else lam,
                                                "rankings": {r: {"runs": []} for r in RANKINGS}})
            for ranking, res in model_results(ctx, config, "iterative", RANKINGS).items():
                rec["rankings"][ranking]["runs"].append({"run": run_dir, "seed": seed, **res})
        ctx.tracker.step(est, f"regime {method} lambda {lam:g} seed {seed}")
    for method in cells:
        for cell in cells[method].values():
            runs = cell["runs"]
            cell["summary"] = {"oneshot": mean_std([r["oneshot_accuracy"] for r in runs])}
            for e in st.regime_finetune_epochs:
                cell["summary"][f"finetuned_{e:g}"] = mean_std(
                    [r["finetuned_accuracy"][f"{e:g}"] for r in runs])
    for rec in iterative.values():
        for r in rec["rankings"].values():
            r["summary"] = {}
            for level in st.regime_levels:
                at = [next(c for c in run["cycles"] if c["level"] == level) for run in r["runs"]]
                r["summary"][f"{level:g}"] = {**mean_std([c["accuracy"] for c in at]),
                                              "cycles": at[0]["cycle"] if at else None}
    return {"levels": list(st.regime_levels), "methods": list(methods(st)),
            "grid": {reg: list(grid) for reg, grid in st.regime_grid},
            "tie_rule": TIE_RULE, "selection": selection, "cells": cells,
            "iterative": iterative,
            "protocol": {"train_epochs": s.epochs, "seeds": s.seeds,
                         "select_epochs": fair_settings(ctx).select_epochs or s.epochs,
                         "select_finetune_epochs": st.regime_select_epochs,
                         "val_size": s.select_val_size,
                         "finetune_epochs": list(st.regime_finetune_epochs),
                         "fraction": st.regime_fraction, "cycle_epochs": st.regime_cycle_epochs,
                         "iterative_level": st.regime_iterative_level,
                         "iterative_methods": list(st.regime_iterative_methods),
                         "sensitivity_data": s.sensitivity_data}}
