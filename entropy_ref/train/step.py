"""One epoch of mini-batch Adam on ``cross-entropy + penalty``, with preallocated buffers.

Per step (batch ``B`` of the shuffled training set):

1. ``ce, g = mlp.loss_and_grads(params, X[B], y[B])``: mean cross-entropy and its gradient;
2. ``pen, values, r = reg.penalty_and_grads(W, lam)`` on the *current* weights, exactly, at every
   step, and ``g_W += r`` (biases are not regularized);
3. one Adam step (:func:`entropy_ref.optim.adam_step_inplace`).

For speed, :class:`PackedState` keeps every parameter, gradient and Adam moment in one flat
vector each (:func:`entropy_ref.optim.pack`), so step 3 is a single fused update over all 266,610
numbers instead of one per array, and every other per-step array (activations, the regularizer's
gradient, the gathered batch, Adam's scratch) is allocated once. Adam is elementwise, so the
numbers are exactly those of the pure per-array functions; ``tests/test_train.py`` checks this.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..mlp import loss_and_grads, make_workspace
from ..optim import adam_step_inplace, pack

__all__ = ["PackedState", "pack_state", "run_epoch", "TrainingDivergedError",
           "overflow_message"]


class TrainingDivergedError(ValueError):
    """The loss became NaN or infinite (learning rate too large, or a degenerate penalty)."""


@dataclass
class PackedState:
    """Model + Adam state in flat vectors, the params-shaped views into them, and scratch space.

    ``params``, ``grads`` and ``opt_state["m"]``/``["v"]`` are views of ``flat_w``, ``flat_g``,
    ``flat_m`` and ``flat_v``; read and save them like ordinary parameter dicts.
    """

    flat_w: np.ndarray
    flat_g: np.ndarray
    flat_m: np.ndarray
    flat_v: np.ndarray
    scratch: np.ndarray
    params: dict
    grads: dict
    opt_state: dict
    batch: np.ndarray           #: (batch_size, n_in) gathered inputs
    reg_grads: list             #: one buffer like each weight matrix
    workspaces: dict = field(default_factory=dict)   #: batch size -> mlp workspace

    def workspace(self, n):
        """The :func:`entropy_ref.mlp.make_workspace` for batches of ``n`` rows (made once)."""
        if n not in self.workspaces:
            self.workspaces[n] = make_workspace(self.params, n, grads=self.grads)
        return self.workspaces[n]


def pack_state(params, opt_state, batch_size):
    """Copy ``params`` and their Adam state into a new :class:`PackedState`.

    Examples
    --------
    >>> from entropy_ref.mlp import init_mlp; from entropy_ref.optim import adam_init
    >>> p = init_mlp((4, 3, 2)); s = pack_state(p, adam_init(p), 5)
    >>> s.flat_w.shape, s.batch.shape, bool(np.array_equal(s.params["W"][1], p["W"][1]))
    ((23,), (5, 4), True)
    """
    flat_w, views = pack(params)
    flat_g, grads = pack(params)
    flat_m, m = pack(opt_state["m"], flat_w.dtype)
    flat_v, v = pack(opt_state["v"], flat_w.dtype)
    return PackedState(
        flat_w=flat_w, flat_g=flat_g, flat_m=flat_m, flat_v=flat_v,
        scratch=np.empty_like(flat_w), params=views, grads=grads,
        opt_state={"t": int(opt_state["t"]), "m": m, "v": v},
        batch=np.empty((batch_size, params["W"][0].shape[1]), dtype=flat_w.dtype),
        reg_grads=[np.empty_like(W) for W in params["W"]])


def run_epoch(state, X, y, rng, reg, lams, hp, progress=None, keep=None):
    """Train one epoch, updating ``state`` in place; return ``(ce_sum, penalty_sums, n_steps)``.

    Parameters
    ----------
    state : PackedState
    X : ndarray, shape (N, n_in)
    y : ndarray of int, shape (N,)
    rng : numpy.random.Generator
        Draws the epoch's permutation (one ``rng.permutation(N)`` call).
    reg : entropy_ref.regularizers.Regularizer
    lams : list of float
        One weight per matrix.
    hp : entropy_ref.optim.AdamHP
    progress : InEpochProgress, optional
    keep : ndarray, optional
        Flat 0/1 vector like ``state.flat_w``: the gradient is multiplied by it before every
        Adam step and the weights where it is 0 are set to exactly 0 after it (fine-tuning a
        pruned network, :func:`entropy_ref.prune.finetune.finetune`).

    Returns
    -------
    ce_sum : float
        Sum over samples of the cross-entropy (divide by N for the epoch mean).
    penalty_sums : list of float
        Per matrix, the sum over steps of ``lam_l * f(W_l)``.
    n_steps : int

    Examples
    --------
    >>> from entropy_ref.mlp import init_mlp; from entropy_ref.optim import adam_init, AdamHP
    >>> from entropy_ref.regularizers import get
    >>> rng = np.random.default_rng(0); p = init_mlp((4, 3, 2), rng)
    >>> X = rng.random((10, 4), dtype=np.float32); y = rng.integers(0, 2, 10)
    >>> state = pack_state(p, adam_init(p), 4)
    >>> ce_sum, pen, n = run_epoch(state, X, y, rng, get("l1"), [1.0, 1.0], AdamHP())
    >>> n, len(pen), ce_sum > 0, state.opt_state["t"]
    (3, 2, True, 3)
    """
    n = X.shape[0]
    bs = state.batch.shape[0]
    params, Ws = state.params, state.params["W"]
    flat_opt = {"t": 0, "m": state.flat_m, "v": state.flat_v}
    perm = rng.permutation(n)
    ce_sum, pen_sums, step = 0.0, [0.0] * len(Ws), 0
    pruned = None if keep is None else np.flatnonzero(keep == 0)
    ce = None
    for step, start in enumerate(range(0, n, bs), start=1):
        idx = perm[start:start + bs]
        try:
            last, ce = ce, None
            xb = np.take(X, idx, axis=0, out=state.batch[:idx.size])
            ce, _ = loss_and_grads(params, xb, y[idx], state.workspace(idx.size))  # -> grads
            if not math.isfinite(ce):
                raise TrainingDivergedError(f"the cross-entropy became {ce} at step {step}; "
                                            f"try a smaller learning rate")
            ce_sum += ce * idx.size
            if not reg.trivial:
                total, values, rgrads = reg.penalty_and_grads(Ws, lams, state.reg_grads)
                if not math.isfinite(total):
                    raise TrainingDivergedError(f"the {reg.name} penalty became {total} at step "
                                                f"{step}")
                for l, (g, r) in enumerate(zip(state.grads["W"], rgrads)):
                    g += r
                    pen_sums[l] += lams[l] * values[l]
            if keep is not None:
                state.flat_g *= keep                  # pruned weights get no gradient ...
            flat_opt["t"] = state.opt_state["t"]
            adam_step_inplace(state.flat_w, state.flat_g, flat_opt, hp, state.scratch)
            state.opt_state["t"] = flat_opt["t"]
        except RuntimeWarning as exc:                 # numpy's warnings made errors (-W error)
            raise TrainingDivergedError(overflow_message(exc, step, ce, last)) from None
        if keep is not None:
            state.flat_w[pruned] = 0                  # ... and stay exactly zero
        if progress is not None:
            progress.update(step)
    return ce_sum, pen_sums, step


def overflow_message(warning, step, ce=None, last=None, evaluating=False):
    """What a floating-point warning raised as an error during training says about the run.

    Warnings are errors under ``python -W error`` (or a ``warnings`` filter): numpy's
    "overflow encountered in matmul" is then raised where it happens instead of the loss
    becoming NaN a moment later. The message names the step and the last cross-entropy seen
    (``evaluating``: the warning came from evaluating the weights after ``step``, the epoch's
    last; ``ce`` is then the epoch's mean cross-entropy).

    Examples
    --------
    >>> text = overflow_message(RuntimeWarning("overflow encountered in matmul"), 2, last=2.3026)
    >>> for part in text.split("; "):
    ...     print(part)
    the float computation failed at step 2 (overflow encountered in matmul
    the cross-entropy loss was 2.3026 at step 1)
    try a smaller learning rate
    """
    if evaluating:
        where = f"while evaluating the weights after step {step}"
    else:
        where = f"at step {step}"
    if evaluating and ce is not None:
        seen = f"; the epoch's mean cross-entropy loss was {ce:.5g}"
    elif ce is not None:
        seen = f"; the cross-entropy loss was {ce:.5g} at this step"
    elif last is not None:
        seen = f"; the cross-entropy loss was {last:.5g} at step {step - 1}"
    else:
        seen = ""
    return f"the float computation failed {where} ({warning}{seen}); try a smaller learning rate"
