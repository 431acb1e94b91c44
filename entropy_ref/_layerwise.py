"""The per-layer weighted sum shared by every penalty: ``sum_l lam_l f(W_l)`` and its gradients.

Used by :func:`entropy_ref.penalty_sum` (the math room's model-level helper) and by the
regularizers of :mod:`entropy_ref.regularizers` (L1, Hoyer-square), so the ``lam`` rules and the
loop live in one place.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

__all__ = ["as_weight_list", "broadcast_lam", "weighted_sum"]


def as_weight_list(weights, who: str) -> list:
    """``weights`` as a non-empty list; a single array (whose rows ``list()`` would turn into
    "layers") or a non-iterable is a ``TypeError`` naming ``who``.

    Examples
    --------
    >>> as_weight_list(np.ones((2, 3)), "l1")
    Traceback (most recent call last):
    ...
    TypeError: l1: pass a list of weight matrices, not a single array (wrap one matrix in a list: [W])
    """
    if isinstance(weights, np.ndarray):
        raise TypeError(f"{who}: pass a list of weight matrices, not a single array (wrap one "
                        f"matrix in a list: [W])")
    if isinstance(weights, (str, bytes, dict)) or not isinstance(weights, Iterable):
        raise TypeError(f"{who}: weights must be a list of weight matrices; got "
                        f"{type(weights).__name__}")
    weights = list(weights)
    if not weights:
        raise ValueError(f"{who}: need at least one weight matrix")
    return weights


def broadcast_lam(lam, n_layers: int, who: str = "regularizer") -> list[float]:
    """Broadcast ``lam`` (scalar or one per layer) to a list of ``n_layers`` finite floats >= 0.

    Examples
    --------
    >>> broadcast_lam(0.5, 3)
    [0.5, 0.5, 0.5]
    >>> broadcast_lam([1, 2], 3)
    Traceback (most recent call last):
    ...
    ValueError: regularizer: lam has 2 values but there are 3 weight matrices
    >>> broadcast_lam(-1.0, 2)
    Traceback (most recent call last):
    ...
    ValueError: regularizer: lam must be finite and >= 0, got -1.0
    """
    try:
        if isinstance(lam, (str, bytes)):
            raise TypeError
        if np.ndim(lam) == 0:
            lams = [float(lam)] * n_layers
        else:
            lams = [float(x) for x in np.asarray(lam).reshape(-1)]
    except (TypeError, ValueError):
        raise TypeError(f"{who}: lam must be a number or one number per weight matrix, got "
                        f"{lam!r}") from None
    if len(lams) != n_layers:
        raise ValueError(f"{who}: lam has {len(lams)} values but there are {n_layers} "
                         f"weight matrices")
    for x in lams:
        if not (math.isfinite(x) and x >= 0):
            raise ValueError(f"{who}: lam must be finite and >= 0, got {x}")
    return lams


def weighted_sum(f, weights, lams, outs, who: str = "regularizer"):
    """``(sum_l lam_l f(W_l), [f(W_l)], [lam_l df/dW_l])``.

    Parameters
    ----------
    f : callable
        ``f(W, out) -> (value, grad)``; ``out`` is a gradient buffer like ``W`` or None, and ``grad``
        may be that buffer (it is scaled by ``lam_l`` in place).
    weights : list of ndarray
    lams : list of float
        One per matrix (see :func:`broadcast_lam`).
    outs : list of ndarray or None
    who : str
        Named in the error raised when ``lam_l * grad`` does not fit the gradient's dtype.

    Returns
    -------
    total : float
    values : list of float
        Unweighted ``f(W_l)``.
    grads : list of ndarray

    Examples
    --------
    >>> f = lambda W, out: (float(np.sum(W * W)), np.multiply(W, 2.0, out=out))
    >>> weighted_sum(f, [np.ones(2), np.ones(3)], [1.0, 0.5], [None, None])
    (3.5, [2.0, 3.0], [array([2., 2.]), array([1., 1., 1.])])
    """
    values, grads, total = [], [], 0.0
    for W, lam_l, buf in zip(weights, lams, outs, strict=True):
        value, grad = f(W, buf)
        if lam_l != 1.0:
            if lam_l > 1.0:
                _check_fits(grad, lam_l, who)
            np.multiply(grad, grad.dtype.type(lam_l), out=grad)
        values.append(float(value))
        grads.append(grad)
        total += lam_l * float(value)
    return total, values, grads


def _check_fits(grad: np.ndarray, lam: float, who: str) -> None:
    """Refuse ``lam * grad`` when it would overflow ``grad``'s dtype (an inf gradient, silently)."""
    top = float(np.finfo(grad.dtype).max)
    big = max(float(grad.max()), -float(grad.min())) if grad.size else 0.0
    if lam > top or lam * big > top:
        raise ValueError(f"{who}: lam = {lam:g} times the gradient (max |grad| = {big:.3g}) "
                         f"overflows {grad.dtype}; use a smaller lam")
