"""``check(fn)``: run a user's ``H_C`` implementation on every golden case it can take."""

from __future__ import annotations

import inspect
import traceback

import numpy as np

from .. import golden
from .compare import evaluate
from .outputs import outputs_from_return   # validation of fn's return value (C2)
from .profiles import case_for_profile, validate_profile
from .quiet import caller_errstate, quiet_arithmetic
from .report import ERROR, FAIL, SKIP, CaseResult, Diagnosis, Report


class Unsupported(NotImplementedError):
    """Raise it from ``fn`` for an input your implementation does not support: the case is skipped.

    Any ``NotImplementedError`` means the same. Every other exception fails the case as
    ``errored`` (the report shows its type, message and last frame), unless ``check`` is told
    otherwise with ``skip_on``.
    """


def describe_exception(exc: BaseException) -> str:
    """``"Type: message (at file:line in function: code)"`` for the report; one line.

    Examples
    --------
    >>> try:
    ...     1 / 0
    ... except ZeroDivisionError as exc:
    ...     describe_exception(exc).split(" (at ")[0]
    'ZeroDivisionError: division by zero'
    """
    text = f"{type(exc).__name__}: {exc}".strip().rstrip(":")
    text = " ".join(text.split())
    frames = traceback.extract_tb(exc.__traceback__)
    if frames:
        f = frames[-1]
        text += f" (at {f.filename}:{f.lineno} in {f.name}" + (f": {f.line.strip()})" if f.line else ")")
    return text


def call_fn(fn, W, axes, with_axes: bool, skip_on):
    """Call ``fn`` on ``W``: ``(returned, None, None)``, or ``(None, status, reason)`` when it raised.

    ``status`` is ``SKIP`` for an exception in ``skip_on`` and ``ERROR`` for any other
    ``Exception`` or ``SystemExit`` (``KeyboardInterrupt`` propagates). ``fn`` runs under the caller's
    NumPy error state (see :func:`quiet_arithmetic`).
    """
    try:
        with np.errstate(**caller_errstate()):
            return (fn(W, axes=axes) if with_axes else fn(W)), None, None
    except skip_on as exc:
        return None, SKIP, f"fn raised {type(exc).__name__}: {exc}"
    except SystemExit as exc:   # not a verdict: sys.exit(0) must not end a run as a success
        return None, ERROR, f"fn called sys.exit({exc.code!r}) ({describe_exception(exc)})"
    except Exception as exc:  # noqa: BLE001 - a crash of fn is a failure of the case, not of check
        tb = exc.__traceback__
        if isinstance(exc, TypeError) and tb is not None and tb.tb_next is None:
            call = f"fn(W, axes={axes})" if with_axes else "fn(W)"   # the call itself failed
            return None, ERROR, (f"fn cannot be called as {call}: {exc}; the kit calls fn(W), "
                                 "or fn(W, axes=...) when fn has an 'axes' parameter")
        return None, ERROR, f"fn raised {describe_exception(exc)}"


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


def _patterns(name, x):
    """``x`` (None, a pattern or an iterable of them) as None, a str or a tuple; else TypeError."""
    if x is None or isinstance(x, str):
        return x
    if hasattr(x, "__iter__") and not isinstance(x, (bytes, dict)):
        x = tuple(x)                  # a generator is read once, here
        if all(isinstance(p, str) for p in x):
            return x
    raise TypeError(f"{name} must be a case name or pattern, or a list of them; got "
                    f"{type(x).__name__}")


def select_cases(gs, cases, exclude) -> list:
    """The golden cases matching ``cases`` minus those matching ``exclude``; never empty."""
    excluded = {c.name for c in gs.select(exclude)} if exclude is not None else set()
    chosen = [c for c in gs.select(cases) if c.name not in excluded]
    if not chosen:
        raise ValueError(f"the selection leaves no case to check: no golden case matches "
                         f"cases={cases!r} minus exclude={exclude!r}")
    return chosen


def golden_set_from(golden_set):
    """The :class:`~entropy_ref.golden.GoldenSet` to check against: given, a version, or the default."""
    if golden_set is None or isinstance(golden_set, golden.GoldenSet):
        return golden_set if golden_set is not None else golden.load()
    if isinstance(golden_set, (int, str)) and not isinstance(golden_set, bool):
        return golden.load(golden_set)
    raise TypeError(f"golden_set must be a GoldenSet or a version (1, 2, 'v1'); got "
                    f"{type(golden_set).__name__}")


def _validate(fn, cases, exclude, skip_on, properties, seed) -> None:
    """One-line errors for arguments of :func:`check` that would otherwise fail deep inside."""
    if not callable(fn):
        raise TypeError(f"fn must be callable, fn(W[, axes]) -> (value, grad); got "
                        f"{type(fn).__name__}")
    kinds = skip_on if isinstance(skip_on, tuple) else (skip_on,)
    if not kinds or not all(isinstance(k, type) and issubclass(k, BaseException) for k in kinds):
        raise TypeError(f"skip_on must be an exception class or a tuple of them (e.g. "
                        f"NotImplementedError); got {skip_on!r}")
    if not isinstance(properties, bool):
        raise TypeError(f"properties must be True or False, got {properties!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")


def validate_loss_unit_profile(loss, unit, profile) -> None:
    """One-line ``ValueError`` for an unknown ``loss``, ``unit`` or ``profile``."""
    validate_profile(profile)
    if loss not in golden.LOSSES:
        raise ValueError(f"loss must be one of {golden.LOSSES}, got {loss!r}")
    if unit not in ("nats", "bits"):
        raise ValueError(f"unit must be 'nats' or 'bits', got {unit!r}")


@quiet_arithmetic
def check(fn, loss: str = "H_C", cases=None, *, unit: str = "nats", profile: str = "float64",
          exclude=None, skip_on=NotImplementedError, properties: bool = True, seed: int = 0,
          golden_set=None) -> Report:
    """Verify an implementation ``fn(W) -> (value, grad)`` against the golden vectors.

    Parameters
    ----------
    fn : callable
        ``fn(W)`` returns ``(value, grad)`` (or ``(value, grad, components)`` to also check the
        Scharr components, in the order of the case's axes: ``(g_x, g_y)`` for a matrix). ``W`` is
        a fresh writable NumPy array of the case's dtype (float32 under ``profile="float32"``);
        return NumPy arrays, scalars, torch tensors (detached for you) or JAX arrays.
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
        skipped with the message. Default ``NotImplementedError`` (which includes
        :class:`Unsupported`): strict, every other exception fails its case as ``errored``, shown
        with its type, message and last frame. ``skip_on=Exception`` is the lenient opt-in (every
        crash becomes a skip); a run that skips more than half of the cases it was not explicitly
        asked for is still not ok.
    profile : {"float64", "float32"}
        ``"float64"`` (default): each case in its dtype at the golden set's tolerance.
        ``"float32"``: every input cast to float32 before ``fn`` sees it, judged at the float32
        rounding bound of that input (:mod:`entropy_ref.verify.profiles`, ``docs/verifying.md``).
    exclude : str or iterable of str, optional
        Case names or patterns to leave out (after ``cases``).
    properties : bool
        After the golden cases, check properties of ``fn`` at seeded random shapes and scales
        (:mod:`entropy_ref.verify.properties`): value and gradient against the reference, scale
        invariance, the Euler identity, homogeneity of the gradient, and the gradient against
        finite differences of ``fn``'s own value. ``False`` turns them off.
    seed : int
        Seed of the property checks' shapes, scales and directions (repeatable).
    golden_set : entropy_ref.golden.GoldenSet or int or str, optional
        The golden set, or its version (``1``, ``"v1"``); default :func:`entropy_ref.golden.load`.

    Returns
    -------
    Report
        ``report.ok`` is True when no case failed or errored, no property failed, at least one case
        was attempted, and (unless ``cases`` was given) at most half were skipped;
        ``print(report)`` shows the table, the diagnoses and the counts.

    Examples
    --------
    >>> import entropy_ref
    >>> report = check(entropy_ref.configuration_entropy_grad)
    >>> report.ok, len(report.passed) == len(golden.load()), report.skipped
    (True, True, [])
    >>> check(entropy_ref.sparsity_loss_grad, cases="tiny_*").diagnosis_names()
    {'sign_flipped'}
    >>> check(entropy_ref.sparsity_loss_grad, loss="l_C", cases="tiny_*").ok
    True
    """
    gs = golden_set_from(golden_set)
    cases, exclude = _patterns("cases", cases), _patterns("exclude", exclude)
    _validate(fn, cases, exclude, skip_on, properties, seed)
    validate_loss_unit_profile(loss, unit, profile)
    with_axes = accepts_axes(fn)
    results = []
    for case in select_cases(gs, cases, exclude):
        case = case_for_profile(case, profile)
        res = CaseResult(case.name, str(case.W.dtype), case.shape, tolerance=case.tolerance)
        if not with_axes and case.W.ndim != 2:
            res.status = SKIP
            res.skip_reason = (f"needs axes={case.axes}, and fn has no 'axes' parameter "
                               "(add one to verify N-D tensors)")
            results.append(res)
            continue
        W = np.array(case.W)   # a private writable copy: fn may modify it
        returned, status, reason = call_fn(fn, W, case.axes, with_axes, skip_on)
        if status == SKIP:
            res.status, res.skip_reason = SKIP, reason
            results.append(res)
            continue
        if status == ERROR:
            res.status = ERROR
            res.diagnoses.append(Diagnosis("errored", reason))
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
    report = Report(results, loss=loss, unit=unit, version=gs.version, source=_name(fn),
                    profile=profile, selected=cases is not None)
    if properties:
        from .properties import check_properties

        report.properties = check_properties(fn, loss=loss, unit=unit, profile=profile, seed=seed,
                                             with_axes=with_axes, skip_on=skip_on)
        report.seed = seed
    return report


def assert_conforms(fn, **check_kwargs) -> Report:
    """``check(fn, **check_kwargs)``, raising ``AssertionError`` with the report unless it is ok.

    For a test suite (pytest shows the whole table when it fails)::

        def test_my_port():
            assert_conforms(my_port, profile="float32")

    Parameters
    ----------
    fn : callable
    **check_kwargs
        Passed to :func:`check` (``loss``, ``cases``, ``exclude``, ``profile``, ``properties``, ...).

    Returns
    -------
    Report
        The passing report.

    Raises
    ------
    AssertionError
        If ``report.ok`` is False; the message is ``str(report)``.

    Examples
    --------
    >>> import entropy_ref
    >>> assert_conforms(entropy_ref.configuration_entropy_grad, cases="tiny_*").ok
    True
    >>> try:
    ...     assert_conforms(entropy_ref.sparsity_loss_grad, cases="tiny_2x2_f64")
    ... except AssertionError as exc:
    ...     print(str(exc).splitlines()[-1])
    FAIL: 0 passed, 1 failed, 0 errored, 0 skipped of 1 cases; properties: 25 of 45 hold (profile float64)
    """
    report = check(fn, **check_kwargs)
    if not report.ok:
        raise AssertionError(str(report))
    return report
