"""``sparsity`` and ``entropy``: the configuration-entropy terms of the paper (eq. 3, section 5).

* ``sparsity`` adds ``lam * sum_l l_C(W_l)`` with ``l_C = -H_C``, the term the paper trains with.
  Note the sign: minimising ``l_C`` *raises* the estimate ``H_C`` (see docs/conventions.md).
* ``entropy`` adds ``lam * sum_l H_C(W_l)``: minimising it *lowers* ``H_C``.

Both are thin wrappers around :func:`entropy_ref.penalty_sum`, the lead's fast float32 path.
"""

from __future__ import annotations

from ..entropy import penalty_sum
from .base import Regularizer, check_weights, out_buffers, per_layer_lam

__all__ = ["SPARSITY", "ENTROPY", "sparsity_penalty_and_grads", "entropy_penalty_and_grads"]


def _penalty(weights, lam, out, kind, name):
    weights = check_weights(weights, name)
    lams = per_layer_lam(lam, len(weights), name)
    res = penalty_sum(weights, lam=lams, kind=kind, out=out_buffers(weights, out, name))
    return float(res.total), [float(v) for v in res.values], list(res.grads)


def sparsity_penalty_and_grads(weights, lam=1.0, out=None):
    """``lam * sum_l l_C(W_l)`` (``l_C = -H_C``) and its gradients.

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
        ``l_C(W_l)``, unweighted.
    grads : list of ndarray, like weights
        ``lam_l * dl_C/dW_l``.

    Examples
    --------
    >>> import numpy as np
    >>> W = np.random.default_rng(0).standard_normal((8, 9))
    >>> total, values, grads = sparsity_penalty_and_grads([W, W], lam=[1.0, 2.0])
    >>> bool(np.isclose(total, 3 * values[0], rtol=1e-12)), grads[1].shape
    (True, (8, 9))
    """
    return _penalty(weights, lam, out, "sparsity_loss", "sparsity")


def entropy_penalty_and_grads(weights, lam=1.0, out=None):
    """``lam * sum_l H_C(W_l)`` and its gradients.

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
        ``H_C(W_l)``, unweighted.
    grads : list of ndarray, like weights

    Examples
    --------
    >>> import numpy as np
    >>> W = np.random.default_rng(0).standard_normal((8, 9))
    >>> s, _, _ = sparsity_penalty_and_grads([W]); e, _, _ = entropy_penalty_and_grads([W])
    >>> bool(np.isclose(s, -e, rtol=1e-12))
    True
    """
    return _penalty(weights, lam, out, "configuration_entropy", "entropy")


SPARSITY = Regularizer(
    "sparsity", "lam * sum_l l_C(W_l), l_C = -H_C (the paper's training term)",
    sparsity_penalty_and_grads)
ENTROPY = Regularizer(
    "entropy", "lam * sum_l H_C(W_l) (configuration entropy)", entropy_penalty_and_grads)
