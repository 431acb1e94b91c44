"""Prune, then fine-tune: the survivors retrained with the mask kept, against one-shot pruning.

For every model of the fair comparison (dense, each tuned method, and the paper's ``sparsity`` at
lambda 1 when the ablation ran), every seed, and every level of ``finetune_levels``: the point of
the sensitivity sweep that removes that percentage of the weights gives the mask;
:func:`entropy_ref.prune.finetune.finetune` retrains the survivors (cross-entropy only, Adam with
the protocol's lr and batch, fresh state, ``finetune_epochs`` epochs on the training images); the
test accuracy (float64) is recorded beside the one-shot accuracy of the same point. Results are
cached per run in ``finetune.json`` (keyed by the weights' hash and every setting that matters).
"""

from __future__ import annotations

import numpy as np

from ... import prune
from ...mlp import accuracy
from ...prune.finetune import finetune, keep_masks
from ...train import load_run
from ...train.runio import read_json
from ..curves import model_sha256, write_json
from ..summary import mean_std
from .context import SECONDS_PER_EPOCH

__all__ = ["FINETUNE_JSON", "run", "estimate", "level_points"]

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


def estimate(ctx):
    """Seconds still needed: every level of every model and seed (a few epochs each)."""
    st, s = ctx.study, ctx.settings
    n_models = 1 + len(st.fair_methods) + ("ablation" in st.studies)
    one = SECONDS_PER_EPOCH["none"] * st.finetune_epochs + 1.0
    n_img = (s.train_subset or ctx.n_train_all) / 60000
    return n_models * s.seeds * (len(st.finetune_levels) * one * n_img + 3.0)


def _key(ctx, params):
    s, st = ctx.settings, ctx.study
    return {"model_sha256": model_sha256(params), "epochs": st.finetune_epochs, "step": s.step,
            "sensitivity_data": s.sensitivity_data, "lr": s.lr, "batch_size": s.batch_size}


def _training_features(ctx, config, ds):
    """``ds.X_train`` in the training dtype, converted once per split, subset and dtype."""
    key = (config.val_size, config.train_subset, config.dtype)
    if ctx.memo.get("finetune_X", (None,))[0] != key:
        ctx.memo["finetune_X"] = (key, ds.X_train.astype(config.dtype))
    return ctx.memo["finetune_X"][1]


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
        X32 = _training_features(ctx, config, ds)
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


def run(ctx):
    """Fine-tuned vs one-shot accuracy at every level, every model and seed."""
    st = ctx.study
    per_run_est = estimate(ctx) / max(1, len(_models(ctx)) * ctx.settings.seeds)
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
