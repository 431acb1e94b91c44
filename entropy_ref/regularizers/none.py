"""``none``: no penalty (the paper's dense baseline)."""

from __future__ import annotations

import numpy as np

from .base import Regularizer
from .total import check_arguments


def penalty_and_grads(weights, lam=1.0, out=None):
    """Zero penalty, zero gradients; ``lam`` is checked, otherwise ignored (contract: :mod:`.base`).

    Examples
    --------
    >>> penalty_and_grads([np.ones((2, 2))])
    (0.0, [0.0], [array([[0., 0.],
           [0., 0.]])])
    """
    weights, _, outs = check_arguments(weights, lam, out, "none")
    grads = [np.zeros_like(W) if o is None else _zero(o) for W, o in zip(weights, outs)]
    return 0.0, [0.0] * len(weights), grads


def _zero(buf):
    buf.fill(0)
    return buf


REGULARIZER = Regularizer("none", "no penalty (dense baseline)", penalty_and_grads, trivial=True)
