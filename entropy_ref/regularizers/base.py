"""The :class:`Regularizer` record and the per-layer ``lam`` helper shared by every regularizer.

A regularizer is a named function ``penalty_and_grads(weights, lam) -> (total, values, grads)``:

* ``weights``: list of weight matrices ``W_l`` (biases are never regularized);
* ``lam``: a scalar or one non-negative number per matrix (default 1, the paper's setting);
* ``values[l] = f(W_l)``, unweighted; ``total = sum_l lam_l * values[l]``;
* ``grads[l] = lam_l * df/dW_l``, same shape and dtype as ``W_l``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..validation.arrays import is_masked
from .._layerwise import as_weight_list, broadcast_lam
from ..validation.buffers import check_out_list

__all__ = ["Regularizer", "per_layer_lam", "check_weights", "out_buffers"]


@dataclass(frozen=True)
class Regularizer:
    """A named penalty on the weight matrices.

    Attributes
    ----------
    name : str
        Registry key (``--reg`` on the command line).
    description : str
        One line for ``--help`` and the run's printed configuration.
    penalty_and_grads : callable
        ``(weights, lam=1.0, out=None) -> (total, values, grads)``; ``out`` optionally holds
        preallocated gradient buffers (one like each matrix), overwritten and returned.
    trivial : bool
        ``True`` when the penalty is identically zero (lets the trainer skip adding gradients).
    """

    name: str
    description: str
    penalty_and_grads: Callable
    trivial: bool = False

    def __call__(self, weights, lam=1.0, out=None):
        return self.penalty_and_grads(weights, lam, out)


def check_weights(weights, who):
    """Return ``weights`` as a list of real 2-D-or-more float arrays; raise on anything else.

    Examples
    --------
    >>> len(check_weights([np.ones((2, 2))], "l1"))
    1
    >>> check_weights([], "l1")
    Traceback (most recent call last):
    ...
    ValueError: l1: need at least one weight matrix
    """
    weights = as_weight_list(weights, who)
    for l, W in enumerate(weights):
        if is_masked(W):
            raise TypeError(f"{who}: weights[{l}] is a masked array; regularizers apply no mask: "
                            f"pass W.filled(0) (masked entries as zeros) or W.data")
        if not isinstance(W, np.ndarray) or W.dtype.kind != "f" or W.size == 0:
            raise ValueError(f"{who}: weights[{l}] must be a non-empty float array")
    return weights


#: ``lam`` broadcasting, shared with :func:`entropy_ref.penalty_sum`
per_layer_lam = broadcast_lam


def out_buffers(weights, out, who):
    """``out`` checked against ``weights`` (one buffer of equal shape and dtype each), or Nones.

    A buffer may be strided; it must not overlap any weight matrix or another buffer
    (:func:`entropy_ref.validation.buffers.check_out_list`).

    Examples
    --------
    >>> out_buffers([np.ones(2)], None, "l1")
    [None]
    >>> out_buffers([np.ones(2)], [np.ones(3)], "l1")
    Traceback (most recent call last):
    ...
    ValueError: l1: out[0] must have shape (2,) and dtype float64; got (3,), float64
    """
    return check_out_list(out, weights, who)
