"""Compare one implementation's outputs with one golden case: errors, pass/fail, then diagnoses."""

from __future__ import annotations

import math

import numpy as np

from ..gradcheck import rel_error
from .diagnoses import component_shape_diagnosis, diagnose, diagnose_components, shape_diagnosis
from .outputs import Outputs
from .quiet import quiet_arithmetic
from .results import FAIL, PASS, CaseResult, Diagnosis


@quiet_arithmetic
def evaluate(case, outputs: Outputs, loss: str = "H_C", unit: str = "nats") -> CaseResult:
    """Errors, verdict and diagnoses of ``outputs`` on the golden ``case``.

    Parameters
    ----------
    case : entropy_ref.golden.GoldenCase
    outputs : Outputs
    loss : {"H_C", "l_C"}
    unit : {"nats", "bits"}

    Returns
    -------
    CaseResult

    Examples
    --------
    >>> from entropy_ref import golden
    >>> case = golden.load()["tiny_2x2_f64"]
    >>> evaluate(case, Outputs(-case.value_nats, -case.grad), loss="l_C").status
    'pass'
    """
    want_v, want_g = case.expected(loss, unit)
    divisor = 1.0 if unit == "nats" else math.log(2.0)
    to_hc = (1.0 if loss == "H_C" else -1.0) * divisor   # the outputs times this are H_C in nats
    tol = case.tolerance
    res = CaseResult(case.name, str(case.W.dtype), case.shape, tolerance=tol)
    value = float(outputs.value)
    grad = np.asarray(outputs.grad, dtype=np.float64)
    comps = outputs.components
    found = _non_finite(value, grad, comps)
    if found:
        return _failed(res, found)
    res.value_abs = abs(value - want_v)
    res.value_rel = res.value_abs / abs(want_v) if want_v else None
    if grad.shape != case.shape:
        return _failed(res, shape_diagnosis(case, "the gradient", to_hc * grad, to_hc * value))
    res.grad_abs = float(np.max(np.abs(grad - want_g)))
    res.grad_rel = rel_error(grad, want_g)
    found = _component_shape(case, comps)
    if found:
        return _failed(res, found)
    value_ok = res.value_abs * divisor <= tol.value_atol
    grad_ok = res.grad_rel <= tol.array_rtol
    comps_ok, comp_diagnoses = _compare_components(case, comps, res)
    if not (value_ok and grad_ok):
        res.diagnoses += diagnose(case, to_hc * value, to_hc * grad, loss=loss, unit=unit)
    res.diagnoses += comp_diagnoses
    res.status = PASS if (value_ok and grad_ok and comps_ok) else FAIL
    return res


def _failed(res: CaseResult, diagnosis: Diagnosis) -> CaseResult:
    res.status = FAIL
    res.diagnoses.append(diagnosis)
    return res


def _non_finite(value: float, grad: np.ndarray, comps) -> Diagnosis | None:
    """``non_finite`` when any output holds NaN or inf."""
    arrays = [("gradient", grad)] + [(f"component g_axis{a}", c) for a, c in (comps or {}).items()]
    bad = [name for name, a in arrays if not np.all(np.isfinite(a))]
    if not math.isfinite(value):
        bad.insert(0, "value")
    if not bad:
        return None
    return Diagnosis("non_finite", f"non-finite (NaN or inf) output in: {', '.join(bad)}; H_C is "
                     "finite on every golden case")


def _component_shape(case, comps) -> Diagnosis | None:
    """A diagnosis for the first component whose shape is not W's (when the case stores them)."""
    if comps is not None and case.components is not None:
        for a, c in comps.items():
            if c.shape != case.shape:
                return component_shape_diagnosis(f"component g_axis{a}", c.shape, case.shape)
    return None


def _compare_components(case, comps, res: CaseResult) -> tuple[bool, list]:
    """``(ok, diagnoses)`` of the Scharr components, their error recorded in ``res``.

    A harmless convention (correlation, swapped or negated directions) leaves ``H_C`` and its
    gradient unchanged: the components are then ok, and the diagnosis is a note on what differs.
    """
    if comps is None:
        return True, []
    if case.components is None:
        res.notes.append("the golden set stores no Scharr components for this case (size); "
                         "yours were not checked")
        return True, []
    tol = case.tolerance
    res.comp_rel = max(rel_error(c, case.components[a]) for a, c in comps.items())
    if res.comp_rel <= getattr(tol, "component_rtol", tol.array_rtol):
        return True, []
    found = diagnose_components(case, {a: np.asarray(c, dtype=np.float64) for a, c in comps.items()})
    return bool(found) and all(d.harmless for d in found), found
