"""The layout study: does ``H_C`` depend on the order of hidden units, and does a spatial layout help?

(a) ``H_C`` of the initial and the trained matrices (seed 0) under random row and column
permutations and under the row-norm sort (:mod:`..permutations`).
(b) The receptive-field variant: ``layout_reg`` with the trainer option
``layout_field = layout_value``, its lambda chosen on the validation split over the same grid as
the fair comparison (or the fair comparison's lambda, without ``layout_select``), every seed,
pruned like the rest. Skipped when no trainer option is configured.
"""

from __future__ import annotations

import numpy as np

from ...mlp import init_mlp
from ...train import TrainConfig
from ..permutations import permutation_study
from ..select import choose, selection_config
from .context import main_cost, seeds_record, with_halves
from .fair import fair_settings, select_each

__all__ = ["run", "estimate"]


def _extra(ctx):
    """The TrainConfig fields of the variant (None: no trainer layout option configured)."""
    st = ctx.study
    return None if st.layout_field is None else {st.layout_field: st.layout_value}


def estimate(ctx):
    """Seconds still needed: the permutations, the variant's selection and main runs."""
    extra = _extra(ctx)
    if extra is None:
        return 5.0
    st, fs = ctx.study, fair_settings(ctx)
    grid = dict(st.fair_grid)[st.layout_reg]
    total = sum(ctx.cost(selection_config(fs, st.layout_reg, lam, extra)) for lam in grid) \
        if st.layout_select else 0.0
    seeds = st.layout_seeds or ctx.settings.seeds
    return total + main_cost(ctx, st.layout_reg, grid, seeds, extra=extra) + 5.0


def _permutation_table(ctx):
    """Part (a): ``H_C`` under permutations for the initial and the trained matrices (seed 0)."""
    s, st = ctx.settings, ctx.study
    sizes = TrainConfig(hidden=s.hidden).sizes
    models = [("initial", init_mlp(sizes, 0, np.float64))]
    models += [(label, ctx.params[label]) for label in
               ["none"] + list(st.fair_methods) + [f"sparsity (λ={st.ablation_lam:g})"]
               if label in ctx.params]
    rows = []
    for label, params in models:
        for rec in permutation_study(params["W"], st.layout_permutations, seed=0):
            row = {"model": label, "layer": rec["layer"] + 1, "shape": rec["shape"],
                   "original": rec["H"], "sorted_rows": rec["sorted_rows"]["change"]}
            for key, name in (("rows", "rows"), ("columns", "cols")):
                for stat in ("mean", "std", "min", "max", "mean_abs"):
                    row[f"{name}_{stat}"] = rec[key][stat]
            rows.append(row)
    return rows


def _variant(ctx, extra):
    """Part (b): the variant's selection record and its method record."""
    st = ctx.study
    reg, grid = st.layout_reg, dict(st.fair_grid)[st.layout_reg]
    rows = []
    if st.layout_select:
        ctx.prefetch(ctx.selection_tasks(fair_settings(ctx), reg, grid, extra))
        for rec in select_each(ctx, reg, grid, f"{reg} (receptive field)", extra):
            rows += rec["rows"]
        chosen = rows[choose(rows)]["lam"]
    else:
        chosen = ctx.results["fair"]["selection"][reg]["chosen"]
    ctx.prefetch(ctx.main_tasks(reg, chosen, seeds=st.layout_seeds, extra=extra))
    rec = seeds_record(ctx, f"{reg}-rf", reg, chosen, "W1's operator over each unit's 28x28 "
                       "receptive field", extra=extra, seeds=st.layout_seeds,
                       dense_summary=ctx.results["fair"]["dense"]["summary"])
    selection = {"reg": reg, "grid": [float(v) for v in grid] if rows else [], "rows": rows,
                 "chosen": chosen, "validated": bool(rows), "option": dict(extra)}
    return selection, with_halves(ctx, rec)


def run(ctx):
    """Both parts of the layout study (part (b) only when the trainer offers the option)."""
    result = {"permutations": _permutation_table(ctx),
              "n_permutations": ctx.study.layout_permutations}
    ctx.tracker.step(1.0, "permutations")
    extra = _extra(ctx)
    if extra is None:
        result["variant"] = None
        ctx.log("layout (b) skipped: no trainer layout option configured")
        return result
    selection, result["variant"] = _variant(ctx, extra)
    result["selection"] = selection
    return result
