"""Prune, then fine-tune: retrain the surviving weights with cross-entropy only, mask fixed.

The literature's standard protocol (Han et al. 2015) after one-shot pruning; the paper does not
use it. Given a network and a boolean ``keep`` mask per weight matrix (from a pruning plan point,
:func:`keep_masks`), :func:`finetune` sets the pruned weights to zero and trains for a few epochs
with mini-batch Adam on the batch-mean cross-entropy (no regularizer), starting from a fresh Adam
state. Pruned weights stay **exactly** zero: their gradient is zeroed before every step, so their
Adam moments stay zero and Adam moves them by ``0 / (0 + eps) = 0`` (so ``eps`` must be > 0);
they are also re-set to zero after every step. Biases are never pruned and are trained.

:func:`finetune` is the fast path: the trainer's epoch (:func:`entropy_ref.train.step.run_epoch`,
every number in one flat vector, one fused Adam update) with the keep-mask applied around each
step; :func:`finetune_reference` is its plain twin (the pure per-array functions), tested
against it.
"""

from __future__ import annotations

import math

import numpy as np

from ..mlp import check_params, loss_and_grads
from ..optim import AdamHP, adam_init, adam_step_params, pack
from ..regularizers import get as get_regularizer
from ..train.step import TrainingDivergedError, pack_state, run_epoch
from .plan import masked_params

__all__ = ["keep_masks", "finetune", "finetune_reference"]


def keep_masks(params, plan, j):
    """Boolean keep-masks (True: the weight survives) of pruning-plan point ``j``.

    Examples
    --------
    >>> from entropy_ref.prune import make_plan
    >>> p = {"W": [np.array([[1.0, 2.0], [3.0, 4.0]])], "b": [np.zeros(2)]}
    >>> plan = make_plan(p, [np.array([[4.0, 3.0], [2.0, 1.0]])], step=50)
    >>> keep_masks(p, plan, 1)[0]
    array([[ True,  True],
           [False, False]])
    """
    ones = {"W": [np.ones(W.shape) for W in params["W"]], "b": params["b"]}
    return [W != 0 for W in masked_params(ones, plan, j)["W"]]


def _hp(hp, lr):
    hp = AdamHP(lr=lr) if hp is None else hp
    if not hp.eps > 0:
        raise ValueError("finetune: Adam eps must be > 0 (a pruned weight's moments are zero, "
                         "and 0 / (0 + eps) must be 0)")
    return hp


def _check(params, masks, X, y, epochs, batch_size, lr):
    check_params(params)
    Ws = params["W"]
    if len(masks) != len(Ws) or any(np.shape(m) != W.shape for m, W in zip(masks, Ws)):
        raise ValueError("finetune: need one keep-mask per weight matrix, same shapes")
    if any(np.asarray(m).dtype != bool for m in masks):
        raise ValueError("finetune: keep-masks must be boolean arrays (True: keep)")
    X, y = np.asarray(X), np.asarray(y)
    if X.ndim != 2 or X.shape[1] != Ws[0].shape[1] or y.shape != (X.shape[0],) or not y.size:
        raise ValueError(f"finetune: need X of shape (N, {Ws[0].shape[1]}) and N labels, got "
                         f"{X.shape} and {y.shape}")
    if not np.isfinite(X).all():
        raise ValueError("finetune: X holds NaN or infinite values")
    for name, value, low in (("epochs", epochs, 0), ("batch_size", batch_size, 1)):
        if not isinstance(value, int) or isinstance(value, bool) or value < low:
            raise ValueError(f"finetune: {name} must be an integer >= {low}, got {value!r}")
    if not (isinstance(lr, (int, float)) and math.isfinite(lr) and lr > 0):
        raise ValueError(f"finetune: lr must be a finite number > 0, got {lr!r}")
    return X, y


def _start(params, masks, dtype):
    """Copy of ``params`` in ``dtype`` with the pruned weights set to zero."""
    out = {"W": [np.where(m, W, 0).astype(dtype) for W, m in zip(params["W"], masks)],
           "b": [np.array(b, dtype=dtype) for b in params["b"]]}
    return out


def finetune(params, masks, X, y, epochs=2, lr=1e-4, batch_size=100, seed=0, hp=None,
             after_epoch=None):
    """Fine-tune the kept weights (and the biases) of a pruned network; return new params.

    Parameters
    ----------
    params : dict
        Trained network (not modified).
    masks : list of ndarray of bool
        One per weight matrix, same shape: True where the weight is kept.
    X : ndarray, shape (N, n_in)
        Training features; their dtype is the training dtype (float32 for speed).
    y : ndarray of int, shape (N,)
    epochs, lr, batch_size : int, float, int
        Adam on the batch-mean cross-entropy, fresh state, PyTorch's betas and eps unless ``hp``.
    seed : int or tuple of int
        Seeds the shuffling (``numpy.random.default_rng(seed)``, one ``permutation`` per epoch).
    hp : entropy_ref.optim.AdamHP, optional
        Overrides ``lr`` when given; its ``eps`` must be > 0.
    after_epoch : callable, optional
        Called as ``after_epoch(epoch, params)`` after every epoch (``epoch`` counts from 1) with
        a copy of the parameters at that point: the first ``k`` epochs of a longer fine-tune
        are exactly a ``k``-epoch fine-tune (same shuffling, same Adam state).

    Returns
    -------
    params : dict
        Fine-tuned copy in ``X``'s dtype; pruned weights exactly zero.
    ce : list of float
        Mean training cross-entropy of each epoch.
    """
    X, y = _check(params, masks, X, y, epochs, batch_size, lr)
    hp = _hp(hp, lr)
    p0 = _start(params, masks, X.dtype)
    state = pack_state(p0, adam_init(p0), min(batch_size, len(X)))
    flat_keep, _ = pack({"W": [np.asarray(m, X.dtype) for m in masks],
                         "b": [np.ones(b.shape, X.dtype) for b in p0["b"]]})
    no_penalty, lams = get_regularizer("none"), [0.0] * len(masks)
    rng = np.random.default_rng(seed)
    history = []
    for _ in range(epochs):
        try:
            ce_sum, _, _ = run_epoch(state, X, y, rng, no_penalty, lams, hp, keep=flat_keep)
        except TrainingDivergedError as exc:
            raise TrainingDivergedError(f"finetune: {exc}") from None
        history.append(ce_sum / len(X))
        if after_epoch is not None:
            after_epoch(len(history), {key: [np.array(a) for a in state.params[key]]
                                       for key in ("W", "b")})
    out = {key: [np.array(a) for a in state.params[key]] for key in ("W", "b")}
    return out, history


def finetune_reference(params, masks, X, y, epochs=2, lr=1e-4, batch_size=100, seed=0, hp=None):
    """Plain twin of :func:`finetune`: per-array pure Adam (:func:`adam_step_params`)."""
    X, y = _check(params, masks, X, y, epochs, batch_size, lr)
    hp = _hp(hp, lr)
    p = _start(params, masks, X.dtype)
    state = adam_init(p)
    rng = np.random.default_rng(seed)
    history = []
    for _ in range(epochs):
        perm, ce_sum = rng.permutation(len(X)), 0.0
        for start in range(0, len(X), batch_size):
            idx = perm[start:start + batch_size]
            ce, g = loss_and_grads(p, X[idx], y[idx])
            ce_sum += ce * idx.size
            g = {"W": [gw * m for gw, m in zip(g["W"], masks)], "b": g["b"]}
            p, state = adam_step_params(p, g, state, hp)
            p = {"W": [np.where(m, W, 0).astype(W.dtype) for W, m in zip(p["W"], masks)],
                 "b": p["b"]}
        history.append(ce_sum / len(X))
    return p, history
