"""Prune, then fine-tune: the survivors retrained with the mask kept, against one-shot pruning.

For every model of the fair comparison (dense, each tuned method, and the paper's ``sparsity`` at
lambda 1 when the ablation ran), every seed, and every level of ``finetune_levels``: the point of
the sensitivity sweep that removes that percentage of the weights gives the mask;
:func:`entropy_ref.prune.finetune.finetune` retrains the survivors (cross-entropy only, Adam with
the protocol's lr and batch, fresh state, ``finetune_epochs`` epochs on the training images); the
test accuracy (float64) is recorded beside the one-shot accuracy of the same point. Results are
cached per run in ``finetune.json``, keyed by everything they depend on (the weights' hash, the
run, the data fingerprint and every setting that matters) and checked field by field when read
back; a corrupt one is reported and fine-tuned again.
"""

from __future__ import annotations

import math

import numpy as np

from ... import prune
from ...errors import CorruptFileError
from ...mlp import accuracy
from ...prune.finetune import finetune, keep_masks
from ...storage.commit import check_identity, read_commit, write_commit
from ...storage.identity import digest
from ...storage.lock import lock_directory
from ...train import load_run
from ..curves import model_sha256
from ..progress import SECONDS_PER_EPOCH
from ..summary import mean_std
from .context import Context

__all__ = ["FINETUNE_JSON", "FINETUNE_FORMAT", "FinetuneTask", "run", "estimate", "level_points",
           "levels_problem"]

FINETUNE_JSON = "finetune.json"
#: layout of ``finetune.json``
FINETUNE_FORMAT = 2


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


def _identity(ctx, config, params):
    """What one run's fine-tuning results depend on: the weights, their run, the data, the knobs."""
    s, st = ctx.settings, ctx.study
    return {"format": FINETUNE_FORMAT, "model_sha256": model_sha256(params),
            "run": digest(ctx.store.identity(config)), "data": ctx.store.fingerprint,
            "epochs": st.finetune_epochs, "step": s.step, "sensitivity_data": s.sensitivity_data,
            "lr": s.lr, "batch_size": s.batch_size, "seed": config.seed}


def _number(v, low=0.0, high=None):
    return (isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
            and v >= low and (high is None or v <= high))


def levels_problem(levels) -> str | None:
    """What is wrong with the ``levels`` of a ``finetune.json`` (None: nothing)."""
    if not isinstance(levels, dict):
        return "'levels' must be an object"
    for p, cell in levels.items():
        if not isinstance(cell, dict) or set(cell) != set(_CELL):
            return f"level {p!r} must hold exactly {', '.join(_CELL)}"
        for key, kind in _CELL.items():
            v = cell[key]
            ok = (isinstance(v, int) and not isinstance(v, bool) and v >= 0 if kind == "count"
                  else _number(v, 0.0, 1.0) if kind == "accuracy"
                  else isinstance(v, list) and all(_number(x) for x in v))
            if not ok:
                return f"level {p!r}: {key!r} must be {_KINDS[kind]}, got {v!r:.40}"
        if cell["nonzero_after"] > cell["nonzero"]:
            return f"level {p!r}: 'nonzero_after' exceeds 'nonzero'"
    return None


_CELL = {"point": "count", "nonzero": "count", "nonzero_after": "count",
         "oneshot_accuracy": "accuracy", "finetuned_accuracy": "accuracy", "train_ce": "list"}
_KINDS = {"count": "an integer >= 0", "accuracy": "an accuracy in [0, 1]",
          "list": "a list of finite numbers >= 0"}


def _cached_levels(ctx, path, ident):
    """The levels already fine-tuned for ``ident`` (``{}``: none, or a corrupt file, logged)."""
    try:
        rec = read_commit(path, "fine-tuning results", "finetune")
        problem = None if rec is None else levels_problem(rec.get("levels"))
    except CorruptFileError as exc:
        rec, problem = None, str(exc)
    if problem:
        ctx.log(f"  [{path.parent.name}] {path}: corrupt fine-tuning results ({problem}); "
                "fine-tuning again")
        return {}
    return rec["levels"] if rec is not None and check_identity(rec, ident) else {}


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
    ident = _identity(ctx, config, params)
    path = run_dir / FINETUNE_JSON
    levels = _cached_levels(ctx, path, ident)
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
        with lock_directory(run_dir):
            write_commit(path, {"levels": levels}, (), identity=ident, kind="finetune")
    return {f"{p:g}": levels[f"{p:g}"] for p in st.finetune_levels}


class FinetuneTask:
    """One run's fine-tuning, for a worker process (:mod:`..jobs`)."""

    def __init__(self, run, estimate):
        self.name, self.estimate, self.curves = run, estimate, ()

    def _ctx(self, store, settings, study):
        return Context(settings, study, store, store.data, lambda *a: None)

    def pending(self, store, settings=None, study=None):
        """False when every level is in the run's committed ``finetune.json``."""
        if settings is None:
            return True
        ctx = self._ctx(store, settings, study)
        run_dir = store.root / self.name
        config, params, _ = load_run(run_dir)
        levels = _cached_levels(ctx, run_dir / FINETUNE_JSON, _identity(ctx, config, params))
        return any(f"{p:g}" not in levels for p in study.finetune_levels)

    def run(self, env):
        """Fine-tune the run ``self.name`` of ``env`` (results cached in its directory)."""
        _finetune_run(self._ctx(env.store, env.settings, env.study), env.store.root / self.name)


def run(ctx):
    """Fine-tuned vs one-shot accuracy at every level, every model and seed."""
    st = ctx.study
    per_run_est = estimate(ctx) / max(1, len(_models(ctx)) * ctx.settings.seeds)
    names = dict.fromkeys(r["run"] for _, rec in _models(ctx) for r in rec["runs"])
    ctx.prefetch(FinetuneTask(name, per_run_est) for name in names)
    if ctx.pool is not None:
        per_run_est = 0.0                       # counted by the workers
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
