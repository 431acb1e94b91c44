"""The kit's front: ``check(fn)``, ``assert_conforms(fn)`` and ``check_file(path)``.

:func:`check` runs a user's ``H_C`` implementation on every golden case it can take, then the
property checks (:mod:`.properties`); :func:`check_file` judges outputs stored in a file
(:mod:`.files`). Both return a :class:`~.report.Report`; the CLI (``entropy-ref verify``) calls
them. Each case is compared with the reference in :mod:`.compare`.
"""

from __future__ import annotations

from .arguments import validate_loss_unit_profile
from .cases import case_patterns, golden_set_from, select_cases
from .compare import evaluate
from .files import VerificationFileError, load_outputs
from .profiles import case_for_profile
from .quiet import quiet_arithmetic
from .report import Report
from .results import SKIP, CaseResult
from .run import run_check
from .timeouts import DEFAULT_TIMEOUT


class Unsupported(NotImplementedError):
    """Raise it from ``fn`` for an input your implementation does not support: the case is skipped.

    Any ``NotImplementedError`` means the same. Every other exception fails the case as
    ``errored`` (the report shows its type, message and last frame), unless ``check`` is told
    otherwise with ``skip_on``.
    """


@quiet_arithmetic
def check(fn, loss: str = "H_C", cases=None, *, unit: str = "nats", profile: str = "float64",
          exclude=None, skip_on=NotImplementedError, properties: bool = True, seed: int = 0,
          golden_set=None, timeout=DEFAULT_TIMEOUT) -> Report:
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
    timeout : float or None
        Seconds one call of ``fn`` may take (default 60; None: no limit). A call that exceeds it
        is an ERROR of its case and ends the run. In this process the call is interrupted by a
        ``SIGALRM`` timer where one is available (POSIX, main thread, no other timer running),
        otherwise judged when it returns (:mod:`.timeouts`); ``entropy-ref verify --fn`` runs
        ``fn`` in a child process it kills instead.

    Returns
    -------
    Report
        ``report.ok`` is True when no case failed or errored, no property failed, at least one case
        was attempted, and (unless ``cases`` was given) at most half were skipped;
        ``print(report)`` shows the table, the diagnoses and the counts. Besides its outputs, a
        case fails when ``fn`` changes the array it is given, returns the gradient in another
        dtype than the input's, or returns the same outputs for a second input of the same shape
        (or wrong ones there: :mod:`.second_input`).

    Raises
    ------
    KeyboardInterrupt
        Never swallowed; its ``report`` attribute holds the report so far.

    Examples
    --------
    >>> import entropy_ref
    >>> from entropy_ref import golden
    >>> report = check(entropy_ref.configuration_entropy_grad)
    >>> report.ok, len(report.passed) == len(golden.load()), report.skipped
    (True, True, [])
    >>> check(entropy_ref.sparsity_loss_grad, cases="tiny_*").diagnosis_names()
    {'sign_flipped'}
    >>> check(entropy_ref.sparsity_loss_grad, loss="l_C", cases="tiny_*").ok
    True
    """
    return run_check(fn, loss, cases, unit=unit, profile=profile, exclude=exclude,
                     skip_on=skip_on, properties=properties, seed=seed, golden_set=golden_set,
                     timeout=timeout)


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


@quiet_arithmetic
def check_file(path, loss: str = "H_C", cases=None, *, unit: str = "nats",
               profile: str = "float64", exclude=None, golden_set=None) -> Report:
    """Verify the outputs stored in ``path`` (key layout: :mod:`.files`) against the golden set.

    Parameters
    ----------
    path : path-like
    loss : {"H_C", "l_C"}
    cases : str or iterable of str, optional
        Names or ``fnmatch`` patterns; only these must be in the file.
    unit : {"nats", "bits"}
    profile : {"float64", "float32"}
        Tolerance profile, as for :func:`entropy_ref.verify.check`: under ``"float32"`` each case
        is judged against the reference at the float32-rounded input, at float32 rounding.
    exclude : str or iterable of str, optional
        Names or patterns left out (after ``cases``); as for ``check``, excluding cases does not
        waive the more-than-half-skipped rule, choosing them with ``cases`` does.
    golden_set : GoldenSet or int or str, optional

    Returns
    -------
    Report

    Raises
    ------
    FileNotFoundError, VerificationFileError
        Missing file; malformed file; a selected case neither present nor marked ``skip``.
    """
    gs = golden_set_from(golden_set)
    validate_loss_unit_profile(loss, unit, profile)
    cases, exclude = case_patterns("cases", cases), case_patterns("exclude", exclude)
    selected = select_cases(gs, cases, exclude)
    outputs, skipped = load_outputs(path, gs)
    missing = [c.name for c in selected if c.name not in outputs and c.name not in skipped]
    if missing:
        raise VerificationFileError(
            f"{path}: no outputs for {len(missing)} golden case(s): {', '.join(missing)}. Store "
            "<case>/value and <case>/grad, or <case>/skip with a reason for a case your "
            "implementation does not support, or restrict the check with cases= / --cases")
    results = []
    for case in selected:
        if case.name in skipped:
            res = CaseResult(case.name, str(case.W.dtype), case.shape, status=SKIP,
                             tolerance=case.tolerance)
            res.skip_reason = f"the file says: {skipped[case.name] or '(no reason given)'}"
            results.append(res)
        else:
            results.append(evaluate(case_for_profile(case, profile), outputs[case.name], loss,
                                    unit))
    return Report(results, loss=loss, unit=unit, version=gs.version, source=str(path),
                  profile=profile, selected=cases is not None)
