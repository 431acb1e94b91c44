"""Compare one implementation's outputs with one golden case: errors, pass/fail, then diagnoses."""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import permutations

import numpy as np

from .quiet import quiet_arithmetic
from ..gradcheck import rel_error
from .components import diagnose_components
from .diagnose import diagnose
from .mistakes import shape_diagnosis   # reshaped (memory order) vs transposed vs wrong (C2)
from .report import FAIL, PASS, CaseResult, Diagnosis


@dataclass
class Outputs:
    """What an implementation returned for one case.

    Attributes
    ----------
    value : float
    grad : ndarray
    components : dict of int -> ndarray, or None
        Scharr component differentiating each axis (``{1: g_x, 0: g_y}`` for a matrix).
    """

    value: float
    grad: np.ndarray
    components: dict | None = None


def components_by_axis(components, axes, where: str = "components") -> dict:
    """Turn components given as a sequence (in the order of ``axes``) or a dict into ``{axis: array}``.

    Examples
    --------
    >>> sorted(components_by_axis((np.zeros(2), np.ones(2)), (1, 0)))
    [0, 1]
    """
    if isinstance(components, dict):
        unknown = [a for a in components if a not in axes]
        if unknown:
            raise ValueError(f"{where}: component axes {unknown} are not among the case's axes {axes}")
        return {int(a): np.asarray(c) for a, c in components.items()}
    comps = list(components)
    if len(comps) != len(axes):
        raise ValueError(f"{where}: expected {len(axes)} components (one per axis of {axes}, in that "
                         f"order), got {len(comps)}")
    return {a: np.asarray(c) for a, c in zip(axes, comps)}


def _shape_diagnosis(what: str, got: tuple, want: tuple, fix=None) -> Diagnosis:
    """Name a shape mismatch; a permutation of the axes is a transposed / swapped-axes result."""
    for perm in permutations(range(len(want))):
        if perm != tuple(range(len(want))) and tuple(want[p] for p in perm) == got:
            msg = (f"{what} has shape {got}, the shape of W {want} with axes permuted by {perm}"
                   f"{' (W.T)' if len(want) == 2 else ''}: it is returned transposed / with swapped "
                   "axes (e.g. computed on W.T, or a column-major reader/writer)")
            if fix is not None and fix(perm):
                msg += "; once permuted back it matches the reference, so only the layout is wrong"
            return Diagnosis("transposed", msg)
    return Diagnosis("shape_mismatch", f"{what} has shape {got}; expected W's shape {want}")


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
    sign = 1.0 if loss == "H_C" else -1.0
    tol = case.tolerance
    res = CaseResult(case.name, str(case.W.dtype), case.shape, tolerance=tol)
    value = float(outputs.value)
    grad = np.asarray(outputs.grad, dtype=np.float64)
    comps = outputs.components

    arrays = [("gradient", grad)] + [(f"component g_axis{a}", c) for a, c in (comps or {}).items()]
    bad = [name for name, a in arrays if not np.all(np.isfinite(a))]
    if not math.isfinite(value):
        bad.insert(0, "value")
    if bad:
        res.status = FAIL
        res.diagnoses.append(Diagnosis("non_finite", f"non-finite (NaN or inf) output in: "
                                       f"{', '.join(bad)}; H_C is finite on every golden case"))
        return res

    res.value_abs = abs(value - want_v)
    res.value_rel = res.value_abs / abs(want_v) if want_v else None
    value_ok = res.value_abs * divisor <= tol.value_atol
    to_hc = sign * divisor   # multiplies the implementation's outputs into H_C in nats

    if grad.shape != case.shape:
        res.status = FAIL
        res.diagnoses.append(shape_diagnosis(case, "the gradient", to_hc * grad, to_hc * value))
        return res
    res.grad_abs = float(np.max(np.abs(grad - want_g)))
    res.grad_rel = rel_error(grad, want_g)
    grad_ok = res.grad_rel <= tol.array_rtol

    comps_ok = True
    if comps is not None:
        if case.components is None:
            res.notes.append("the golden set stores no Scharr components for this case (size); "
                             "yours were not checked")
        else:
            for a, c in comps.items():
                if c.shape != case.shape:
                    res.status = FAIL
                    res.diagnoses.append(_shape_diagnosis(f"component g_axis{a}", c.shape, case.shape))
                    return res
            res.comp_rel = max(rel_error(c, case.components[a]) for a, c in comps.items())
            comps_ok = res.comp_rel <= getattr(tol, "component_rtol", tol.array_rtol)

    if not (value_ok and grad_ok):
        res.diagnoses += diagnose(case, to_hc * value, to_hc * grad, loss=loss, unit=unit)
    if not comps_ok:
        found = diagnose_components(case, {a: np.asarray(c, dtype=np.float64)
                                           for a, c in comps.items()})
        res.diagnoses += found
        # a harmless convention (correlation, swapped or negated directions) leaves H_C and its
        # gradient unchanged: the case passes, and the note says what differs
        comps_ok = bool(found) and all(d.harmless for d in found)
    res.status = PASS if (value_ok and grad_ok and comps_ok) else FAIL
    return res
