"""The per-layer sum every penalty shares: ``sum_l lam_l f(W_l)`` and its gradients.

:func:`layer_sum` checks the arguments of the contract of :mod:`.base` once (the weights, ``lam``
and ``out``; every error names the regularizer) and runs :func:`weighted_sum`. A regularizer
module supplies only its ``f(W, out) -> (value, grad)`` of one matrix.
"""

from __future__ import annotations

import math

import numpy as np

from ..validation.buffers import check_out_list
from ..validation.weights import as_weight_list, broadcast_lam, check_weights

__all__ = ["layer_sum", "check_arguments", "weighted_sum"]


def layer_sum(f, weights, lam=1.0, out=None, *, who: str, array_likes: bool = False):
    """``(sum_l lam_l f(W_l), [f(W_l)], [lam_l df/dW_l])``: :func:`check_arguments`, then
    :func:`weighted_sum`.

    Parameters
    ----------
    f : callable
        ``f(W, out) -> (value, grad)`` of one matrix; ``out`` is a gradient buffer like ``W`` or
        None.
    weights, lam, out
        As in the contract of :mod:`.base`.
    who, array_likes
        See :func:`check_arguments`.

    Returns
    -------
    total, values, grads
        See :func:`weighted_sum`.

    Examples
    --------
    >>> f = lambda W, out: (float(np.sum(W * W)), np.multiply(W, 2.0, out=out))
    >>> layer_sum(f, [np.ones(2), np.ones(3)], [1.0, 0.5], who="l2")
    (3.5, [2.0, 3.0], [array([2., 2.]), array([1., 1., 1.])])
    >>> layer_sum(f, [np.ones(2)], -1.0, who="l2")
    Traceback (most recent call last):
    ...
    ValueError: l2: lam must be finite and >= 0, got -1.0
    """
    return weighted_sum(f, *check_arguments(weights, lam, out, who, array_likes), who)


def check_arguments(weights, lam, out, who: str, array_likes: bool = False):
    """``(weights, lams, outs)``: the arguments of the contract of :mod:`.base`, checked.

    Parameters
    ----------
    weights, lam, out
        As in the contract.
    who : str
        The name every error message starts with.
    array_likes : bool, default False
        False (the regularizers): each matrix must be a non-empty float ndarray, and its gradient
        has its dtype. True (:func:`entropy_ref.penalty_sum`): anything the penalty of one matrix
        accepts and checks itself (lists, integer arrays), with float32 gradients for float32
        matrices and float64 ones otherwise.

    Returns
    -------
    weights : list
    lams : list of float
        One per matrix.
    outs : list of ndarray or None
        One per matrix.
    """
    if array_likes:
        weights = as_weight_list(weights, who)     # not list(W): rows are not layers
        dtypes = [np.float32 if getattr(W, "dtype", None) == np.float32 else np.float64
                  for W in weights]
    else:
        weights, dtypes = check_weights(weights, who), None
    lams = broadcast_lam(lam, len(weights), who)
    return weights, lams, check_out_list(out, weights, who, dtypes=dtypes)


def weighted_sum(f, weights, lams, outs, who: str = "regularizer"):
    """``(sum_l lam_l f(W_l), [f(W_l)], [lam_l df/dW_l])`` of already checked arguments.

    Parameters
    ----------
    f : callable
        ``f(W, out) -> (value, grad)``; ``grad`` may be the buffer ``out`` (it is scaled by
        ``lam_l`` in place).
    weights : list
    lams : list of float
        One per matrix (see :func:`entropy_ref.validation.weights.broadcast_lam`).
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
    for l, (W, lam_l, buf) in enumerate(zip(weights, lams, outs, strict=True)):
        value, grad = f(W, buf)
        if lam_l != 1.0:
            if lam_l > 1.0:
                _check_fits(grad, lam_l, who)
            np.multiply(grad, grad.dtype.type(lam_l), out=grad)
        values.append(float(value))
        grads.append(grad)
        total = _add_term(total, lam_l, float(value), l, who)
    return total, values, grads


def _add_term(total: float, lam: float, value: float, layer: int, who: str) -> float:
    """``total + lam * value``, refused when the term or the sum leaves the float64 range (an
    ``inf`` penalty beside finite gradients would be a silently wrong loss)."""
    term = lam * value if lam else 0.0
    if not math.isfinite(value) or not math.isfinite(term):
        raise ValueError(f"{who}: the term of weight matrix {layer}, lam * f(W_{layer}) = "
                         f"{lam:g} * {value:.6g}, overflows float64; use a smaller lam")
    if not math.isfinite(total + term):
        raise ValueError(f"{who}: the sum over the weight matrices overflows float64 at matrix "
                         f"{layer} (sum so far {total:.6g}, plus lam * f(W_{layer}) = "
                         f"{term:.6g}); use a smaller lam")
    return total + term


def _check_fits(grad: np.ndarray, lam: float, who: str) -> None:
    """Refuse ``lam * grad`` when it would overflow ``grad``'s dtype (an inf gradient, silently)."""
    top = float(np.finfo(grad.dtype).max)
    big = max(float(grad.max()), -float(grad.min())) if grad.size else 0.0
    if lam > top or lam * big > top:
        raise ValueError(f"{who}: lam = {lam:g} times the gradient (max |grad| = {big:.3g}) "
                         f"overflows {grad.dtype}; use a smaller lam")
