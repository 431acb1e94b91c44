"""Detector for a smoothed absolute value: ``sum sqrt(W**2 + eps)`` used for ``sum |W|``.

``sqrt(w**2 + eps)`` is a common way to make ``|w|`` differentiable at 0. Its effect on ``H_C``
has the size of a rounding error for a tiny ``eps`` and is concentrated on the small entries, so
without this detector it was called ``float32_precision``, an eps inside the log, or worse
(``memory_order``, ``padding``). See ``docs/diagnoses.md``.
"""

from __future__ import annotations

import math

import numpy as np

from ..gradcheck import rel_error
from .profiles import float32_tolerance
from .relations import MATCH, reference_terms
from .report import Diagnosis

#: the variant must explain the error to this fraction of its size (as for ``additive_eps``)
_FIT = 0.02
#: an eps (soft sign) or sqrt(eps) (smooth |w|) beyond this fraction of max|W| is not an eps
_SMALL = 0.1


def _variant(W, R1, eps):
    """Value shift and gradient of H_C with ``sum sqrt(W**2 + eps)`` (the energy term unchanged)."""
    a = np.sqrt(W * W + eps)
    S_eps = float(a.sum())
    return -math.log(S_eps / float(np.abs(W).sum())), R1 - (W / a) / S_eps


def _estimate_eps(W, t):
    """``eps`` from the |W| term ``t = -(W / sqrt(W**2 + eps)) / S_eps`` of the gradient, or None.

    The ratio of that term at the smallest and the largest nonzero ``|w|`` fixes ``eps`` exactly:
    ``rho = (w_j / a_j) / (w_b / a_b)`` gives ``eps = w_j^2 w_b^2 (1 - rho^2) / (rho^2 w_b^2 - w_j^2)``.
    """
    nz = W != 0
    if not nz.any():
        return None
    w, q = np.abs(W[nz]), -t[nz] * np.sign(W[nz])
    if not np.all(q > 0):
        return None
    j, b = int(np.argmin(w)), int(np.argmax(w))
    rho, wj, wb = q[j] / q[b], w[j], w[b]
    den = rho * rho * wb * wb - wj * wj
    if not (0.0 < rho < 1.0 and den > 0.0):
        return None
    eps = wj * wj * wb * wb * (1.0 - rho * rho) / den
    return eps if math.isfinite(eps) and 0.0 < math.sqrt(eps) <= _SMALL * wb else None


def _soft_sign(case, value, grad, R1, S) -> list:
    """The value is right and the |W| term is ``-(W / (|W| + eps)) / S``: a 'safe sign'."""
    W = case.W.astype(np.float64)
    nz = W != 0
    if not nz.any() or abs(value - case.value_nats) > 10 * case.tolerance.value_atol:
        return []
    r = -(grad - R1)[nz] * np.sign(W[nz]) * S          # |w| / (|w| + eps)
    j = int(np.argmin(np.abs(W[nz])))
    if not 0.0 < r[j] < 1.0:
        return []
    eps = float(np.abs(W[nz])[j] * (1.0 / r[j] - 1.0))
    if not eps <= _SMALL * float(np.max(np.abs(W))):    # larger: a missing or scaled term
        return []
    g = R1 - (W / (np.abs(W) + eps)) / S
    err = rel_error(grad, case.grad)
    if not rel_error(grad, g) <= _FIT * err:
        return []
    return [Diagnosis("soft_sign", (
        f"the gradient's |W| term uses W / (|W| + eps) with eps ~ {eps:.2g} instead of sign(W) (a "
        f"'safe sign'): wrong for |w| up to about eps, by {err:.1e} (relative) on this case, and "
        "it breaks the scale invariance (the gradient of H_C(cW) is no longer grad H_C(W) / c). "
        "Fix: sign(W), with sign(0) = 0"))]


def smooth_abs(case, value: float, grad: np.ndarray) -> list:
    """The gradient is that of ``1/2 log E - log sum sqrt(W**2 + eps)`` for some ``eps > 0``, or
    (``soft_sign``) its |W| term is ``-(W / (|W| + eps)) / S`` with the value right."""
    R1, R2, E, S = reference_terms(case)
    W = case.W.astype(np.float64)
    eps = _estimate_eps(W, grad - R1)
    if eps is None:
        return _soft_sign(case, value, grad, R1, S)
    shift, g = _variant(W, R1, eps)
    err = rel_error(grad, case.grad)
    if not (rel_error(grad, g) <= _FIT * err and abs(value - case.value_nats - shift) <= MATCH):
        return _soft_sign(case, value, grad, R1, S)
    f32 = float32_tolerance(case.W.astype(np.float32), case.axes)
    harmless = abs(shift) <= f32.value_atol and err <= f32.array_rtol
    verdict = ("Harmless at float32 training precision on this case" if harmless else
               "NOT harmless at float32 training precision") + (
        f" (the float32 rounding bound of this input is {f32.value_atol:.1e} nats / "
        f"{f32.array_rtol:.1e}, profile='float32')")
    return [Diagnosis("smooth_abs", (
        f"sum|W| is computed as sum sqrt(W**2 + eps) with eps ~ {eps:.2g} (a 'smooth |w|'): its "
        f"derivative W / sqrt(W**2 + eps) is not sign(W) for |w| up to about sqrt(eps) = "
        f"{math.sqrt(eps):.1g}, and each exact zero adds sqrt(eps) to the sum; value moved by "
        f"{shift:+.2e} nats, gradient by {err:.1e} (relative). {verdict}. Like any eps it breaks "
        "the scale invariance H_C(cW) = H_C(W). Fix: sum |W| with the subgradient sign(W), "
        "sign(0) = 0 (JAX: jnp.sum(W * jnp.sign(W)))"))]
