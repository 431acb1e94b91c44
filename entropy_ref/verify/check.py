"""``check(fn)``: run a user's ``H_C`` implementation on every golden case it can take."""

from __future__ import annotations

import inspect

import numpy as np

from .. import golden
from .compare import evaluate
from .outputs import outputs_from_return   # validation of fn's return value (C2)
from .report import FAIL, SKIP, CaseResult, Diagnosis, Report


def accepts_axes(fn) -> bool:
    """True if ``fn`` can be called as ``fn(W, axes=...)`` (a parameter ``axes`` or ``**kwargs``).

    Examples
    --------
    >>> accepts_axes(lambda W, axes=None: 0), accepts_axes(lambda W: 0)
    (True, False)
    """
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):   # builtins without a signature
        return False
    return any(p.kind is p.VAR_KEYWORD or (p.name == "axes" and p.kind is not p.POSITIONAL_ONLY)
               for p in params)


def _name(fn) -> str:
    return getattr(fn, "__qualname__", None) or type(fn).__name__


def check(fn, loss: str = "H_C", cases=None, *, unit: str = "nats", skip_on=Exception,
          golden_set=None) -> Report:
    """Verify an implementation ``fn(W) -> (value, grad)`` against the golden vectors.

    Parameters
    ----------
    fn : callable
        ``fn(W)`` returns ``(value, grad)`` (or ``(value, grad, components)`` to also check the
        Scharr components, in the order of the case's axes: ``(g_x, g_y)`` for a matrix). ``W`` is
        a fresh writable NumPy array of the case's dtype; return anything ``np.asarray`` accepts.
        If ``fn`` has an ``axes`` parameter (or ``**kwargs``) it is called as
        ``fn(W, axes=case.axes)`` on every case (``(1, 0)`` for matrices, ``(2, 3)`` for the conv
        tensor...); otherwise it is called as ``fn(W)`` on the matrix cases only and the N-D cases
        are skipped.
    loss : {"H_C", "l_C"}
        What ``fn`` computes: ``H_C`` (eq. 3 right-hand side) or the paper's ``l_C = -H_C``.
    cases : str or iterable of str, optional
        Case names or ``fnmatch`` patterns (``"lenet300_*"``); default every case.
    unit : {"nats", "bits"}
    skip_on : exception type or tuple of them
        Exceptions from ``fn`` that mean "this case is not supported": the case is reported as
        skipped with the message. Default ``Exception`` (any); pass ``NotImplementedError`` to let
        every other exception propagate.
    golden_set : entropy_ref.golden.GoldenSet, optional
        Default :func:`entropy_ref.golden.load`.

    Returns
    -------
    Report
        ``report.ok`` is True when every attempted case passes (and at least one was attempted);
        ``print(report)`` shows the table and the diagnoses.

    Examples
    --------
    >>> import entropy_ref
    >>> report = check(entropy_ref.configuration_entropy_grad)
    >>> report.ok, len(report.passed), report.skipped
    (True, 15, [])
    >>> check(entropy_ref.sparsity_loss_grad, cases="tiny_*").diagnosis_names()
    {'sign_flipped'}
    >>> check(entropy_ref.sparsity_loss_grad, loss="l_C", cases="tiny_*").ok
    True
    """
    gs = golden_set if golden_set is not None else golden.load()
    if loss not in golden.LOSSES:
        raise ValueError(f"loss must be one of {golden.LOSSES}, got {loss!r}")
    if unit not in ("nats", "bits"):
        raise ValueError(f"unit must be 'nats' or 'bits', got {unit!r}")
    with_axes = accepts_axes(fn)
    results = []
    for case in gs.select(cases):
        res = CaseResult(case.name, str(case.W.dtype), case.shape, tolerance=case.tolerance)
        if not with_axes and case.W.ndim != 2:
            res.status = SKIP
            res.skip_reason = (f"needs axes={case.axes}, and fn has no 'axes' parameter "
                               "(add one to verify N-D tensors)")
            results.append(res)
            continue
        W = np.array(case.W)   # a private writable copy: fn may modify it
        try:
            returned = fn(W, axes=case.axes) if with_axes else fn(W)
        except skip_on as exc:
            res.status = SKIP
            res.skip_reason = f"fn raised {type(exc).__name__}: {exc}"
            results.append(res)
            continue
        try:
            outputs = outputs_from_return(returned, case)
        except ValueError as exc:
            res.status = FAIL
            res.diagnoses.append(Diagnosis("bad_output", str(exc)))
            results.append(res)
            continue
        results.append(evaluate(case, outputs, loss, unit))
    return Report(results, loss=loss, unit=unit, version=gs.version, source=_name(fn))
