"""``none``: no penalty (the paper's dense baseline)."""

from __future__ import annotations

import numpy as np

from .base import Regularizer, check_weights, per_layer_lam


def penalty_and_grads(weights, lam=1.0):
    """Zero penalty, zero gradients.

    Parameters
    ----------
    weights : list of ndarray, each shape (fan_out, fan_in)
    lam : float or sequence of float
        Validated, otherwise ignored.

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
    return 0.0, [0.0] * len(weights), [np.zeros_like(W) for W in weights]


REGULARIZER = Regularizer("none", "no penalty (dense baseline)", penalty_and_grads, trivial=True)
