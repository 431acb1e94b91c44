"""Detectors for structural porting mistakes (issue 9): each tests one exact relation.

Every detector takes the case and the implementation's outputs converted to ``H_C`` in nats and
returns a list of :class:`~.report.Diagnosis` (empty when its relation does not hold). They are
called in order by :func:`.diagnose.diagnose`; ``docs/diagnoses.md`` lists them with the wrong
ports (``tests/test_verify_diagnoses.py``) that trigger them.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from ..gradcheck import rel_error
from .profiles import float32_tolerance
from .relations import MATCH, close, num, reference_terms
from .report import Diagnosis
from .variant_grads import (EDGE_KERNELS, MATRIX_NORMS, SVD_MAX_SIZE, batch_axes,
                            kernel_components, kernel_variant, matrix_norm_variant,
                            numpy_gradient_variant, one_component_variant, per_matrix_variant,
                            reshape_variants)
from .variants import column_major_value

_SCHARR = "Scharr's [[3, 0, -3], [10, 0, -10], [3, 0, -3]] / 32"
#: a structured error fits the two gradient terms to this fraction of its size (float32 noise: ~1)
_FIT = 0.02
#: an additive eps whose relative effect exceeds this is a term scaling, not an eps
_EPS_MAX = 0.1
#: below this relative size, E or sum|W| merely rounded to float32 (a float32 sum in an otherwise
#: float64 port) produces the same structure as an eps: only a recognisable eps is named then
_FLOAT32_SCALE = 1e-4


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
    A = np.stack([R1.ravel(), R2.ravel()], axis=1)
    if np.linalg.matrix_rank(A) < 2:
        return []
    (c1, c2), *_ = np.linalg.lstsq(A, err.ravel(), rcond=None)
    resid = float(np.max(np.abs(err.ravel() - A @ [c1, c2])))
    if resid > _FIT * size:
        return []
    # a coefficient at the noise level of the fit is a term without eps: zero it
    c1, c2 = (0.0 if abs(c) * float(np.max(np.abs(R))) <= 2.0 * resid else c
              for c, R in ((c1, R1), (c2, R2)))
    if not (-_EPS_MAX < c1 <= 0.0 and -_EPS_MAX < c2 <= 0.0) or c1 == c2 == 0.0:
        return []
    a, b = -c1 * E / (1.0 + c1), -c2 * S / (1.0 + c2)
    pred = 0.5 * math.log1p(a / E) - math.log1p(b / S)
    if abs((value - case.value_nats) - pred) > 0.05 * abs(pred) + 10 * case.tolerance.value_atol:
        return []
    if case.tolerance.name == "float64" and max(a / E, b / S) <= _FLOAT32_SCALE \
            and not _looks_like_an_eps(a, b):
        return []     # E and sum|W| rounded to float32 look the same: float32_precision decides
    where = []
    if a:
        where.append(f"log(E + eps) with eps ~ {a:.2g} (E = {E:.4g}, the energy (1/k) sum_i "
                     "||G_i * W||^2)")
    if b:
        where.append(f"log(sum|W| + eps) with eps ~ {b:.2g} (sum|W| = {S:.4g})")
    grad_effect = rel_error(grad, case.grad)
    f32 = float32_tolerance(case.W.astype(np.float32), case.axes)
    harmless = abs(pred) <= f32.value_atol and grad_effect <= f32.array_rtol
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


def log_base_mixed(a: float, b: float, unit: str) -> list:
    """One gradient term scaled by a log-base factor (``1/ln 2``...) and the other not."""
    want = 1.0 if unit == "nats" else math.log(2.0)
    names = {math.e: "natural log", 2.0: "log2", 10.0: "log10"}
    for base, label in names.items():
        f = want / math.log(base)
        if abs(f - 1.0) < 10 * MATCH:
            continue
        factor = {2.0: "1/ln 2 = 1.4427", 10.0: "1/ln 10 = 0.4343", math.e: "ln 2 = 0.6931"}[base]
        for term, (x, y) in (("energy term 1/2 log(E)", (a, b)), ("|W| term -log(sum|W|)", (b, a))):
            if abs(x - f) < MATCH and abs(y - 1.0) < MATCH:
                return [Diagnosis("log_base_mixed", (
                    f"the gradient's {term} is {factor} x the reference and the other term is "
                    f"right: that term uses {label} while the rest uses "
                    f"{'natural logs' if unit == 'nats' else 'log2 (bits)'}. Use one log for "
                    f"both terms ({unit} requested)"))]
    return []


def other_kernel(case, value: float, grad: np.ndarray) -> list:
    """The gradient is that of ``H_C`` with Sobel / Prewitt / ... instead of Scharr."""
    for name, (smoothing, integer, norm) in EDGE_KERNELS.items():
        got = kernel_variant(case.W, case.axes, smoothing)
        if got is None or not close(grad, got[1]):
            continue
        delta = value - got[0]
        if abs(delta) <= MATCH:
            how = f"normalised as {integer} / {norm:g}"
        elif abs(delta - math.log(norm)) <= MATCH:
            how = f"unnormalised: {integer} without the 1/{norm:g}"
        else:
            how = f"scaled so that the value is off by {num(delta, '+.4f')} nats from {integer} / {norm:g}"
        return [Diagnosis("other_kernel", (
            f"the gradient is that of H_C computed with the {name} kernel ({how}) instead of "
            f"{_SCHARR}; use the Scharr kernel (the smoothing [3, 10, 3] / 16 across the "
            "difference [1, 0, -1] / 2)"))]
    return []


def numpy_gradient(case, value: float, grad: np.ndarray) -> list:
    """The gradient is that of ``H_C`` with ``np.gradient`` as the Scharr components."""
    got = numpy_gradient_variant(case.W, case.axes)
    if got is None or not close(grad, got[1]):
        return []
    delta, half = value - got[0], 0.5 * math.log(len(case.axes))
    if abs(delta) > MATCH and abs(delta - half) > MATCH:   # the energy over k, or without the 1/k
        return []
    return [Diagnosis("numpy_gradient", (
        "the gradient is that of H_C computed with np.gradient (central differences [1, 0, -1] "
        "/ 2 without smoothing, one-sided differences at the edges instead of zero padding"
        + ("" if abs(delta) <= MATCH else "; the energy's 1/k dropped too") + f") instead of "
        f"{_SCHARR} with zero padding: np.gradient is not the Scharr operator, use "
        "scipy.ndimage.convolve(W, G_x, mode='constant') (or conv2d with padding=1)"))]


def other_kernel_components(case, comps: dict) -> list:
    """Components that are, up to one factor and sign/order, those of another edge kernel."""
    W = case.W
    for name, (smoothing, integer, norm) in EDGE_KERNELS.items():
        ref = dict(zip(case.axes, kernel_components(W, case.axes, smoothing)))
        scales, signs = [], []
        for c in comps.values():
            fit = None
            for r in ref.values():
                rr = float(np.vdot(r, r))
                if c.shape != r.shape or rr == 0.0:
                    continue
                s = float(np.vdot(c, r)) / rr
                if s != 0.0 and close(c, s * r):
                    fit = abs(s)
                    signs.append(s < 0)
                    break
            scales.append(fit)
        if scales and all(s is not None for s in scales) and max(scales) <= min(scales) * (1 + MATCH):
            s = scales[0]
            how = (f"the integer kernel {integer} (no 1/{norm:g})" if abs(s / norm - 1) < MATCH
                   else f"{integer} / {norm / s:.4g}")
            negated = (" (negated, as cross-correlation gives: that part is harmless)"
                       if all(signs) else "")
            return [Diagnosis("other_kernel", (
                f"the components are those of the {name} kernel, {how}, instead of {_SCHARR}"
                f"{negated}"))]
    return []


def one_component(case, value: float, grad: np.ndarray) -> list:
    """The energy uses one component only (``g_x`` only, ...)."""
    k = len(case.axes)
    if k < 2:
        return []
    for index, axis in enumerate(case.axes):
        got = one_component_variant(case.W, case.axes, index)
        if got is None or not close(grad, got[1]):
            continue
        label = {1: "g_x (axis 1)", 0: "g_y (axis 0)"}.get(axis, f"axis {axis}") \
            if case.W.ndim == 2 else f"g_axis{axis} (the derivative along axis {axis})"
        delta = value - got[0]
        if abs(delta + 0.5 * math.log(k)) <= MATCH:
            extra = f"(with the 1/{k})"
        elif abs(delta) <= MATCH:
            extra = f"(without the 1/{k})"
        else:
            extra = f"(value off by a further {num(delta, '+.4f')} nats)"
        return [Diagnosis("one_component", (
            f"the energy uses the component {label} only {extra}: E must sum the squares of all "
            f"{k} components, (1/{k}) sum_i ||G_i * W||^2 (eq. 3)"))]
    return []


def matrix_norm(case, value: float, grad: np.ndarray) -> list:
    """``sum |W|`` computed with a matrix norm (induced 1-norm, Frobenius, ...)."""
    W = case.W.astype(np.float64)
    svd = np.linalg.svd(W, full_matrices=False) if W.ndim == 2 and W.size <= SVD_MAX_SIZE else None
    for ord_, what in MATRIX_NORMS.items():
        got = matrix_norm_variant(W, case.axes, ord_, svd=svd)
        if got is None or not close(grad, got[1]):
            continue
        return [Diagnosis("matrix_norm", (
            f"sum |W| was computed as {what}, not the entry-wise sum of |W| (value off by "
            f"{num(value - case.value_nats, '+.4f')} nats). Use W.abs().sum() (torch; or "
            "torch.linalg.vector_norm(W, ord=1)), jnp.abs(W).sum(), np.abs(W).sum()"))]
    return []


def per_matrix(case, value: float, grad: np.ndarray) -> list:
    """The value is the mean / sum over the batch of per-slice ``H_C``."""
    rest = batch_axes(case.shape, case.axes)
    if not rest:
        return []
    B = int(np.prod([case.shape[a] for a in rest]))
    for how in ("mean", "sum"):
        got = per_matrix_variant(case.W, case.axes, how)
        if got is None or not (close(grad, got[1]) or abs(value - got[0]) <= MATCH):
            continue
        return [Diagnosis("per_matrix", (
            f"the value is the {how} over the B = {B} slices (axes {rest}) of a per-slice H_C; "
            f"H_C of a tensor with axes={case.axes} is one value whose energy and sum|W| run over "
            "every entry. Compute E and sum|W| over the whole tensor, then take the logs once"))]
    return []


def _reshape_message(shape, want, what: str) -> str:
    if len(want) == 2:
        fix = ("use W.T (NumPy/JAX: W.T; torch: W.T or W.mT) and transpose the gradient back "
               "(grad.T)")
    else:
        fix = ("use a transpose (np.swapaxes / torch.transpose / W.mT for the last two axes) and "
               "transpose the gradient back")
    return (f"{what} is H_C of W.reshape{shape} (the same memory read with the sizes of the chosen "
            f"axes swapped), not of W {want}: a reshape keeps the memory order and is not a "
            f"transpose (equivalently, a column-major reader). If your port needs the other "
            f"layout, {fix}; H_C(W.T) = H_C(W), so nothing else changes")


def memory_order(case, value: float, grad: np.ndarray) -> list:
    """``W.reshape`` with swapped sizes used as a transpose, or a column-major reading of W."""
    for shape, v, g in reshape_variants(case.W, case.axes):
        if abs(value - v) <= MATCH or close(grad, g.reshape(case.shape)):
            return [Diagnosis("memory_order", _reshape_message(shape, case.shape, "the value"))]
    v = column_major_value(case.W, case.axes)
    if v is not None and abs(value - v) <= MATCH:
        return [Diagnosis("memory_order", (
            "the value matches H_C of W read in column-major (Fortran) order: the .npz/.json data "
            "is row-major (C order); read it as such, or reverse the shape and transpose"))]
    return []


def shape_diagnosis(case, what: str, arr, value: float) -> Diagnosis:
    """Name an output of the wrong shape: reshaped (memory order), transposed, or just wrong.

    Parameters
    ----------
    case : GoldenCase
    what : str
        ``"the gradient"``...
    arr : ndarray
        The output, already converted to ``H_C`` in nats (its shape differs from ``case.shape``).
    value : float
        The implementation's value, converted the same way.
    """
    arr = np.asarray(arr, dtype=np.float64)
    got, want = arr.shape, tuple(case.shape)
    if got != want and len(got) == len(want) and math.isfinite(value):
        for shape, v, g in reshape_variants(case.W, case.axes):
            if shape == got and (close(arr, g) or abs(value - v) <= MATCH):
                return Diagnosis("memory_order", f"{what} has shape {got}: "
                                 + _reshape_message(shape, want, "your result"))
    if sorted(got) == sorted(want) and len(got) == len(want):
        for perm in itertools.permutations(range(len(want))):
            if tuple(want[p] for p in perm) != got or perm == tuple(range(len(want))):
                continue
            back = tuple(int(i) for i in np.argsort(perm))
            if close(np.transpose(arr, back), case.grad):
                fix = "grad.T" if len(want) == 2 else f"np.transpose(grad, {back})"
                return Diagnosis("transposed", (
                    f"{what} has shape {got}, the shape of W {want} with axes permuted by {perm}"
                    f"{' (W.T)' if len(want) == 2 else ''}; once permuted back it matches the "
                    f"reference, so only the layout is wrong: return it in W's layout ({fix})"))
        return Diagnosis("shape_mismatch", (
            f"{what} has shape {got}, W's shape {want} with axes permuted, but permuting it back "
            "does not give the reference either: the values are wrong as well"))
    return Diagnosis("shape_mismatch", f"{what} has shape {got}; expected W's shape {want}")
