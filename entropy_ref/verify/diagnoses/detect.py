"""Name the usual porting mistakes from how an implementation's outputs differ from a golden case.

Each diagnosis tests one exact relation between the outputs and the reference (a sign, a constant
offset of the value, errors confined to the boundary, ...). A relation counts when it holds to
:data:`.relations.MATCH` (1e-3: relative for arrays, absolute nats for values): loose enough to see
through float32 rounding, tight enough that no two candidates are confused: on every golden case the
distinct candidate offsets of the value are at least 0.01 nats apart (tested); where two
explanations give exactly the same offset (``log 2 = 1/2 log 4`` on the 2 x 2 case) the one with
fewer mistakes is named. The diagnoses assume one mistake at a time (a sign or unit error combined
with one other is also recognised); fix the first one named and re-run.

:func:`diagnose` runs the detectors of the sibling modules in a fixed order and reports the first
that fits. Names, causes, detection and fixes are listed in ``docs/diagnoses.md``.
"""

from __future__ import annotations

import numpy as np

from ... import golden
from ...gradcheck import rel_error
from ..results import Diagnosis
from .eps import additive_eps, smooth_abs
from .factors import factor_diagnoses, gradient_factor
from .kernels import numpy_gradient, one_component, other_kernel, padding
from .layout import memory_order, per_matrix, transposed, wrong_axes
from .relations import boundary_band, num
from .terms import gradient_terms, matrix_norm, sign_at_zero

#: marks a diagnosis produced by the safety net of :func:`diagnose` (the fuzz tests assert it never is)
INTERNAL_ERROR = "internal error of the diagnosis"


def diagnose(case, value: float, grad: np.ndarray, loss: str = "H_C", unit: str = "nats") -> list:
    """Diagnoses for a failing case (see :func:`_diagnose`); never raises, never warns.

    Whatever an implementation returned, the kit reports it: a diagnosis that itself fails (a bug
    of the kit) becomes ``unexplained`` with the exception in the message, marked
    :data:`INTERNAL_ERROR`.
    """
    try:
        with np.errstate(all="ignore"):
            return _diagnose(case, value, grad, loss, unit)
    except Exception as exc:  # noqa: BLE001 - the safety net; tests/test_verify_fuzz.py watches it
        return [Diagnosis("unexplained", f"no diagnosis ({INTERNAL_ERROR}: {type(exc).__name__}: "
                          f"{exc}); please report it")]


def _diagnose(case, value: float, grad: np.ndarray, loss: str = "H_C", unit: str = "nats") -> list:
    """Diagnoses for a failing case; ``value`` and ``grad`` already converted to ``H_C`` in nats.

    Parameters
    ----------
    case : entropy_ref.golden.GoldenCase
    value : float
        The implementation's value times ``sign(loss) * divisor(unit)``.
    grad : ndarray, shape of ``case.W``
        The implementation's gradient, converted the same way.
    loss, unit : str
        What was requested (only used to word the messages).

    Returns
    -------
    list of Diagnosis
        Never empty: ``unexplained`` when no known mistake fits.
    """
    found = (smooth_abs(case, value, grad)   # before float32: not precision issues
             or additive_eps(case, value, grad) or _float32_precision(case, value, grad))
    if found:
        return found
    scale = gradient_factor(grad, case.grad, unit, loss)
    if scale is not None:
        return factor_diagnoses(case, value, scale) or [_unexplained(case, value, grad)]
    tests = (other_kernel, numpy_gradient, lambda c, v, g: gradient_terms(c, v, g, unit),
             sign_at_zero, wrong_axes, one_component, matrix_norm, per_matrix, memory_order,
             padding, transposed)
    for test in tests:
        found = test(case, value, grad)
        if found:
            return found
    return [_unexplained(case, value, grad)]


def _float32_precision(case, value, grad) -> list:
    """A float64 case right only to the golden set's float32 tolerance, without structure."""
    H, G = case.value_nats, case.grad
    f32 = golden.TOLERANCES["float32"]
    if not (case.tolerance.name == "float64" and abs(value - H) <= f32.value_atol
            and rel_error(grad, G) <= f32.array_rtol):
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


def _unexplained(case, value, grad) -> Diagnosis:
    err = np.abs(grad - case.grad)
    worst = tuple(int(i) for i in np.unravel_index(int(np.argmax(err)), err.shape))
    on_edge = bool(boundary_band(case.shape, case.axes)[worst])
    return Diagnosis("unexplained", (
        f"no known single porting mistake explains this (value off by "
        f"{num(value - case.value_nats, '+.3e')} "
        f"nats; largest gradient error at index {worst}, {'on' if on_edge else 'off'} the boundary). "
        "Compare the Scharr components first: they isolate the operator from the logs"))
