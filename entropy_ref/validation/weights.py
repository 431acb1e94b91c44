"""Checks of the per-layer arguments of a penalty: the list of weight matrices and ``lam``."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from .arrays import is_masked

__all__ = ["as_weight_list", "check_weights", "broadcast_lam"]


def as_weight_list(weights, who: str) -> list:
    """``weights`` as a non-empty list; a single array (whose rows ``list()`` would turn into
    "layers") or a non-iterable is a ``TypeError`` naming ``who``.

    Examples
    --------
    >>> as_weight_list(np.ones((2, 3)), "l1")
    Traceback (most recent call last):
    ...
    TypeError: l1: pass a list of weight matrices, not a single array (wrap one matrix in a list: [W])
    """
    if isinstance(weights, np.ndarray):
        raise TypeError(f"{who}: pass a list of weight matrices, not a single array (wrap one "
                        f"matrix in a list: [W])")
    if isinstance(weights, (str, bytes, dict)) or not isinstance(weights, Iterable):
        raise TypeError(f"{who}: weights must be a list of weight matrices; got "
                        f"{type(weights).__name__}")
    weights = list(weights)
    if not weights:
        raise ValueError(f"{who}: need at least one weight matrix")
    return weights


def check_weights(weights, who: str) -> list:
    """:func:`as_weight_list`, each entry a non-empty float ndarray (not a masked array).

    Examples
    --------
    >>> len(check_weights([np.ones((2, 2))], "l1"))
    1
    >>> check_weights([], "l1")
    Traceback (most recent call last):
    ...
    ValueError: l1: need at least one weight matrix
    >>> check_weights([np.ones((2, 2), int)], "l1")
    Traceback (most recent call last):
    ...
    ValueError: l1: weights[0] must be a non-empty float array
    """
    weights = as_weight_list(weights, who)
    for l, W in enumerate(weights):
        if is_masked(W):
            raise TypeError(f"{who}: weights[{l}] is a masked array; regularizers apply no mask: "
                            f"pass W.filled(0) (masked entries as zeros) or W.data")
        if not isinstance(W, np.ndarray) or W.dtype.kind != "f" or W.size == 0:
            raise ValueError(f"{who}: weights[{l}] must be a non-empty float array")
    return weights


def broadcast_lam(lam, n_layers: int, who: str = "regularizer") -> list[float]:
    """Broadcast ``lam`` (scalar or one per layer) to a list of ``n_layers`` finite floats >= 0.

    Examples
    --------
    >>> broadcast_lam(0.5, 3)
    [0.5, 0.5, 0.5]
    >>> broadcast_lam([1, 2], 3)
    Traceback (most recent call last):
    ...
    ValueError: regularizer: lam has 2 values but there are 3 weight matrices
    >>> broadcast_lam(-1.0, 2)
    Traceback (most recent call last):
    ...
    ValueError: regularizer: lam must be finite and >= 0, got -1.0
    """
    try:
        if isinstance(lam, (str, bytes)):
            raise TypeError
        if np.ndim(lam) == 0:
            lams = [float(lam)] * n_layers
        else:
            lams = [float(x) for x in np.asarray(lam).reshape(-1)]
    except (TypeError, ValueError):
        raise TypeError(f"{who}: lam must be a number or one number per weight matrix, got "
                        f"{lam!r}") from None
    if len(lams) != n_layers:
        raise ValueError(f"{who}: lam has {len(lams)} values but there are {n_layers} "
                         f"weight matrices")
    for x in lams:
        if not (math.isfinite(x) and x >= 0):
            raise ValueError(f"{who}: lam must be finite and >= 0, got {x}")
    return lams
