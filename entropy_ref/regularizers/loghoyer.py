"""``loghoyer``: the first half of ``l_C``, ``1/2 log(||W||_1^2 / ||W||_2^2)`` per layer.

``l_C = loghoyer + rayleigh`` exactly (``docs/ablation.md`` eq. A1). This half is the log of
DeepHoyer's Hoyer-square measure (:mod:`.hoyer`), halved: scale invariant, blind to where the
entries sit. The math, with its hand-derived gradient ``sign(W)/S - W/Q`` (eq. A4), is
:func:`entropy_ref.hoyer_rayleigh.loghoyer_grad`; this module only wraps it.
"""

from __future__ import annotations

from .._layerwise import weighted_sum
from ..hoyer_rayleigh import loghoyer_grad
from .base import Regularizer, check_weights, out_buffers, per_layer_lam

__all__ = ["REGULARIZER", "penalty_and_grads"]


def penalty_and_grads(weights, lam=1.0, out=None):
    """``sum_l lam_l * loghoyer(W_l)`` and its gradients.

    Parameters
    ----------
    weights : list of ndarray, each shape (fan_out, fan_in)
    lam : float or sequence of float, default 1.0
    out : list of ndarray, optional
        Gradient buffers like ``weights``, overwritten and returned (no allocation).

    Returns
    -------
    total : float
    values : list of float
        ``loghoyer(W_l)``, unweighted, each in ``[0, 1/2 log W_l.size]``.
    grads : list of ndarray, like weights
        ``lam_l * dloghoyer/dW_l`` (eq. A4).

    Examples
    --------
    >>> import numpy as np
    >>> total, values, _ = penalty_and_grads([np.ones((2, 2)), np.eye(3)], lam=[1.0, 2.0])
    >>> bool(np.isclose(total, np.log(2) + np.log(3), rtol=1e-14))   # 1/2 log 4 + 2 * 1/2 log 3
    True
    """
    weights = check_weights(weights, "loghoyer")
    return weighted_sum(lambda W, buf: loghoyer_grad(W, out=buf), weights,
                        per_layer_lam(lam, len(weights), "loghoyer"),
                        out_buffers(weights, out, "loghoyer"))


REGULARIZER = Regularizer(
    "loghoyer", "lam * sum_l 1/2 log(|W_l|_1^2 / |W_l|_2^2) (first half of l_C)",
    penalty_and_grads)
