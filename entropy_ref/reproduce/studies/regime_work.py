"""The regime study's work on one trained model, every result committed beside the model.

Three kinds of result, each a function of one run (:func:`model_results` trains or reloads the
run, then computes what is not cached):

``select``
    a validation run pruned at one level by the paper's sensitivity (taken on its own training
    images), fine-tuned ``regime_select_epochs`` epochs (cross-entropy only, mask kept), scored on
    the validation images: one-shot and fine-tuned validation accuracy;
``finetune``
    a final run pruned at one level the same way (sensitivity on the protocol's
    ``sensitivity_data``), fine-tuned ``max(regime_finetune_epochs)`` epochs, the test accuracy
    recorded after each length of ``regime_finetune_epochs`` (one fine-tune: its first ``k``
    epochs are exactly a ``k``-epoch fine-tune) and one-shot;
``iterative``
    a final run pruned iteratively down to the last level (:func:`entropy_ref.prune.iterative.
    iterative_prune`, ranking by magnitude or by sensitivity), test accuracy after every cycle.

Each result is one file ``regime_<kind>_<level or ranking>_<digest>.json`` in the run's directory
(the digest is that of the settings it depends on, so results of other settings sit beside it),
committed with its identity: those settings, the weights' SHA-256, the run's key and the data
fingerprint (:mod:`entropy_ref.storage.commit`), and reused only when all of them match. Fine-tuning
seeds its shuffling with the run's seed (as the study ``finetune`` does); cycle ``c`` of iterative
pruning with ``(seed, c)``. Each result is its own file, so the worker processes of ``--jobs N``
(:mod:`.regime_tasks`) may compute several results of one run at once; each commit holds the run
directory's lock for the moment it writes.
"""

from __future__ import annotations

import math
import time

import numpy as np

from ...errors import CorruptFileError
from ...mlp import accuracy
from ...prune import as_float64_params
from ...prune.finetune import finetune
from ...prune.iterative import iterative_prune, oneshot_masks, ranking_scores
from ...storage.commit import check_identity, read_commit, write_commit
from ...storage.identity import digest
from ...storage.lock import DirectoryLockedError, lock_directory
from ..curves import model_sha256

__all__ = ["REGIME_FORMAT", "KINDS", "protocol", "result_path", "lookup", "model_results"]

#: layout of the result files
REGIME_FORMAT = 1
#: what a result file holds
KINDS = ("select", "finetune", "iterative")
#: seconds a result waits for its run directory's lock (held by a commit of another process)
_LOCK_WAIT = 30.0


def _tag(kind, tag):
    return tag if kind == "iterative" else f"{float(tag):g}"


def protocol(ctx, kind, tag, config):
    """The settings a result of ``kind`` at ``tag`` (a level, or a ranking) depends on."""
    s, st = ctx.settings, ctx.study
    out = {"format": REGIME_FORMAT, "kind": kind, "lr": s.lr, "batch_size": s.batch_size,
           "seed": config.seed}
    if kind == "select":
        out.update(level=float(tag), epochs=[st.regime_select_epochs], sensitivity_data="train",
                   split="val")
    elif kind == "finetune":
        out.update(level=float(tag), epochs=list(st.regime_finetune_epochs),
                   sensitivity_data=s.sensitivity_data, split="test")
    elif kind == "iterative":
        out.update(ranking=tag, levels=list(st.regime_levels), fraction=st.regime_fraction,
                   cycle_epochs=st.regime_cycle_epochs, sensitivity_data=s.sensitivity_data,
                   split="test")
    else:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    return out


def result_path(run_dir, proto):
    """Where the result of ``proto`` (:func:`protocol`) lives in ``run_dir``."""
    tag = proto.get("ranking") or f"{proto['level']:g}"
    return run_dir / f"regime_{proto['kind']}_{tag}_{digest(proto)[:12]}.json"


def _acc(v):
    return isinstance(v, float) and 0.0 <= v <= 1.0


def _problem(result, proto):
    """What is wrong with a stored result (None: nothing)."""
    if not isinstance(result, dict):
        return "'result' must be an object"
    ce = result.get("train_ce", [])
    if not (isinstance(ce, list) and all(isinstance(v, float) and math.isfinite(v) for v in ce)):
        return "'train_ce' must be a list of finite numbers"
    if proto["kind"] == "iterative":
        cycles = result.get("cycles")
        keys = {"cycle", "n_kept", "removed_percent", "level", "retrain_epochs", "train_ce",
                "pruned_accuracy", "accuracy"}
        if not (isinstance(cycles, list) and cycles and all(
                isinstance(c, dict) and set(c) == keys and _acc(c["accuracy"])
                and _acc(c["pruned_accuracy"]) for c in cycles)):
            return f"'cycles' must be a non-empty list of objects with {', '.join(sorted(keys))}"
        return None
    want = [f"{e:g}" for e in proto["epochs"]]
    ft = result.get("finetuned_accuracy")
    if not (isinstance(ft, dict) and sorted(ft) == sorted(want) and all(map(_acc, ft.values()))):
        return f"'finetuned_accuracy' must map {', '.join(want)} (epochs) to accuracies"
    if not _acc(result.get("oneshot_accuracy")):
        return "'oneshot_accuracy' must be an accuracy in [0, 1]"
    if not (isinstance(result.get("n_kept"), int) and result["n_kept"] >= 0):
        return "'n_kept' must be an integer >= 0"
    return None


def _cached(ctx, path, ident):
    """The result committed at ``path`` for ``ident``, or None (a corrupt file is logged)."""
    try:
        rec = read_commit(path, "regime result", "regime")
        problem = None if rec is None else _problem(rec.get("result"), ident)
    except CorruptFileError as exc:             # names the file and what is wrong
        ctx.log(f"  [{path.parent.name}] {exc}; computing it again")
        return None
    if problem:
        ctx.log(f"  [{path.parent.name}] {path.name}: corrupt regime result ({problem}); "
                "computing it again")
        return None
    return rec["result"] if rec is not None and check_identity(rec, ident) else None


class _Inputs:
    """The data one model's computations share, made on first use."""

    def __init__(self, ctx, config, params):
        self.ctx, self.config, self.params = ctx, config, params
        self.ds = ctx.store.dataset(config)                  # float64 features
        self._x32, self._sens = None, {}

    @property
    def X_train(self):
        if self._x32 is None:
            self._x32 = self.ds.X_train.astype(self.config.dtype)
        return self._x32

    def rank_data(self, sensitivity_data):
        ds = self.ds
        return (ds.X_train, ds.y_train) if sensitivity_data == "train" else (ds.X_test, ds.y_test)

    def sensitivity(self, sensitivity_data):
        if sensitivity_data not in self._sens:
            self._sens[sensitivity_data] = ranking_scores(self.params, "sensitivity",
                                                          *self.rank_data(sensitivity_data))
        return self._sens[sensitivity_data]

    def eval_data(self, split):
        ds = self.ds
        return (ds.X_val, ds.y_val) if split == "val" else (ds.X_test, ds.y_test)


def _score(params, X, y):
    return float(accuracy(as_float64_params(params), X, y))


def _oneshot(inputs, proto):
    """Prune at the level, fine-tune, record accuracies after each fine-tune length."""
    s, params = inputs.ctx.settings, inputs.params
    masks = oneshot_masks(inputs.sensitivity(proto["sensitivity_data"]), proto["level"])
    Xe, ye = inputs.eval_data(proto["split"])
    pruned = {"W": [np.where(m, W, 0) for W, m in zip(params["W"], masks)], "b": params["b"]}
    after = {}

    def record(epoch, p):
        if epoch in proto["epochs"]:
            after[f"{epoch:g}"] = _score(p, Xe, ye)

    ft, ce = finetune(params, masks, inputs.X_train, inputs.ds.y_train,
                      epochs=max(proto["epochs"]), lr=s.lr, batch_size=s.batch_size,
                      seed=inputs.config.seed, after_epoch=record)
    return {"n_kept": int(sum(int(m.sum()) for m in masks)),
            "nonzero_after": int(sum(np.count_nonzero(W) for W in ft["W"])),
            "oneshot_accuracy": _score(pruned, Xe, ye), "finetuned_accuracy": after,
            "train_ce": [float(v) for v in ce]}


def _iterative(inputs, proto):
    s = inputs.ctx.settings
    Xr, yr = inputs.rank_data(proto["sensitivity_data"])
    Xe, ye = inputs.eval_data(proto["split"])
    _, _, cycles = iterative_prune(
        inputs.params, inputs.X_train, inputs.ds.y_train, proto["levels"], proto["ranking"],
        proto["fraction"], proto["cycle_epochs"], s.lr, s.batch_size, inputs.config.seed,
        X_rank=Xr, y_rank=yr, evaluate=lambda p: _score(p, Xe, ye))
    return {"cycles": cycles}


def lookup(ctx, config, params, kind, tags):
    """``(tag, path, identity, committed result or None)`` of every tag of one run's results."""
    run_dir = ctx.store.run_dir(config)
    source = {"model_sha256": model_sha256(params), "run": digest(ctx.store.identity(config)),
              "data": ctx.store.fingerprint}
    for tag in tags:
        proto = protocol(ctx, kind, tag, config)
        ident, path = {**proto, **source}, result_path(run_dir, proto)
        yield tag, path, ident, _cached(ctx, path, ident)


def _commit(run_dir, path, result, ident):
    """Commit one result under the run directory's lock, waiting a little for it: the worker
    processes of ``--jobs`` may commit other results of the same run at the same moment."""
    deadline = time.monotonic() + _LOCK_WAIT
    while True:
        try:
            with lock_directory(run_dir):
                write_commit(path, {"result": result}, (), identity=ident, kind="regime")
            return
        except DirectoryLockedError:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.02)


def model_results(ctx, config, kind, tags):
    """``{tag: result}`` of ``kind`` for one run, training it and computing what is missing.

    Parameters
    ----------
    ctx : Context
    config : TrainConfig
        The run (trained or reloaded through ``ctx.store``).
    kind : {"select", "finetune", "iterative"}
    tags : sequence
        Levels (percent removed) for ``select`` and ``finetune``, rankings for ``iterative``.
    """
    config, params, _ = ctx.store.ensure(config)
    run_dir = ctx.store.run_dir(config)
    out, inputs = {}, None
    for tag, path, ident, result in lookup(ctx, config, params, kind, tags):
        if result is None:
            inputs = inputs or _Inputs(ctx, config, params)
            result = (_iterative if kind == "iterative" else _oneshot)(inputs, ident)
            _commit(run_dir, path, result, ident)
        out[_tag(kind, tag)] = result
    return out
