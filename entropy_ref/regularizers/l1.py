"""``l1``: the classic L1 penalty ``lam * sum |w|`` per layer."""

from __future__ import annotations

import math

import numpy as np

from ..scaling import max_abs
from ..validation.buffers import check_out
from .base import Regularizer
from .total import layer_sum


def l1_norm(W, out=None):
    """``sum |W|`` (accumulated in float64) and its gradient ``sign(W)`` (0 at 0).

    Raises ``ValueError`` when the sum exceeds float64's range (entries near 1e308).

    Examples
    --------
    >>> l1_norm(np.array([1.0, -2.0, 0.0]))
    (3.0, array([ 1., -1.,  0.]))
    """
    out = check_out(out, W.shape, W.dtype, who="l1", inputs=[("W", W)])
    with np.errstate(over="ignore"):
        total = float(np.sum(np.abs(W), dtype=np.float64))
    if not math.isfinite(total):
        raise ValueError(f"l1: sum |W| overflows float64 (max |W| = {max_abs(W):.3g}, "
                         f"{W.size} entries): the L1 penalty of this matrix is not representable")
    return total, np.sign(W, out=out)


def penalty_and_grads(weights, lam=1.0, out=None):
    """``sum_l lam_l * sum |W_l|``, gradients ``lam_l * sign(W_l)``: the contract of :mod:`.base`.

    Examples
    --------
    >>> penalty_and_grads([np.array([[1.0, -2.0, 0.0]])], lam=0.5)
    (1.5, [3.0], [array([[ 0.5, -0.5,  0. ]])])
    """
    return layer_sum(l1_norm, weights, lam, out, who="l1")


REGULARIZER = Regularizer("l1", "lam * sum_l sum |W_l| (L1)", penalty_and_grads)
