"""``loghoyer``: the first half of ``l_C``, ``1/2 log(||W||_1^2 / ||W||_2^2)`` per layer.

``l_C = loghoyer + rayleigh`` exactly (``docs/ablation.md`` eq. A1). This half is the log of
DeepHoyer's Hoyer-square measure (:mod:`.hoyer`), halved: scale invariant, blind to where the
entries sit; each value lies in ``[0, 1/2 log W_l.size]``. The math and its hand-derived gradient
``sign(W)/S - W/Q`` (eq. A4) are :func:`entropy_ref.hoyer_rayleigh.loghoyer_grad`.
"""

from __future__ import annotations

from ..hoyer_rayleigh import loghoyer_grad
from .base import Regularizer
from .total import layer_sum

__all__ = ["REGULARIZER", "penalty_and_grads"]


def penalty_and_grads(weights, lam=1.0, out=None):
    """``sum_l lam_l * loghoyer(W_l)`` and its gradients: the contract of :mod:`.base`.

    Examples
    --------
    >>> import numpy as np
    >>> total, values, _ = penalty_and_grads([np.ones((2, 2)), np.eye(3)], lam=[1.0, 2.0])
    >>> bool(np.isclose(total, np.log(2) + np.log(3), rtol=1e-14))   # 1/2 log 4 + 2 * 1/2 log 3
    True
    """
    return layer_sum(lambda W, buf: loghoyer_grad(W, out=buf), weights, lam, out, who="loghoyer")


REGULARIZER = Regularizer(
    "loghoyer", "lam * sum_l 1/2 log(|W_l|_1^2 / |W_l|_2^2) (first half of l_C)",
    penalty_and_grads)
