"""Longer training: the methods still climbing at the end of the protocol, at ``long_epochs``.

The methods of the fair comparison (and of the ablation, when it ran) whose seed-mean test
accuracy still rose by at least ``long_climb`` over the last ``long_window`` epochs, best first
and at most ``long_max`` of them (or the ``long_methods`` named), are retrained to
``long_epochs`` together with the dense model. A longer run continues the shorter one's
checkpoint: bit-identical to training from scratch (see :func:`entropy_ref.train.train`). The
short runs are summarised again over the same seeds, for a like-for-like ranking.
"""

from __future__ import annotations

from ...storage.atomic import atomic_write_bytes
from ...storage.lock import lock_directory
from ...train.runio import HISTORY, MODEL
from ..summary import summarize_method
from .context import dense_record, seeds_record

__all__ = ["run", "estimate"]


def _candidates(ctx):
    """``label -> method record`` of every trained method the study may pick."""
    cands = {m["label"]: m for m in ctx.results["fair"]["methods"]}
    for m in ctx.results.get("ablation", {}).get("methods", []):
        cands.setdefault(m["label"], m)
    return cands


def _choice(ctx):
    """``[(label, reg, lam)]`` of the study and the climb of every candidate."""
    st = ctx.study
    cands = _candidates(ctx)
    rises = {label: m["summary"].get("climb") for label, m in cands.items()}
    if st.long_methods is not None:
        picked = [label for label in st.long_methods if label in cands]
    else:
        def rank(label):
            cell = cands[label]["summary"]["targets"].get("0.96", {})
            return (cell.get("mean") is None, cell.get("mean") or 0.0,
                    -cands[label]["summary"]["final_accuracy"]["mean"])
        tuned = [m["label"] for m in ctx.results["fair"]["methods"]
                 if (rises[m["label"]] or -1) >= st.long_climb]
        picked = sorted(tuned, key=rank)[:st.long_max]
    return [(label, cands[label]["reg"], cands[label]["lam"]) for label in picked], rises


def _seed_from_shorter(ctx, config_long, config_short):
    """Start ``config_long``'s run directory from the finished shorter run (if there is one).

    Its history and checkpoint are copied (the checkpoint last); the checkpoint names the run's
    trajectory, which does not depend on the epochs, so the longer run resumes from it.
    """
    long_dir, short_dir = ctx.store.run_dir(config_long), ctx.store.run_dir(config_short)
    if (long_dir / MODEL).is_file() or not ctx.store.finished(config_short):
        return
    with lock_directory(long_dir):
        for name in (HISTORY, MODEL):
            atomic_write_bytes(long_dir / name, (short_dir / name).read_bytes())


def estimate(ctx):
    """Seconds still needed: the extra epochs of every picked method and the dense model."""
    st, s = ctx.study, ctx.settings
    seeds = st.long_seeds or s.seeds
    n = (len(st.long_methods) if st.long_methods is not None else st.long_max) + 1
    extra = (st.long_epochs - s.epochs) / st.long_epochs
    one = ctx.cost(ctx.train_config("sparsity", 1.0, 0, st.long_epochs))
    return n * seeds * one * max(extra, 0.0) + n * seeds * 10.0


def _same_seeds(ctx, labels, seeds):
    """The short runs of ``labels`` summarised over the first ``seeds`` seeds only."""
    short = dict(_candidates(ctx))
    short["none"] = ctx.results["fair"]["dense"]
    targets = ctx.settings.targets
    dense_short = summarize_method(short["none"]["runs"][:seeds], targets)
    return {label: summarize_method(short[label]["runs"][:seeds], targets, dense_short)
            for label in labels}


def run(ctx):
    """The chosen methods and the dense model at ``long_epochs`` (continuing the short runs)."""
    st, s = ctx.study, ctx.settings
    seeds = min(st.long_seeds or s.seeds, s.seeds)
    picked, rises = _choice(ctx)
    ctx.log(f"long: {st.long_epochs} epochs for " + (", ".join(p[0] for p in picked) or "nothing")
            + f" (still climbing at {s.epochs}: rise over the last {st.long_window} epochs >= "
            f"{st.long_climb:g}, at most {st.long_max}) and the dense model, {seeds} seed(s)")
    for label, reg, lam in [("none", "none", 0.0)] + picked:
        for seed in range(seeds):
            _seed_from_shorter(ctx, ctx.train_config(reg, lam, seed, st.long_epochs),
                               ctx.train_config(reg, lam, seed))
    ctx.prefetch([t for _, reg, lam in [("none", "none", 0.0)] + picked
                  for t in ctx.main_tasks(reg, lam, seeds=seeds, epochs=st.long_epochs)])
    dense = dense_record(ctx, epochs=st.long_epochs, seeds=seeds)
    methods = []
    for label, reg, lam in picked:
        rec = seeds_record(ctx, f"{label}@{st.long_epochs}", reg, lam,
                           f"{label} trained {st.long_epochs} epochs", seeds=seeds,
                           epochs=st.long_epochs, dense_summary=dense["summary"])
        rec["short_label"] = label
        methods.append(rec)
    same_seeds = _same_seeds(ctx, ["none"] + [p[0] for p in picked], seeds)
    return {"epochs": st.long_epochs, "short_epochs": s.epochs, "seeds": seeds,
            "climb": rises, "picked": [p[0] for p in picked], "dense": dense,
            "methods": methods, "short_same_seeds": same_seeds}
