"""The fair comparison, the ablation of ``l_C``'s two halves, and longer training (issue 12).

fair
    Every method's lambda is chosen on the validation split by :func:`.select.choose` over its
    ``fair_grid`` (one run per lambda: seed 0, training images minus the last
    ``select_val_size``; the fewest nonzero weights reaching ``select_target`` validation accuracy
    wins), then trained with every seed on the whole training set and pruned.
ablation
    ``sparsity``, ``loghoyer`` and ``rayleigh`` at the paper's lambda (every seed), and, for every
    trained model, the two halves ``loghoyer(W_l)`` and ``rayleigh(W_l)`` of its final weights.
long
    The methods whose test accuracy still rose over the last epochs, retrained to
    ``long_epochs`` (a longer run continues the shorter one's checkpoint: bit-identical to
    training from scratch, see :func:`entropy_ref.train.train`), with the dense model at the same
    epochs.
"""

from __future__ import annotations

import dataclasses
import shutil

import numpy as np

from ..hoyer_rayleigh import loghoyer, rayleigh
from ..train.runio import CONFIG, HISTORY, MODEL
from .select import choose, select_lambda, selection_config
from .studies import dense_record, seeds_record
from .summary import summarize_method

__all__ = ["fair", "ablation", "long", "estimate_fair", "estimate_ablation", "estimate_long",
           "halves_per_layer", "climb"]

ABLATION = ("sparsity", "loghoyer", "rayleigh")


def _fair_settings(ctx):
    """The protocol with the fair grids and the selection curves' step."""
    return dataclasses.replace(ctx.settings, select_grid=ctx.study.fair_grid,
                               step=ctx.study.select_step or ctx.settings.step,
                               select_epochs=ctx.study.select_epochs
                               or ctx.settings.select_epochs,
                               select_target=ctx.study.select_target
                               or ctx.settings.select_target)


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


def _main_cost(ctx, reg, grid, seeds, epochs=None):
    """Estimated seconds of the main runs of ``reg`` (its lambda is one of ``grid``)."""
    total = 0.0
    for seed in range(seeds):
        total += min(ctx.cost(ctx.train_config(reg, lam, seed, epochs)) for lam in grid)
    return total


def estimate_fair(ctx):
    s = _fair_settings(ctx)
    total = sum(ctx.cost(ctx.train_config("none", 0.0, seed)) for seed in range(s.seeds))
    for reg, grid in ctx.study.fair_grid:
        total += sum(ctx.cost(selection_config(s, reg, lam)) for lam in grid)
        total += _main_cost(ctx, reg, grid, s.seeds)
    return total


def _select(ctx, reg, grid):
    """:func:`.select.select_lambda` one lambda at a time (progress after each run)."""
    s = _fair_settings(ctx)
    rows, record = [], None
    for lam in grid:
        one = dataclasses.replace(s, select_grid=((reg, (lam,)),))
        est = ctx.cost(selection_config(s, reg, lam))
        record = select_lambda(ctx.store, one, reg, lambda *a: None)
        rows += record["rows"]
        ctx.tracker.step(est, f"selection {reg} lambda {lam:g}")
    record.update(grid=[float(v) for v in grid], rows=rows, chosen=rows[choose(rows)]["lam"])
    ctx.log(f"  {reg}: chose lambda {record['chosen']:g} on the validation split")
    return record


def _with_halves(ctx, rec, reg, lam, epochs=None, extra=None):
    """Add the final weights' halves (per seed, and the seed mean) to a method record."""
    from ..train import load_run
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


def fair(ctx):
    """Validation-tuned lambda for every method, then every seed on the whole training set."""
    s = ctx.settings
    selection = {reg: _select(ctx, reg, grid) for reg, grid in ctx.study.fair_grid}
    dense = _with_halves(ctx, dense_record(ctx), "none", 0.0)
    methods = []
    for reg in ctx.study.fair_methods:
        lam = selection[reg]["chosen"]
        ctx.log(f"{reg}: lambda {lam:g} (validation), {s.seeds} seed(s), {s.epochs} epoch(s)")
        rec = seeds_record(ctx, reg, reg, lam, "lambda chosen on the validation split",
                           dense_summary=dense["summary"])
        methods.append(_with_halves(ctx, rec, reg, lam))
    return {"selection": selection, "dense": dense, "methods": methods,
            "val_size": s.select_val_size, "target": _fair_settings(ctx).select_target,
            "select_step": _fair_settings(ctx).step,
            "select_epochs": _fair_settings(ctx).select_epochs or s.epochs}


def estimate_ablation(ctx):
    lam = ctx.study.ablation_lam
    return sum(ctx.cost(ctx.train_config(reg, lam, seed))
               for reg in ABLATION for seed in range(ctx.study.ablation_seeds or ctx.settings.seeds))


def ablation(ctx):
    """The two halves of ``l_C`` and ``l_C`` itself at the paper's lambda (every seed)."""
    lam = ctx.study.ablation_lam
    dense = ctx.results["fair"]["dense"]
    methods = []
    for reg in ABLATION:
        label = f"{reg} (λ={lam:g})"
        rec = seeds_record(ctx, label, reg, lam, f"the paper's lambda {lam:g}",
                           seeds=ctx.study.ablation_seeds, dense_summary=dense["summary"])
        methods.append(_with_halves(ctx, rec, reg, lam))
    tuned = {m["reg"]: m["lam"] for m in ctx.results["fair"]["methods"]}
    return {"lam": lam, "methods": methods, "tuned_lam": {r: tuned.get(r) for r in ABLATION}}


def _long_choice(ctx):
    """``[(label, reg, lam)]`` of the long study and the climb of every candidate."""
    fair_rec = ctx.results["fair"]
    st = ctx.study
    cands = {m["label"]: m for m in fair_rec["methods"]}
    for m in ctx.results.get("ablation", {}).get("methods", []):
        cands.setdefault(m["label"], m)
    rises = {label: m["summary"].get("climb") for label, m in cands.items()}
    if st.long_methods is not None:
        picked = [label for label in st.long_methods if label in cands]
    else:
        def rank(label):
            cell = cands[label]["summary"]["targets"].get("0.96", {})
            return (cell.get("mean") is None, cell.get("mean") or 0.0,
                    -cands[label]["summary"]["final_accuracy"]["mean"])
        tuned = [m["label"] for m in fair_rec["methods"]
                 if (rises[m["label"]] or -1) >= st.long_climb]
        picked = sorted(tuned, key=rank)[:st.long_max]
    return [(label, cands[label]["reg"], cands[label]["lam"]) for label in picked], rises


def _seed_from_shorter(ctx, config_long, config_short):
    """Start ``config_long``'s run directory from the finished shorter run (if there is one)."""
    long_dir, short_dir = ctx.store.run_dir(config_long), ctx.store.run_dir(config_short)
    if (long_dir / MODEL).is_file() or not (short_dir / MODEL).is_file():
        return
    long_dir.mkdir(parents=True, exist_ok=True)
    for name in (CONFIG, HISTORY, MODEL):        # the checkpoint last: it is the commit point
        shutil.copy2(short_dir / name, long_dir / name)


def estimate_long(ctx):
    st, s = ctx.study, ctx.settings
    seeds = st.long_seeds or s.seeds
    n = (len(st.long_methods) if st.long_methods is not None else st.long_max) + 1
    extra = (st.long_epochs - s.epochs) / st.long_epochs
    one = ctx.cost(ctx.train_config("sparsity", 1.0, 0, st.long_epochs))
    return n * seeds * one * max(extra, 0.0) + n * seeds * 10.0


def long(ctx):
    """The chosen methods and the dense model at ``long_epochs`` (continuing the short runs)."""
    st, s = ctx.study, ctx.settings
    seeds = min(st.long_seeds or s.seeds, s.seeds)
    picked, rises = _long_choice(ctx)
    ctx.log(f"long: {st.long_epochs} epochs for " + (", ".join(p[0] for p in picked) or "nothing")
            + f" (still climbing at {s.epochs}: rise over the last {st.long_window} epochs >= "
            f"{st.long_climb:g}, at most {st.long_max}) and the dense model, {seeds} seed(s)")
    for label, reg, lam in [("none", "none", 0.0)] + picked:
        for seed in range(seeds):
            _seed_from_shorter(ctx, ctx.train_config(reg, lam, seed, st.long_epochs),
                               ctx.train_config(reg, lam, seed))
    dense = dense_record(ctx, epochs=st.long_epochs, seeds=seeds)
    methods = []
    for label, reg, lam in picked:
        rec = seeds_record(ctx, f"{label}@{st.long_epochs}", reg, lam,
                           f"{label} trained {st.long_epochs} epochs", seeds=seeds,
                           epochs=st.long_epochs, dense_summary=dense["summary"])
        rec["short_label"] = label
        methods.append(rec)
    short = {m["label"]: m for m in ctx.results["fair"]["methods"]
             + ctx.results.get("ablation", {}).get("methods", [])}
    short["none"] = ctx.results["fair"]["dense"]
    # the short runs re-summarised over the same seeds, for a like-for-like ranking
    same_seeds = {}
    for label in ["none"] + [p[0] for p in picked]:
        runs = short[label]["runs"][:seeds]
        dense_short = summarize_method(short["none"]["runs"][:seeds], s.targets)
        same_seeds[label] = summarize_method(runs, s.targets, dense_short)
    return {"epochs": st.long_epochs, "short_epochs": s.epochs, "seeds": seeds,
            "climb": rises, "picked": [p[0] for p in picked], "dense": dense,
            "methods": methods, "short_same_seeds": same_seeds}
