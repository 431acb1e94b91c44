"""Calling the port: how the kit calls ``fn``, what a raised exception, a call that takes too long
and a change to the input array become in the report."""

from __future__ import annotations

import inspect
import traceback
from typing import NamedTuple

import numpy as np

from .quiet import caller_errstate
from .results import ERROR, SKIP, TIMEOUT
from .timeouts import PortTimeout, seconds_text, time_limit


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


class Call(NamedTuple):
    """What one call of the port gave.

    Attributes
    ----------
    returned : object
        What ``fn`` returned (None when it raised).
    status : {None, "skipped", "ERROR", "timeout"}
        None when ``fn`` returned.
    reason : str or None
        Why it did not return (the exception, one line).
    mutated : str or None
        What ``fn`` changed in the array it was given (:func:`input_change`), or None.
    """

    returned: object
    status: str | None = None
    reason: str | None = None
    mutated: str | None = None


def call_fn(fn, W, axes, with_axes: bool, skip_on, timeout: float | None = None) -> Call:
    """Call ``fn`` on ``W`` (a writable array the kit owns) and say what happened: a :class:`Call`.

    ``status`` is ``SKIP`` for an exception in ``skip_on``, ``ERROR`` for any other exception,
    including a ``SystemExit`` and any other ``BaseException``, and ``TIMEOUT`` when the call took
    longer than ``timeout`` seconds (:mod:`.timeouts`). ``KeyboardInterrupt`` propagates. ``fn``
    runs under the caller's NumPy error state (see :func:`.quiet.quiet_arithmetic`); afterwards
    ``W`` is compared with what it was (``mutated``).
    """
    before = W.copy()
    try:
        with np.errstate(**caller_errstate()), time_limit(timeout):
            returned = fn(W, axes=axes) if with_axes else fn(W)
        return Call(returned, mutated=input_change(before, W))
    except PortTimeout:
        return Call(None, TIMEOUT, f"fn did not return within {seconds_text(timeout)}")
    except KeyboardInterrupt:
        raise
    except skip_on as exc:
        return Call(None, SKIP, f"fn raised {type(exc).__name__}: {exc}")
    except SystemExit as exc:   # not a verdict: sys.exit(0) must not end a run as a success
        return Call(None, ERROR, f"fn called sys.exit({exc.code!r}) ({describe_exception(exc)})")
    except Exception as exc:  # noqa: BLE001 - a crash of fn is a failure of the case, not of check
        tb = exc.__traceback__
        if isinstance(exc, TypeError) and tb is not None and tb.tb_next is None:
            call = f"fn(W, axes={axes})" if with_axes else "fn(W)"   # the call itself failed
            return Call(None, ERROR, (f"fn cannot be called as {call}: {exc}; the kit calls "
                                      "fn(W), or fn(W, axes=...) when fn has an 'axes' parameter"))
        return Call(None, ERROR, f"fn raised {describe_exception(exc)}")
    except BaseException as exc:  # noqa: BLE001 - GeneratorExit, a port's own BaseException
        return Call(None, ERROR, f"fn raised {describe_exception(exc)} (a BaseException that is "
                                 "not an Exception: it escapes `except Exception` in a caller)")


def input_change(before: np.ndarray, after: np.ndarray) -> str | None:
    """One line saying how ``after`` differs from ``before`` (None when it does not, bit for bit).

    Examples
    --------
    >>> input_change(np.array([1.0, -2.0]), np.array([1.0, 2.0])).split(". ")[0]
    'fn changed the array it was given: 1 of 2 entries differ afterwards (W[1] was -2, is now 2)'
    """
    if after.shape == before.shape and after.dtype == before.dtype and \
            after.tobytes() == before.tobytes():
        return None
    if after.shape != before.shape or after.dtype != before.dtype:
        what = f"its shape or dtype changed from {before.shape} {before.dtype} to {after.shape} " \
               f"{after.dtype}"
    else:
        diff = (after != before) & ~(np.isnan(after) & np.isnan(before)) | (
            np.signbit(after) != np.signbit(before))
        first = tuple(int(i) for i in np.argwhere(diff)[0])
        where = ", ".join(map(str, first))
        what = (f"{int(diff.sum())} of {after.size} entries differ afterwards (W[{where}] was "
                f"{before[first]:.6g}, is now {after[first]:.6g})")
    return (f"fn changed the array it was given: {what}. A training loop that passes its weights "
            "would have them overwritten. Usual cause: torch.from_numpy(W) (or np.asarray(W)) "
            "shares W's memory and an in-place operation writes "
            "into it (abs_(), mul_(), clamp_(), +=, out=W). Fix: copy first (torch.tensor(W), "
            "W.copy()) or use out-of-place operations")


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


def port_name(fn) -> str:
    """What the report calls ``fn``: its qualified name, or its type's name."""
    return getattr(fn, "__qualname__", None) or type(fn).__name__


class RunEnded(BaseException):
    """A call after which the run cannot go on (it exceeded the timeout).

    Attributes
    ----------
    what : dict
        What was being called (:func:`.endings.where`).
    reason : str
    """

    def __init__(self, what: dict, reason: str):
        super().__init__(reason)
        self.what, self.reason = what, reason


class Caller:
    """Calls the port for the whole run: ``caller(W, axes, what) -> Call``.

    ``what`` describes the call (a golden case, its second input, a property input) for the
    ``listener`` (``listener("call", what)`` before each call and ``listener("returned", what)``
    after it: how ``verify --fn``'s child tells its supervisor what is running) and for the report
    if the call exceeds ``timeout``, which raises :class:`RunEnded`.
    """

    def __init__(self, fn, with_axes: bool, skip_on, timeout: float | None = None, listener=None):
        self.fn, self.with_axes, self.skip_on = fn, with_axes, skip_on
        self.timeout, self.listener = timeout, listener

    def __call__(self, W, axes, what: dict) -> Call:
        if self.listener is not None:
            self.listener("call", what)
        call = call_fn(self.fn, W, axes, self.with_axes, self.skip_on, self.timeout)
        if call.status == TIMEOUT:
            raise RunEnded(what, call.reason)
        if self.listener is not None:
            self.listener("returned", what)
        return call
