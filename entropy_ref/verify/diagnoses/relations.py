"""Shared helpers of the diagnoses: the match tolerance, shape-safe closeness, the reference's
gradient terms and a fit on them, the boundary band and number formatting that never prints
``-0.000``.
"""

from __future__ import annotations

import numpy as np

from ...gradcheck import rel_error
from ...scharr import scharr_gradient

#: a relation between outputs and reference "holds" to this (relative for arrays, absolute nats
#: for values); see :mod:`.diagnose`
MATCH = 1e-3
#: a mistaken variant explains an output when the output is at least this much closer to the
#: variant than to the reference (a variant that nearly equals the reference explains nothing)
EXPLAINS = 0.1


def close(a, b) -> bool:
    """True when ``a`` and ``b`` have one shape and ``rel_error(a, b) <= MATCH``: the relation holds.

    Arrays of different shapes are simply not close (never an exception: the kit must not crash on
    whatever an implementation returns).

    Examples
    --------
    >>> close(np.ones((2, 3)), np.ones((3, 2))), close([1.0, 2.0], [1.0, 2.0001])
    (False, True)
    """
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        return False
    with np.errstate(all="ignore"):
        return bool(rel_error(a, b) <= MATCH)


def explains(got, variant, reference) -> bool:
    """The ``variant`` explains how ``got`` differs from ``reference``: ``got`` is close to the
    variant (:data:`MATCH`) and at least ten times closer to it than to the reference.

    Examples
    --------
    >>> ref, var = np.array([1.0, 2.0]), np.array([1.0, 2.5])
    >>> explains(var, var, ref), explains(ref, var, ref)
    (True, False)
    """
    if not close(got, variant):
        return False
    with np.errstate(all="ignore"):
        return bool(rel_error(got, variant) <= EXPLAINS * rel_error(got, reference))


def value_explains(value: float, variant: float, reference: float) -> bool:
    """:func:`explains` for a value in nats: within :data:`MATCH` of the variant, and at least ten
    times closer to it than to the reference."""
    return abs(value - variant) <= MATCH and abs(value - variant) <= EXPLAINS * abs(
        value - reference)


def global_factor(grad, G):
    """``alpha`` when ``grad`` is ``alpha * G`` for a constant ``alpha != 1`` (the relation
    explains the error, :func:`explains`), else None.

    Examples
    --------
    >>> global_factor(np.array([0.5, 1.0]), np.array([1.0, 2.0]))
    0.5
    """
    G = np.asarray(G, dtype=np.float64)
    GG = float(np.vdot(G, G))
    if not GG > 0.0:
        return None
    alpha = float(np.vdot(grad, G)) / GG
    if alpha == 0.0 or abs(alpha - 1.0) <= MATCH or not explains(grad, alpha * G, G):
        return None
    return alpha


def num(x: float, spec: str) -> str:
    """``format(x, spec)``, with a value that rounds to zero printed without a minus sign.

    Two runs that differ only by the sign of a rounding error then print the same message, so the
    report groups them as one diagnosis.

    Examples
    --------
    >>> num(-0.00004, ".3f"), num(-0.00004, "+.4f"), num(-0.5, ".3f")
    ('0.000', '+0.0000', '-0.500')
    """
    s = format(x, spec)
    try:
        if float(s) == 0.0:
            return format(0.0, spec)
    except ValueError:   # nan, inf: printed as they are
        pass
    return s


def reference_terms(case):
    """``(R1, R2, E, S)``: energy term and |W| term of the reference gradient (eq. D10), ``E``, ``S``.

    ``case.grad = R1 + R2`` with ``R1 = (sum_a K_a^T K_a W) / (k E)`` and ``R2 = -sign(W) / S``,
    ``E = (1/k) sum_a ||g_a||^2`` and ``S = sum |W|``, all in float64.
    """
    W = case.W.astype(np.float64)
    S = float(np.abs(W).sum())
    R2 = -np.sign(W) / S
    E = sum(float(np.vdot(c, c)) for c in scharr_gradient(W, case.axes)) / len(case.axes)
    return case.grad - R2, R2, E, S


def term_coefficients(y, R1, R2):
    """``(a, b)`` of the least-squares fit ``y ~ a R1 + b R2``; None when ``R1, R2`` are dependent.

    Examples
    --------
    >>> R1, R2 = np.array([1.0, 0.0, 1.0]), np.array([0.0, 1.0, 1.0])
    >>> [round(float(c), 12) for c in term_coefficients(2.0 * R1 - R2, R1, R2)]
    [2.0, -1.0]
    """
    A = np.stack([R1.ravel(), R2.ravel()], axis=1)
    if np.linalg.matrix_rank(A) < 2:
        return None
    (a, b), *_ = np.linalg.lstsq(A, np.ravel(y), rcond=None)
    return a, b


def boundary_band(shape, axes) -> np.ndarray:
    """Mask of the entries within distance 1 of the boundary along any chosen axis.

    Examples
    --------
    >>> int(boundary_band((5, 5), (1, 0)).sum())     # all but the centre entry
    24
    """
    band = np.zeros(shape, dtype=bool)
    for ax in axes:
        idx = np.arange(shape[ax])
        near = np.minimum(idx, shape[ax] - 1 - idx) <= 1
        band |= near.reshape([-1 if a == ax else 1 for a in range(len(shape))])
    return band
