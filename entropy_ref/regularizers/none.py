"""``none``: no penalty (the paper's dense baseline)."""

from __future__ import annotations

import numpy as np

from .base import Regularizer, check_weights, out_buffers, per_layer_lam


def penalty_and_grads(weights, lam=1.0, out=None):
    """Zero penalty, zero gradients.

    Parameters
    ----------
    weights : list of ndarray, each shape (fan_out, fan_in)
    lam : float or sequence of float
        Validated, otherwise ignored.
    out : list of ndarray, optional
        Gradient buffers like ``weights``, zeroed and returned.

    Returns
    -------
    total : float
    values : list of float
    grads : list of ndarray, like weights

    Examples
    --------
    >>> penalty_and_grads([np.ones((2, 2))])
    (0.0, [0.0], [array([[0., 0.],
           [0., 0.]])])
    """
    weights = check_weights(weights, "none")
    per_layer_lam(lam, len(weights), "none")
    outs = out_buffers(weights, out, "none")
    grads = [np.zeros_like(W) if o is None else _zero(o) for W, o in zip(weights, outs)]
    return 0.0, [0.0] * len(weights), grads


def _zero(buf):
    buf.fill(0)
    return buf


REGULARIZER = Regularizer("none", "no penalty (dense baseline)", penalty_and_grads, trivial=True)
