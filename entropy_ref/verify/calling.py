"""Calling the port: how the kit calls ``fn``, and what a raised exception becomes in the report."""

from __future__ import annotations

import inspect
import traceback

import numpy as np

from .quiet import caller_errstate
from .results import ERROR, SKIP


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
    NumPy error state (see :func:`.quiet.quiet_arithmetic`).
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


def port_name(fn) -> str:
    """What the report calls ``fn``: its qualified name, or its type's name."""
    return getattr(fn, "__qualname__", None) or type(fn).__name__
