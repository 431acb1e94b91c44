"""How long one call of the port may take: ``check(fn, timeout=...)`` and ``verify --timeout``.

In-process (``check``), a call is interrupted by a ``SIGALRM`` timer when that is possible: on a
POSIX system, in the main thread, and when no other interval timer is running (a test runner's own
timeout keeps its timer). The timer raises :class:`PortTimeout` in the port's Python code, so a
call stuck in native code (a long BLAS call, a JIT compilation) is interrupted only when it returns
to Python, and a port that catches ``BaseException`` can swallow it. Every call is also timed: one
that returns after the limit is timed out all the same. ``entropy-ref verify --fn`` does not depend
on any of this: it runs the port in a child process and kills it (``supervise``).
"""

from __future__ import annotations

import contextlib
import math
import signal
import threading
import time

#: seconds one call of the port may take, unless told otherwise (``timeout=``, ``--timeout``)
DEFAULT_TIMEOUT = 60.0


class PortTimeout(BaseException):
    """A call of the port exceeded the timeout (a ``BaseException``: ``except Exception`` in a
    port does not catch it)."""


def validate_timeout(timeout) -> float | None:
    """``timeout`` as seconds (a positive finite number) or None (no limit); else one-line error.

    Examples
    --------
    >>> validate_timeout(2), validate_timeout(None)
    (2.0, None)
    """
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise TypeError(f"timeout must be a number of seconds or None, got {timeout!r}")
    if not (math.isfinite(timeout) and timeout > 0):
        raise ValueError(f"timeout must be a positive number of seconds (None: no limit), got "
                         f"{timeout!r}")
    return float(timeout)


def seconds_text(seconds: float) -> str:
    """``"0.5 s"``, ``"60 s"``."""
    return f"{seconds:g} s"


def _alarm_usable() -> bool:
    return (hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
            and signal.getitimer(signal.ITIMER_REAL)[0] == 0.0)


def _raise_timeout(signum, frame):
    raise PortTimeout


@contextlib.contextmanager
def time_limit(seconds: float | None):
    """Run the body under a limit of ``seconds`` (None: none); :class:`PortTimeout` past it.

    The alarm interrupts Python code; a body that returns late is timed out on return.
    """
    if seconds is None:
        yield
        return
    start = time.monotonic()
    armed = _alarm_usable()
    if armed:
        previous = signal.signal(signal.SIGALRM, _raise_timeout)
        signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        if armed:
            try:
                signal.setitimer(signal.ITIMER_REAL, 0.0)
            finally:
                signal.signal(signal.SIGALRM, previous)
    if time.monotonic() - start > seconds:
        raise PortTimeout
