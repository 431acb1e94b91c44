"""One golden case of ``check(fn)``: call the port, judge what it returned, and what it did.

Besides the outputs (:func:`.compare.evaluate`), a case fails when the port changed the array it
was given (``input_mutated``), returned its gradient in another dtype than its input
(``grad_dtype``), returned the same outputs for a second input of the same shape
(``cached_by_shape``) or fails that second input (``second_input``, :mod:`.second_input`).
"""

from __future__ import annotations

import numpy as np

from .compare import evaluate
from .endings import case_call
from .outputs import BadOutput, outputs_from_return
from .results import ERROR, FAIL, PASS, SKIP, CaseResult, Diagnosis
from .second_input import WHAT, cached_by_shape, same_outputs, second_input, second_input_failed


def check_case(caller, case, loss: str, unit: str) -> CaseResult:
    """Call the port on one golden case (already under the profile) and judge it.

    Parameters
    ----------
    caller : entropy_ref.verify.calling.Caller
    case : entropy_ref.golden.GoldenCase
    loss, unit : str

    Returns
    -------
    CaseResult
    """
    res = CaseResult(case.name, str(case.W.dtype), case.shape, tolerance=case.tolerance)
    if not caller.with_axes and case.W.ndim != 2:
        res.status = SKIP
        res.skip_reason = (f"needs axes={case.axes}, and fn has no 'axes' parameter "
                           "(add one to verify N-D tensors)")
        return res
    call = caller(np.array(case.W), case.axes, case_call(case))
    if call.status == SKIP:
        res.status, res.skip_reason = SKIP, call.reason
        return res
    if call.status == ERROR:
        res.status = ERROR
        res.diagnoses.append(Diagnosis("errored", call.reason))
        return res
    try:
        outputs = outputs_from_return(call.returned, case)
    except BadOutput as exc:
        res.status = FAIL
        res.diagnoses.append(Diagnosis("bad_output", str(exc)))
        _flag(res, call.mutated and Diagnosis("input_mutated", call.mutated))
        return res
    res = evaluate(case, outputs, loss, unit)
    right = res.status == PASS             # the outputs, before what the port did besides
    _flag(res, call.mutated and Diagnosis("input_mutated", call.mutated))
    _flag(res, _dtype_diagnosis(case, outputs, res))
    if right:
        _second_input(caller, case, res, outputs, loss, unit)
    return res


def _flag(res: CaseResult, diagnosis) -> None:
    """Add ``diagnosis`` (once per name) and fail a passing case."""
    if diagnosis and diagnosis.name not in {d.name for d in res.diagnoses}:
        res.diagnoses.append(diagnosis)
        if res.status == PASS:
            res.status = FAIL


#: bits of the float dtypes a gradient may come back in
BITS = {"float64": 64, "float32": 32, "bfloat16": 16, "float16": 16}
#: diagnoses that already say the port computed in a lower precision than its input
PRECISION = {"float32_precision", "low_precision"}


def _dtype_diagnosis(case, outputs, res) -> Diagnosis | None:
    """``grad_dtype`` unless the dtypes agree, or a precision diagnosis already names the cause of
    a lower-precision gradient (a float32 port on a float64 case: ``float32_precision``)."""
    got, want = outputs.grad_dtype, str(case.W.dtype)
    if got is None or got == want:
        return None
    if BITS.get(got, 64) < BITS.get(want, 0) and PRECISION & {d.name for d in res.diagnoses}:
        return None
    return Diagnosis("grad_dtype", (
        f"the gradient is {got} for a {want} input: a training loop's {want} parameters would "
        f"receive a {got} gradient (and the port " + ("never computed in float32" if want ==
                                                      "float32" and got == "float64" else
                                                      f"did not compute in {want}") +
        "). Return the gradient in W.dtype, as autograd does: compute in W's dtype "
        "(torch.tensor(W) and jnp.asarray(W) keep it; no .double(), np.float64 or dtype= on "
        "the way in), or cast back with .to(dtype) / .astype(W.dtype)"))


def _second_input(caller, case, res: CaseResult, outputs, loss: str, unit: str) -> None:
    """Call the port on the case's second input (the case's outputs were right): the same outputs
    again (a cache by shape), or wrong outputs there."""
    other = second_input(case)
    call = caller(np.array(other.W), other.axes, case_call(case, second=True))
    _flag(res, call.mutated and Diagnosis("input_mutated", call.mutated))
    if call.status is not None:
        if res.status == PASS:
            res.status = ERROR
            res.diagnoses.append(Diagnosis("errored", f"on {WHAT}: {call.reason}"))
        return
    try:
        again = outputs_from_return(call.returned, other)
    except BadOutput as exc:
        _flag(res, Diagnosis("second_input", f"on {WHAT}: [bad_output] {exc}"))
        return
    if same_outputs(outputs, again):
        _flag(res, cached_by_shape())
        return
    if res.status == PASS:
        there = evaluate(other, again, loss, unit)
        if there.status != PASS:
            _flag(res, second_input_failed(there))
