"""The exact power-of-two rescale: how scale-invariant quantities stay finite at any scale.

``H_C``, its two halves and the Hoyer-square measure are scale invariant (``docs/derivation.md``
eq. D6). Where a sum of squares would under- or overflow (entries near ``1e-170`` or ``1e160`` in
float64), the value is computed at ``2**-e W`` instead, which is exact, and a gradient scaled
back by ``2**-e`` (eq. D14).
"""

from __future__ import annotations

import math

import numpy as np


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
