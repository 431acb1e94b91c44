"""The pruning plan: which weights are removed at each point of the sensitivity sweep.

Point ``j`` of the sweep is the percentile ``p_j = j * step`` (``j = 0 .. K``, ``K = 100/step``;
``step = 0.1`` gives the paper's 0.1-percentile increments: 1,001 points from 0 to 100 inclusive).
At point ``j`` the ``k_j = round(n * p_j / 100)`` weights of smallest sensitivity are set to zero,
where ``n`` counts the weights of all layers together (one global threshold). So ``p = 0`` is the
unpruned network and ``p = 100`` the bias-only network; ``k_j`` never decreases.

``threshold`` is the sensitivity of the last weight pruned (NaN when nothing is pruned): every
pruned weight has ``s <= threshold`` and every kept one ``s >= threshold``. Ranks rather than a
``s < t`` test decide membership, so ties at the cut are split deterministically (by layer, then
row-major position; see :func:`.pruning_order`) and each point prunes exactly ``k_j`` weights.

``nonzero`` counts the kept weights that are not exactly zero (the paper's x axis). Biases are
never pruned and never counted; :attr:`PrunePlan.n_biases` reports them separately.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .scores import pruning_order

__all__ = ["PrunePlan", "make_plan", "n_points", "masked_params", "MAX_POINTS"]

#: most points a sweep may have (step >= 0.001); the paper's step 0.1 gives 1,000 intervals
MAX_POINTS = 100_000


def n_points(step):
    """``K = 100 / step``, checked to be a whole number (``step`` must divide 100) and at most
    :data:`MAX_POINTS` (a tinier step would need memory for every point).

    Examples
    --------
    >>> n_points(0.1), n_points(25)
    (1000, 4)
    >>> n_points(1e-9)
    Traceback (most recent call last):
    ...
    ValueError: step must be >= 0.001 (at most 100,000 points; the paper's step is 0.1), got 1e-09
    >>> n_points(0.3)
    Traceback (most recent call last):
    ...
    ValueError: step must divide 100 (e.g. 0.1, 0.5, 1), got 0.3
    """
    try:
        step = float(step)
    except (TypeError, ValueError):
        raise ValueError(f"step must be a number (a percentage), got {step!r}") from None
    if not (np.isfinite(step) and 0 < step <= 100):
        raise ValueError(f"step must be a percentage in (0, 100], got {step}")
    if step < 100 / MAX_POINTS:
        raise ValueError(f"step must be >= {100 / MAX_POINTS:g} (at most {MAX_POINTS:,} points; "
                         f"the paper's step is 0.1), got {step:g}")
    k = round(100.0 / step)
    if abs(k * step - 100.0) > 1e-9 * 100:
        raise ValueError(f"step must divide 100 (e.g. 0.1, 0.5, 1), got {step}")
    return int(k)


@dataclass(frozen=True)
class PrunePlan:
    """Everything about a sweep that does not depend on the data the curve is evaluated on.

    Attributes
    ----------
    order : ndarray of int64, shape (n,)
        Flat weight indices (layer by layer, row-major) in ascending sensitivity.
    shapes : tuple of tuple
        Shape of each weight matrix.
    percentile : ndarray, shape (K+1,)
    n_pruned : ndarray of int64, shape (K+1,)
        ``k_j``, non-decreasing, from 0 to ``n``.
    threshold : ndarray, shape (K+1,)
        Sensitivity of the last pruned weight (NaN at ``k_j = 0``).
    nonzero : ndarray of int64, shape (K+1,)
        Kept weights that are nonzero, non-increasing.
    n_biases : int
    nonzero_biases : int
    """

    order: np.ndarray
    shapes: tuple
    percentile: np.ndarray
    n_pruned: np.ndarray
    threshold: np.ndarray
    nonzero: np.ndarray
    n_biases: int
    nonzero_biases: int

    @property
    def n_weights(self):
        """Number of prunable weights (all layers)."""
        return int(self.order.size)

    @property
    def offsets(self):
        """Start of each layer in the flat numbering, shape (L+1,)."""
        return np.concatenate([[0], np.cumsum([int(np.prod(s)) for s in self.shapes])])

    def locate(self, flat):
        """``(layer, row, col)`` arrays for flat weight indices ``flat``."""
        flat = np.asarray(flat, dtype=np.int64)
        offs = self.offsets
        layer = np.searchsorted(offs, flat, side="right") - 1
        local = flat - offs[layer]
        cols = np.array([s[1] for s in self.shapes], dtype=np.int64)[layer]
        return layer, local // cols, local % cols


def make_plan(params, sens, step=0.1):
    """Build the :class:`PrunePlan` of a network from its weight sensitivities.

    Parameters
    ----------
    params : dict
        MLP parameters (for the nonzero counts and the bias count).
    sens : list of ndarray
        One sensitivity array per weight matrix, same shapes (see :func:`.sensitivity`).
    step : float, default 0.1
        Percentile increment; must divide 100.

    Returns
    -------
    plan : PrunePlan

    Examples
    --------
    >>> p = {"W": [np.array([[1.0, 0.0], [3.0, 4.0]])], "b": [np.array([1.0, 0.0])]}
    >>> plan = make_plan(p, [np.array([[0.3, 0.0], [0.1, 0.2]])], step=25)
    >>> plan.percentile.tolist(), plan.n_pruned.tolist(), plan.nonzero.tolist()
    ([0.0, 25.0, 50.0, 75.0, 100.0], [0, 1, 2, 3, 4], [3, 3, 2, 1, 0])
    >>> plan.threshold.tolist(), plan.n_biases, plan.nonzero_biases
    ([nan, 0.0, 0.1, 0.2, 0.3], 2, 1)
    """
    Ws = params["W"]
    if len(sens) != len(Ws) or any(np.shape(s) != W.shape for s, W in zip(sens, Ws)):
        raise ValueError("make_plan: need one sensitivity array per weight matrix, same shapes")
    K = n_points(step)
    order = pruning_order(sens)
    n = order.size
    j = np.arange(K + 1, dtype=np.int64)
    n_pruned = (2 * j * n + K) // (2 * K)                     # round(n * j / K), half up
    s_sorted = np.concatenate([np.asarray(s, np.float64).ravel() for s in sens])[order]
    threshold = np.where(n_pruned > 0, s_sorted[np.maximum(n_pruned - 1, 0)], np.nan)
    w_sorted = np.concatenate([np.asarray(W).ravel() for W in Ws])[order]
    pruned_nonzero = np.concatenate([[0], np.cumsum(w_sorted != 0)])
    nonzero = pruned_nonzero[-1] - pruned_nonzero[n_pruned]
    biases = params["b"]
    return PrunePlan(order=order, shapes=tuple(W.shape for W in Ws),
                     percentile=j * (100.0 / K), n_pruned=n_pruned, threshold=threshold,
                     nonzero=nonzero.astype(np.int64),
                     n_biases=int(sum(b.size for b in biases)),
                     nonzero_biases=int(sum(np.count_nonzero(b) for b in biases)))


def masked_params(params, plan, j, dtype=np.float64):
    """A copy of ``params`` (cast to ``dtype``) with the weights pruned at point ``j`` set to 0.

    Examples
    --------
    >>> p = {"W": [np.array([[1.0, 2.0], [3.0, 4.0]])], "b": [np.zeros(2)]}
    >>> plan = make_plan(p, [np.array([[4.0, 3.0], [2.0, 1.0]])], step=50)
    >>> masked_params(p, plan, 1)["W"][0]
    array([[1., 2.],
           [0., 0.]])
    """
    if not 0 <= j < plan.n_pruned.size:
        raise ValueError(f"masked_params: point {j} out of range 0..{plan.n_pruned.size - 1}")
    out = {key: [np.array(a, dtype=dtype) for a in params[key]] for key in ("W", "b")}
    layer, row, col = plan.locate(plan.order[:plan.n_pruned[j]])
    for l, W in enumerate(out["W"]):
        sel = layer == l
        W[row[sel], col[sel]] = 0
    return out
