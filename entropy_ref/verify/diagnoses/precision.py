"""Precision: a float64 case right only to float32 precision, a value right to float64 precision
with an inexact gradient, and errors of the size of float16 / bfloat16 rounding.

The errors of a precision problem have no structure, so these detectors decide by size:
``float32_precision`` by the golden set's float32 tolerance, ``inexact_gradient`` by a value
right to the float64 tolerance, ``low_precision`` by comparison with a simulation on the case's
own input (W and the Scharr components rounded to 11 significant bits, as float16 and TF32 do, or
to 8, as bfloat16 does; the sums exact). ``docs/diagnoses.md`` ("Precision") lists the names.
"""

from __future__ import annotations

import math

import numpy as np

from ... import golden
from ...gradcheck import rel_error
from ...scharr import scharr_gradient, scharr_gradient_adjoint
from ..results import Diagnosis
from .relations import global_factor, num

#: the formats of :func:`low_precision`: (name, significant bits, float16's range)
FORMATS = (("float16 (or TF32, the same 11 significant bits)", 11, True),
           ("bfloat16 (8 significant bits)", 8, False))
#: an error fits a format when it is at most this many times the simulated one
FIT_FACTOR = 10.0
#: below this, a value error is rounding of the final float32 arithmetic, whatever the format
VALUE_FLOOR = 1e-6

F64, F32 = golden.TOLERANCES["float64"], golden.TOLERANCES["float32"]


def value_exact(case, value: float) -> bool:
    """The value is right to the float64 tolerance (1e-10 nats)."""
    return abs(value - case.value_nats) <= F64.value_atol


def float32_precision(case, value, grad) -> list:
    """A float64 case right only to the golden set's float32 tolerance, value and gradient alike."""
    H, G = case.value_nats, case.grad
    if not (case.tolerance.name == "float64" and not value_exact(case, value)
            and abs(value - H) <= F32.value_atol and rel_error(grad, G) <= F32.array_rtol):
        return []
    return [Diagnosis("float32_precision", (
        f"agrees to float32 precision only (value error {abs(value - H):.1e}, gradient "
        f"{rel_error(grad, G):.1e}) on a float64 case: part of the computation runs in float32 "
        "(a float32 kernel or constant, e.g. torch.tensor(kernel) defaults to float32, a cast, "
        "or a float32 default dtype). The two usual causes: JAX computes in float32 unless "
        "jax.config.update('jax_enable_x64', True) runs before any array is created; PyTorch "
        "creates float32 tensors unless told otherwise (torch.set_default_dtype(torch.float64) "
        "or dtype=torch.float64). A port meant for float32 is certified with "
        "profile='float32' (CLI: --profile float32)"))]


def inexact_gradient(case, value, grad) -> list:
    """The value is right to float64 precision, the gradient is not (and no structure fits)."""
    if not value_exact(case, value):
        return []
    err = rel_error(grad, case.grad)
    alpha = global_factor(grad, case.grad)
    scaled = (f" (it is {num(alpha, '.3f')} x the reference: a constant factor on the whole "
              "gradient)" if alpha is not None else "")
    return [Diagnosis("inexact_gradient", (
        f"the value is right to float64 precision but the gradient is off by {err:.1e} "
        f"(max-norm relative){scaled} without the structure of a catalogued mistake: value and "
        "gradient do "
        "not come from the same exact computation. Usual causes: a gradient by finite "
        "differences (its error grows with the step squared, and a step larger than |w| crosses "
        "the kink of |w| at 0), a backward pass in lower precision than the forward one, or a "
        "hand-written backward pass with an uncatalogued mistake. Compute it analytically "
        "(autograd, or eq. D10 of docs/derivation.md); the property check "
        "prop_finite_differences compares a gradient with central differences of fn's own "
        "value"))]


def _rounded(x, bits: int, half_range: bool) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if half_range:
        with np.errstate(all="ignore"):
            return x.astype(np.float16).astype(np.float64)
    m, e = np.frexp(x)
    return np.ldexp(np.round(m * 2.0 ** bits) / 2.0 ** bits, e)


def simulated_errors(case, bits: int, half_range: bool):
    """``(value error, gradient error)`` of ``H_C`` with W, the components and the energy term of
    the gradient rounded to ``bits`` significant bits (float16's range if ``half_range``);
    None where that computation is undefined."""
    axes, k = case.axes, len(case.axes)
    W = _rounded(case.W, bits, half_range)
    comps = [_rounded(c, bits, half_range) for c in scharr_gradient(W, axes)]
    E = sum(float(np.vdot(c, c)) for c in comps) / k
    S = float(np.abs(W).sum())
    if not (E > 0.0 and S > 0.0 and math.isfinite(E)):
        return None
    grad = _rounded(scharr_gradient_adjoint(comps, axes) / (k * E), bits, half_range) - np.sign(
        W) / S
    if not np.all(np.isfinite(grad)):
        return None
    return abs(0.5 * math.log(E) - math.log(S) - case.value_nats), rel_error(grad, case.grad)


def low_precision(case, value, grad) -> list:
    """Value and gradient errors of the size that rounding to float16 or bfloat16 produces here
    (the gradient's within a factor of :data:`FIT_FACTOR` of the simulated one, either way; the
    value's at most that factor above it), beyond the case's tolerance, not a constant factor."""
    ve, ge = abs(value - case.value_nats), rel_error(grad, case.grad)
    if not (ge > case.tolerance.array_rtol or ve > case.tolerance.value_atol) or global_factor(
            grad, case.grad) is not None:
        return []
    best = None
    for name, bits, half in FORMATS:
        sim = simulated_errors(case, bits, half)
        if sim is None or not (ve <= FIT_FACTOR * sim[0] + VALUE_FLOOR
                               and sim[1] <= FIT_FACTOR * ge <= FIT_FACTOR ** 2 * sim[1]):
            continue
        distance = abs(math.log(max(ge, 1e-300) / max(sim[1], 1e-300)))
        if best is None or distance < best[0]:
            best = (distance, name, sim)
    if best is None:
        return []
    _, name, (sv, sg) = best
    return [Diagnosis("low_precision", (
        f"value error {ve:.1e} nats, gradient {ge:.1e} (max-norm relative): beyond float32 "
        f"rounding, without the structure of a catalogued mistake, and of the size of "
        f"{name} rounding (W and the Scharr components rounded to it give {sv:.1e} and {sg:.1e} "
        "on this case). Reduced precision somewhere: torch.autocast, .half() / .bfloat16(), "
        "jnp.bfloat16, or TF32 convolutions on NVIDIA GPUs (torch.backends.cudnn.allow_tf32). "
        "Compute H_C and its gradient in float32 or float64 (under autocast: "
        "torch.autocast(..., enabled=False) around it)"))]
