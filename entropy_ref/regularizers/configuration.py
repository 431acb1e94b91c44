"""``sparsity`` and ``entropy``: the configuration-entropy terms of the paper (eq. 3, section 5).

* ``sparsity`` adds ``lam * sum_l l_C(W_l)`` with ``l_C = -H_C``, the term the paper trains with.
  Note the sign: minimising ``l_C`` *raises* the estimate ``H_C`` (see docs/conventions.md).
* ``entropy`` adds ``lam * sum_l H_C(W_l)``: minimising it *lowers* ``H_C``.

Both take the ``axes`` and ``unit`` of :func:`entropy_ref.configuration_entropy_grad` as keywords.
:func:`penalty_sum` is the same sum under the name the package exports
(``entropy_ref.penalty_sum``), choosing the term by ``kind``.
"""

from __future__ import annotations

from typing import NamedTuple

from ..entropy import configuration_entropy_grad, sparsity_loss_grad
from .base import Regularizer
from .total import layer_sum

__all__ = ["SPARSITY", "ENTROPY", "PenaltyResult", "penalty_sum", "sparsity_penalty_and_grads",
           "entropy_penalty_and_grads"]


def sparsity_penalty_and_grads(weights, lam=1.0, out=None, *, axes=None, unit: str = "nats"):
    """``lam * sum_l l_C(W_l)`` (``l_C = -H_C``) and its gradients: the contract of :mod:`.base`.

    Examples
    --------
    >>> import numpy as np
    >>> W = np.random.default_rng(0).standard_normal((8, 9))
    >>> total, values, grads = sparsity_penalty_and_grads([W, W], lam=[1.0, 2.0])
    >>> bool(np.isclose(total, 3 * values[0], rtol=1e-12)), grads[1].shape
    (True, (8, 9))
    """
    return layer_sum(lambda W, buf: sparsity_loss_grad(W, axes, unit, out=buf), weights, lam, out,
                     who="sparsity")


def entropy_penalty_and_grads(weights, lam=1.0, out=None, *, axes=None, unit: str = "nats"):
    """``lam * sum_l H_C(W_l)`` and its gradients: the contract of :mod:`.base`.

    Examples
    --------
    >>> import numpy as np
    >>> W = np.random.default_rng(0).standard_normal((8, 9))
    >>> s, _, _ = sparsity_penalty_and_grads([W]); e, _, _ = entropy_penalty_and_grads([W])
    >>> bool(np.isclose(s, -e, rtol=1e-12))
    True
    """
    return layer_sum(lambda W, buf: configuration_entropy_grad(W, axes, unit, out=buf), weights,
                     lam, out, who="entropy")


SPARSITY = Regularizer(
    "sparsity", "lam * sum_l l_C(W_l), l_C = -H_C (the paper's training term)",
    sparsity_penalty_and_grads)
ENTROPY = Regularizer(
    "entropy", "lam * sum_l H_C(W_l) (configuration entropy)", entropy_penalty_and_grads)

#: ``penalty_sum``'s kinds: name -> value and gradient of one matrix
_KINDS = {"sparsity_loss": sparsity_loss_grad, "configuration_entropy": configuration_entropy_grad}


class PenaltyResult(NamedTuple):
    """Result of :func:`penalty_sum`."""

    #: ``sum_l lam_l * f(W_l)``
    total: float
    #: ``f(W_l)`` per matrix, unweighted
    values: list
    #: ``lam_l * df/dW_l`` per matrix, each of the matrix's shape and dtype
    grads: list


def penalty_sum(weights, lam=1.0, kind: str = "sparsity_loss", axes=None, unit: str = "nats",
                out=None) -> PenaltyResult:
    """Sum ``lam_l * f(W_l)`` over weight matrices, with per-matrix gradients.

    The ``sparsity`` (``kind="sparsity_loss"``) and ``entropy`` (``kind="configuration_entropy"``)
    regularizers under one public name; every argument is checked once, as for a regularizer
    (:mod:`entropy_ref.regularizers.base`), with errors starting ``penalty_sum:``.

    Parameters
    ----------
    weights : sequence of array_like
        The weight matrices ``W_l`` (biases are never passed here); anything
        :func:`~entropy_ref.configuration_entropy` accepts, float32 staying float32.
    lam : float or sequence of float
        One non-negative weight for all matrices or one per matrix (paper: ``lam = 1``).
    kind : {"sparsity_loss", "configuration_entropy"}
        ``f = l_C = -H_C`` (the paper's experiment, eq. 3 and section 5) or ``f = H_C``.
    axes, unit
        Passed to ``f`` for every matrix.
    out : list of ndarray, optional
        Gradient buffers, one per matrix (shape of ``W_l``, float32 for a float32 ``W_l`` and
        float64 otherwise), reused across calls; none may share memory with a matrix or with
        another buffer (``ValueError``).

    Returns
    -------
    PenaltyResult
        ``(total, values, grads)``.

    Notes
    -----
    The model entropy of the paper's eq. 2 is the sum of per-layer entropies; ``lam_l`` is the
    optional per-layer regularization parameter of section 5.

    Examples
    --------
    >>> import numpy as np
    >>> Ws = [np.arange(12.0).reshape(3, 4), np.eye(3) + 0.1]
    >>> r = penalty_sum(Ws, lam=[1.0, 0.5], kind="configuration_entropy")
    >>> bool(np.isclose(r.total, r.values[0] + 0.5 * r.values[1], rtol=1e-15))
    True
    """
    if kind not in _KINDS:
        raise ValueError(f"kind must be one of {sorted(_KINDS)}, got {kind!r}")
    f = _KINDS[kind]
    return PenaltyResult(*layer_sum(lambda W, buf: f(W, axes, unit, out=buf), weights, lam, out,
                                    who="penalty_sum", array_likes=True))
