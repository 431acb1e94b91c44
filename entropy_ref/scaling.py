"""The exact power-of-two rescale: how scale-invariant quantities stay finite at any scale.

``H_C``, its two halves and the Hoyer-square measure are scale invariant (``docs/derivation.md``
eq. D6, ``docs/ablation.md`` eq. A5). Where a sum of squares would under- or overflow (entries
near ``1e-170`` or ``1e160`` in float64), the value is computed at ``2**-e W`` instead, which is
exact, and the gradient scaled back by ``2**-e`` (eq. D14). Every caller
(:mod:`entropy_ref.entropy`, :mod:`entropy_ref.fused`, :mod:`entropy_ref.hoyer_rayleigh`,
:mod:`entropy_ref.regularizers.hoyer`) takes its three steps from here:

1. *whether and by how much*: :func:`exponent_if_out_of_range` (a sum left the range) or
   :func:`exponent_if_extreme` (``max |W|`` so far from 1 that a ratio of sums would);
2. *the rescaled input*: :func:`rescaled`, ``2**-e W``;
3. *the gradient scaled back*: :func:`scale_back`, or a one-line error when the true gradient is
   not representable.
"""

from __future__ import annotations

import math

import numpy as np

from .errors import DegenerateInputError

__all__ = ["max_abs", "scale_exponent", "in_range", "exponent_if_out_of_range",
           "exponent_if_extreme", "rescaled", "scale_back"]


def max_abs(W: np.ndarray) -> float:
    """``max |W|`` of a non-empty float array, without a temporary array the size of ``W``."""
    return max(float(W.max()), -float(W.min()))


def scale_exponent(W: np.ndarray) -> int:
    """``e`` with ``max |2**-e W|`` in ``[0.5, 1)`` (0 for an all-zero ``W``): the exponent of an
    exact power-of-two rescale, used where a scale-invariant quantity would under/overflow.

    Examples
    --------
    >>> scale_exponent(np.array([3.0, -1e-3])), scale_exponent(np.array([0.0, 1e-300]))
    (2, -996)
    """
    return math.frexp(max_abs(W))[1]


def in_range(x: float, dtype) -> bool:
    """True when a sum ``x`` (of squares, or of ``|W|``) computed in ``dtype`` lost nothing to
    under- or overflow: ``tiny / eps <= x < inf`` (NaN is out of range).

    Examples
    --------
    >>> in_range(1e-300, np.float64), in_range(1.0, np.float64), in_range(math.inf, np.float64)
    (False, True, False)
    """
    fi = np.finfo(dtype)
    return float(fi.tiny) / float(fi.eps) <= x < math.inf


def exponent_if_out_of_range(W: np.ndarray, *sums: float) -> int:
    """:func:`scale_exponent` of ``W`` when one of ``sums`` (computed from ``W`` in ``W.dtype``)
    is not :func:`in_range` and ``W`` is not all zero; else 0 (no rescale needed, or none helps).

    Examples
    --------
    >>> W = np.array([3e-200, -1e-200])
    >>> exponent_if_out_of_range(W, float(np.vdot(W, W))), exponent_if_out_of_range(W, 1.0)
    (-662, 0)
    """
    if not all(in_range(s, W.dtype) for s in sums) and W.any():
        return scale_exponent(W)
    return 0


def exponent_if_extreme(W: np.ndarray) -> int:
    """:func:`scale_exponent` of ``W`` when ``max |W|`` lies beyond ``2**(+-maxexp // 3)`` of its
    dtype, else 0: there a ratio like ``sum |W| / sum W^2`` (which scales like ``1 / max |W|``)
    leaves the dtype's range even when the sums themselves are accumulated in float64.

    Examples
    --------
    >>> exponent_if_extreme(np.array([1e-20], np.float32)), exponent_if_extreme(np.ones(2))
    (-66, 0)
    """
    lim = 2.0 ** (np.finfo(W.dtype).maxexp // 3)
    m = max_abs(W) if W.size else 0.0
    return scale_exponent(W) if m > lim or 0.0 < m < 1.0 / lim else 0


def rescaled(W: np.ndarray, e: int, out=None) -> np.ndarray:
    """``2**-e W``, exactly (into ``out`` when given).

    Examples
    --------
    >>> rescaled(np.array([3.0, -0.5]), 2)
    array([ 0.75 , -0.125])
    """
    return np.ldexp(W, np.int32(-e), out=out)


def scale_back(grad: np.ndarray, e: int, what: str = "the gradient") -> np.ndarray:
    """``grad(W) = 2**-e grad(2**-e W)`` (eq. D14, A5), in place, for the gradient ``grad``
    computed at :func:`rescaled` ``W``; ``e`` is the rescale's exponent.

    Raises
    ------
    DegenerateInputError
        When the true gradient overflows ``grad``'s dtype (``W`` so tiny that a gradient scaling
        like ``1 / |W|`` is not representable); the message starts with ``what``.

    Examples
    --------
    >>> scale_back(np.array([1.0, -2.0]), 3)
    array([ 0.125, -0.25 ])
    >>> scale_back(np.array([1.0], np.float32), -200, "the gradient of f")
    Traceback (most recent call last):
    ...
    entropy_ref.errors.DegenerateInputError: the gradient of f overflows float32: it scales like 1 / |W|, and W is tiny (max |W| = 3.11e-61 or more); the function is scale invariant: rescale W
    """
    with np.errstate(over="ignore", under="ignore"):
        np.ldexp(grad, np.int32(-e), out=grad)
    if not np.isfinite(grad).all():
        raise DegenerateInputError(
            f"{what} overflows {grad.dtype}: it scales like 1 / |W|, and W is tiny (max |W| = "
            f"{math.ldexp(1.0, e - 1):.3g} or more); the function is scale invariant: rescale W")
    return grad
