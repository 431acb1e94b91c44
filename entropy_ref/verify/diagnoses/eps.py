"""An eps where ``H_C`` has none: inside a log (``additive_eps``), in a smoothed absolute value
``sum sqrt(W**2 + eps)`` (``smooth_abs``) or a soft sign ``W / (|W| + eps)`` (``soft_sign``).

Each detector estimates the eps from the gradient and checks that the mistaken formula explains the
error; rounding noise does not have that structure, so none of them fires on a precision problem.
For a tiny eps the effect has the size of a rounding error, which is why the message also says
whether it stays below the float32 rounding bound of the input. ``docs/diagnoses.md`` ("Constants
inside the logs") describes them.
"""

from __future__ import annotations

import math

import numpy as np

from ...gradcheck import rel_error
from ..profiles import float32_tolerance
from ..results import Diagnosis
from .relations import MATCH, num, reference_terms, term_coefficients

#: the eps variant must explain the error to this fraction of its size (float32 noise: ~1)
FIT = 0.02
#: an additive eps whose relative effect exceeds this is a term scaling, not an eps
EPS_MAX = 0.1
#: below this relative size, E or sum|W| merely rounded to float32 (a float32 sum in an otherwise
#: float64 port) produces the same structure as an eps: only a recognisable eps is named then
FLOAT32_SCALE = 1e-4
#: an eps (soft sign) or sqrt(eps) (smooth |w|) beyond this fraction of max|W| is not an eps
SMALL = 0.1


def _harmless_at_float32(case, value_shift: float, grad_error: float):
    """``(harmless, bound)``: is the effect below the float32 rounding bound of the case's input?"""
    f32 = float32_tolerance(case.W.astype(np.float32), case.axes)
    return abs(value_shift) <= f32.value_atol and grad_error <= f32.array_rtol, f32


def additive_eps(case, value: float, grad: np.ndarray) -> list:
    """``log(E + a)`` and/or ``log(sum|W| + b)``: the error is exactly ``c1 R1 + c2 R2``, ``c < 0``.

    With ``eps`` inside the logs the gradient is ``E/(E+a) R1 + S/(S+b) R2`` (``R1``, ``R2`` the
    energy and |W| terms of eq. D10), so ``grad - ref`` lies in the span of ``R1, R2`` with small
    negative coefficients, and the value is off by ``1/2 log(1 + a/E) - log(1 + b/S)``. Rounding
    noise (float32) is not in that span: this never fires on a precision problem.
    """
    R1, R2, E, S = reference_terms(case)
    err = grad - case.grad
    size = float(np.max(np.abs(err)))
    if not size > 1e-13 * float(np.max(np.abs(case.grad))):
        return []
    fit = term_coefficients(err, R1, R2)
    if fit is None:
        return []
    c1, c2 = fit
    resid = float(np.max(np.abs(err - (c1 * R1 + c2 * R2))))
    if resid > FIT * size:
        return []
    # a coefficient at the noise level of the fit is a term without eps: zero it
    c1, c2 = (0.0 if abs(c) * float(np.max(np.abs(R))) <= 2.0 * resid else c
              for c, R in ((c1, R1), (c2, R2)))
    if not (-EPS_MAX < c1 <= 0.0 and -EPS_MAX < c2 <= 0.0) or c1 == c2 == 0.0:
        return []
    a, b = -c1 * E / (1.0 + c1), -c2 * S / (1.0 + c2)
    pred = 0.5 * math.log1p(a / E) - math.log1p(b / S)
    if abs((value - case.value_nats) - pred) > 0.05 * abs(pred) + 10 * case.tolerance.value_atol:
        return []
    if case.tolerance.name == "float64" and max(a / E, b / S) <= FLOAT32_SCALE \
            and not _looks_like_an_eps(a, b):
        return []     # E and sum|W| rounded to float32 look the same: float32_precision decides
    where = []
    if a:
        where.append(f"log(E + eps) with eps ~ {a:.2g} (E = {E:.4g}, the energy (1/k) sum_a "
                     "||g_a||^2)")
    if b:
        where.append(f"log(sum|W| + eps) with eps ~ {b:.2g} (sum|W| = {S:.4g})")
    grad_effect = rel_error(grad, case.grad)
    harmless, f32 = _harmless_at_float32(case, pred, grad_effect)
    bound = (f"the float32 rounding bound of this input, {f32.value_atol:.1e} nats / "
             f"{f32.array_rtol:.1e}, profile='float32'")
    verdict = (f"Harmless at float32 training precision on this case (below {bound})" if harmless
               else f"NOT harmless at float32 training precision (above {bound})")
    return [Diagnosis("additive_eps", (
        f"an additive eps inside the logs: {' and '.join(where)}; it moves the value by "
        f"{num(pred, '+.2e')} nats and the gradient by {grad_effect:.1e} (relative). {verdict}. "
        "Its effect is eps/E and eps/sum|W|, so it grows as the weights shrink and breaks the "
        "scale invariance H_C(cW) = H_C(W). This is not a precision problem: remove the eps "
        "(H_C is defined wherever E > 0 and sum|W| > 0; test for those instead)"))]


def _round(x: float) -> bool:
    """``x`` is one digit times a power of ten (1e-8, 5e-7, ...), to 1e-3 relative."""
    m = x / 10.0 ** math.floor(math.log10(x))
    return abs(m - round(m)) <= 1e-3 * m


def _looks_like_an_eps(a: float, b: float) -> bool:
    """The same constant in both logs, or round constants: what people write, not rounding."""
    if a and b:
        return abs(a - b) <= 1e-3 * max(a, b) or (_round(a) and _round(b))
    return _round(a or b)


def _smooth_abs_variant(W, R1, eps):
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
    return eps if math.isfinite(eps) and 0.0 < math.sqrt(eps) <= SMALL * wb else None


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
    if not eps <= SMALL * float(np.max(np.abs(W))):    # larger: a missing or scaled term
        return []
    g = R1 - (W / (np.abs(W) + eps)) / S
    err = rel_error(grad, case.grad)
    if not rel_error(grad, g) <= FIT * err:
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
    shift, g = _smooth_abs_variant(W, R1, eps)
    err = rel_error(grad, case.grad)
    if not (rel_error(grad, g) <= FIT * err and abs(value - case.value_nats - shift) <= MATCH):
        return _soft_sign(case, value, grad, R1, S)
    harmless, f32 = _harmless_at_float32(case, shift, err)
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
