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

from ..results import Diagnosis
from .eps import additive_eps, smooth_abs
from .factors import factor_diagnoses, gradient_factor
from .kernels import numpy_gradient, one_component, other_kernel, padding
from .layout import memory_order, per_matrix, transposed, wrong_axes
from .precision import float32_precision, inexact_gradient, low_precision
from .relations import boundary_band, global_factor, num
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
             or additive_eps(case, value, grad) or float32_precision(case, value, grad))
    if found:
        return found
    scale = gradient_factor(grad, case.grad, unit, loss)
    if scale is not None:
        return factor_diagnoses(case, value, scale, grad) or [_unexplained(case, value, grad)]
    tests = (other_kernel, numpy_gradient, lambda c, v, g: gradient_terms(c, v, g, unit),
             sign_at_zero, wrong_axes, one_component, matrix_norm, per_matrix, memory_order,
             padding, transposed)
    for test in tests:
        found = test(case, value, grad)
        if found:
            return found
    return (low_precision(case, value, grad) or inexact_gradient(case, value, grad)
            or [_unexplained(case, value, grad)])


def _unexplained(case, value, grad) -> Diagnosis:
    err = np.abs(grad - case.grad)
    worst = tuple(int(i) for i in np.unravel_index(int(np.argmax(err)), err.shape))
    on_edge = bool(boundary_band(case.shape, case.axes)[worst])
    alpha = global_factor(grad, case.grad)
    scaled = (f"; the gradient is {num(alpha, '.3f')} x the reference, a constant factor on the "
              "whole gradient" if alpha is not None else "")
    return Diagnosis("unexplained", (
        f"no known single porting mistake explains this (value off by "
        f"{num(value - case.value_nats, '+.3e')} "
        f"nats; largest gradient error at index {worst}, {'on' if on_edge else 'off'} the "
        f"boundary{scaled}). Compare the Scharr components first: they isolate the operator "
        "from the logs"))
