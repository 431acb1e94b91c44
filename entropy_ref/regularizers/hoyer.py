"""``hoyer``: DeepHoyer's Hoyer-square penalty (Yang, Wen & Li, ICLR 2020), per layer.

``H_S(W) = (sum |w|)^2 / sum w^2`` is scale-invariant like ``l_C`` and lies in ``[1, W.size]``
(1 for a single non-zero entry, ``W.size`` for constant magnitude). With ``s1 = sum |w|`` and
``s2 = sum w^2`` the gradient is derived by hand from the quotient rule::

    dH_S/dw = 2 s1 sign(w) / s2 - s1^2 * 2 w / s2^2 = (2 s1 / s2) * (sign(w) - (s1 / s2) * w)

(``sign(0) = 0``, the subgradient DeepHoyer's PyTorch autograd also takes).
"""

from __future__ import annotations

import numpy as np

from ..errors import DegenerateInputError
from .. import scaling
from ..validation.buffers import check_out
from .base import Regularizer
from .total import layer_sum


def hoyer_square(W, out=None):
    """``(sum |W|)^2 / sum W^2`` and its gradient (same dtype as ``W``).

    Parameters
    ----------
    W : ndarray, any shape, not all zero
    out : ndarray, like W, optional
        Buffer for the gradient.

    Returns
    -------
    value : float
    grad : ndarray, like W

    Examples
    --------
    >>> value, grad = hoyer_square(np.array([3.0, 0.0, -4.0]))
    >>> round(value, 12), grad  # 49 / 25; 2*7/25 * (sign(w) - 7/25 w)
    (1.96, array([0.0896, 0.    , 0.0672]))
    """
    # H_S is scale invariant: far from 1 (where the squares or r = s1/s2 leave the range) it is
    # computed at 2**-e W, an exact rescale, and the gradient scaled back by 2**-e
    out = check_out(out, W.shape, W.dtype, who="hoyer", inputs=[("W", W)])
    e = scaling.exponent_if_extreme(W)
    Ws = scaling.rescaled(W, e) if e else W
    s1 = float(np.sum(np.abs(Ws), dtype=np.float64))
    s2 = float(np.sum(np.square(Ws, dtype=np.float64)))
    if s2 == 0.0:
        raise DegenerateInputError("hoyer: the Hoyer-square measure is undefined for an "
                                   "all-zero weight matrix")
    r = s1 / s2
    grad = np.sign(W, out=out)
    grad -= Ws * W.dtype.type(r)
    grad *= W.dtype.type(2.0 * r)
    return s1 * r, (scaling.scale_back(grad, e, "hoyer: the gradient") if e else grad)


def penalty_and_grads(weights, lam=1.0, out=None):
    """``sum_l lam_l * H_S(W_l)`` and its gradients: the contract of :mod:`.base`.

    Examples
    --------
    >>> total, values, _ = penalty_and_grads([np.ones((2, 2)), np.eye(3)], lam=[1.0, 2.0])
    >>> total, values
    (10.0, [4.0, 3.0])
    """
    return layer_sum(hoyer_square, weights, lam, out, who="hoyer")


REGULARIZER = Regularizer("hoyer", "lam * sum_l (sum|W_l|)^2 / sum W_l^2 (DeepHoyer)",
                          penalty_and_grads)
