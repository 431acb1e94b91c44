"""Prune-then-fine-tune, and the layout study (issue 12, parts 4 and 5).

finetune
    For every model of the fair comparison (dense, each tuned method, and the paper's ``sparsity``
    at lambda 1 when the ablation ran), every seed, and every level of ``finetune_levels``: the
    point of the sensitivity sweep that removes that percentage of the weights gives the mask;
    :func:`entropy_ref.prune.finetune.finetune` retrains the survivors (cross-entropy only, Adam
    with the protocol's lr and batch, fresh state, ``finetune_epochs`` epochs on the training
    images); the test accuracy (float64) is recorded beside the one-shot accuracy of the same
    point. Results are cached per run in ``finetune.json`` (keyed by the weights' hash).
layout
    (a) ``H_C`` of the initial and trained matrices (seed 0) under random row and column
    permutations and under the row-norm sort (:mod:`.permutations`); (b) the receptive-field
    variant: ``layout_reg`` with the trainer option ``layout_field = layout_value``, its lambda
    chosen on validation over the same grid as the fair study, every seed, pruned like the rest.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .. import prune
from ..mlp import accuracy, init_mlp
from ..prune.finetune import finetune, keep_masks
from ..train import TrainConfig, load_run
from ..train.runio import read_json
from .curves import model_sha256, write_json
from .select import choose, select_lambda, selection_config
from .studies import SECONDS_PER_EPOCH, seeds_record
from .summary import mean_std

__all__ = ["finetune_study", "layout", "estimate_finetune", "estimate_layout", "level_points"]

FINETUNE_JSON = "finetune.json"


def level_points(levels, step):
    """Sweep point ``j`` of each percentage removed; ValueError when ``step`` does not divide it.

    Examples
    --------
    >>> level_points((50.0, 99.0), 0.1)
    [500, 990]
    >>> level_points((50.0, 99.0), 2.0)
    Traceback (most recent call last):
    ...
    ValueError: finetune level 99% is not a point of the 2-percentile pruning sweep
    """
    out = []
    for p in levels:
        j = round(p / step)
        if abs(j * step - p) > 1e-9 * max(1.0, p):
            raise ValueError(f"finetune level {p:g}% is not a point of the {step:g}-percentile "
                             "pruning sweep")
        out.append(int(j))
    return out


def _models(ctx):
    """``[(label, method record)]`` fine-tuned: dense, tuned methods, the paper's sparsity."""
    fair = ctx.results["fair"]
    out = [("none", fair["dense"])] + [(m["label"], m) for m in fair["methods"]]
    for m in ctx.results.get("ablation", {}).get("methods", []):
        if m["reg"] == "sparsity":
            out.append((m["label"], m))
    return out


def estimate_finetune(ctx):
    st, s = ctx.study, ctx.settings
    n_models = 1 + len(st.fair_methods) + ("ablation" in st.studies)
    one = SECONDS_PER_EPOCH["none"] * st.finetune_epochs + 1.0
    n_img = (s.train_subset or ctx.n_train_all) / 60000
    return n_models * s.seeds * (len(st.finetune_levels) * one * n_img + 3.0)


def _key(ctx, params):
    s, st = ctx.settings, ctx.study
    return {"model_sha256": model_sha256(params), "epochs": st.finetune_epochs, "step": s.step,
            "sensitivity_data": s.sensitivity_data, "lr": s.lr, "batch_size": s.batch_size}


def _finetune_run(ctx, run_dir):
    """``{level: {...}}`` of one run (cached in its ``finetune.json``)."""
    s, st = ctx.settings, ctx.study
    config, params, _ = load_run(run_dir)
    key = _key(ctx, params)
    path = run_dir / FINETUNE_JSON
    cached = read_json(path, "fine-tuning results") if path.is_file() else {}
    levels = cached.get("levels", {}) if all(cached.get(k) == v for k, v in key.items()) else {}
    todo = [p for p in st.finetune_levels if f"{p:g}" not in levels]
    if todo:
        ds = ctx.store.dataset(config)
        Xs, ys = ((ds.X_train, ds.y_train) if s.sensitivity_data == "train"
                  else (ds.X_test, ds.y_test))
        plan = prune.make_plan(params, prune.sensitivity(params, Xs, ys), s.step)
        curve = ctx.store.curve(config, params, "test", s.step, s.sensitivity_data, s.targets)
        key32 = (config.val_size, config.train_subset, config.dtype)
        if getattr(ctx, "_x_train", (None,))[0] != key32:
            ctx._x_train = (key32, ds.X_train.astype(config.dtype))
        X32 = ctx._x_train[1]
        for p, j in zip(todo, level_points(todo, s.step)):
            ft, ce = finetune(params, keep_masks(params, plan, j), X32, ds.y_train,
                              epochs=st.finetune_epochs, lr=s.lr, batch_size=s.batch_size,
                              seed=config.seed)
            acc = accuracy(prune.as_float64_params(ft), ds.X_test, ds.y_test)
            levels[f"{p:g}"] = {"point": j, "nonzero": int(curve.nonzero[j]),
                                "nonzero_after": int(sum(np.count_nonzero(W) for W in ft["W"])),
                                "oneshot_accuracy": float(curve.test_accuracy[j]),
                                "finetuned_accuracy": float(acc), "train_ce": ce}
        write_json(path, {**key, "levels": levels})
    return {f"{p:g}": levels[f"{p:g}"] for p in st.finetune_levels}


def finetune_study(ctx):
    """Fine-tuned vs one-shot accuracy at every level, every model and seed."""
    st = ctx.study
    per_run_est = estimate_finetune(ctx) / max(1, len(_models(ctx)) * ctx.settings.seeds)
    methods = []
    for label, rec in _models(ctx):
        runs = []
        for r in rec["runs"]:
            runs.append({"run": r["run"], "seed": r["seed"],
                         "levels": _finetune_run(ctx, ctx.store.root / r["run"])})
            ctx.tracker.step(per_run_est, f"fine-tuning {label} seed {r['seed']}")
        summary = {}
        for p in st.finetune_levels:
            cells = [run["levels"][f"{p:g}"] for run in runs]
            summary[f"{p:g}"] = {k: mean_std([c[k] for c in cells])
                                 for k in ("nonzero", "oneshot_accuracy", "finetuned_accuracy")}
        methods.append({"label": label, "reg": rec["reg"], "lam": rec["lam"], "runs": runs,
                        "summary": summary})
    return {"levels": list(st.finetune_levels), "epochs": st.finetune_epochs,
            "methods": methods}


# ----------------------------------------------------------------------------- layout

def _layout_extra(ctx):
    st = ctx.study
    return None if st.layout_field is None else {st.layout_field: st.layout_value}


def estimate_layout(ctx):
    extra = _layout_extra(ctx)
    if extra is None:
        return 5.0
    s = ctx.settings
    from .study_fair import _fair_settings
    fs = _fair_settings(ctx)
    grid = dict(ctx.study.fair_grid)[ctx.study.layout_reg]
    total = sum(ctx.cost(selection_config(fs, ctx.study.layout_reg, lam, extra)) for lam in grid) \
        if ctx.study.layout_select else 0.0
    return total + sum(min(ctx.cost(ctx.train_config(ctx.study.layout_reg, lam, seed, None,
                                                     extra)) for lam in grid)
                       for seed in range(ctx.study.layout_seeds or s.seeds)) + 5.0


def _permutation_table(ctx):
    """Part (a): ``H_C`` under permutations for the initial and the trained matrices (seed 0)."""
    from .permutations import permutation_study
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


def layout(ctx):
    """Both parts of the layout study (part (b) only when the trainer offers the option)."""
    result = {"permutations": _permutation_table(ctx), "n_permutations":
              ctx.study.layout_permutations}
    ctx.tracker.step(1.0, "permutations")
    extra = _layout_extra(ctx)
    if extra is None:
        result["variant"] = None
        ctx.log("layout (b) skipped: no trainer layout option configured")
        return result
    from .study_fair import _fair_settings, _with_halves
    st, fs = ctx.study, _fair_settings(ctx)
    reg, grid = st.layout_reg, dict(st.fair_grid)[st.layout_reg]
    rows = []
    if st.layout_select:
        for lam in grid:
            est = ctx.cost(selection_config(fs, reg, lam, extra))
            one = dataclasses.replace(fs, select_grid=((reg, (lam,)),))
            rows += select_lambda(ctx.store, one, reg, lambda *a: None, extra)["rows"]
            ctx.tracker.step(est, f"selection {reg} (receptive field) lambda {lam:g}")
        chosen = rows[choose(rows)]["lam"]
    else:
        chosen = ctx.results["fair"]["selection"][reg]["chosen"]
    label = f"{reg}-rf"
    rec = seeds_record(ctx, label, reg, chosen, "W1's operator over each unit's 28x28 "
                       "receptive field", extra=extra, seeds=st.layout_seeds,
                       dense_summary=ctx.results["fair"]["dense"]["summary"])
    rec = _with_halves(ctx, rec, reg, chosen)
    result["variant"] = rec
    result["selection"] = {"reg": reg, "grid": [float(v) for v in grid] if rows else [],
                           "rows": rows, "chosen": chosen, "validated": bool(rows),
                           "option": {k: v for k, v in extra.items()}}
    return result
