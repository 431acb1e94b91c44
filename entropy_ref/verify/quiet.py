"""The kit's arithmetic runs with NumPy floating-point warnings off; the port's does not.

A port that returns huge or non-finite numbers must become a failed case with a diagnosis, not a
``RuntimeWarning`` escaping from the kit's comparisons into a test suite that runs with warnings as
errors. The port itself is still called under the caller's error state (:func:`caller_errstate`),
so it behaves exactly as it would outside the kit.
"""

from __future__ import annotations

import contextvars
import functools

import numpy as np

__all__ = ["caller_errstate", "quiet_arithmetic"]

#: the caller's floating-point error state while the kit's own arithmetic runs quietly
_CALLER_ERRSTATE = contextvars.ContextVar("caller_errstate", default=None)


def quiet_arithmetic(func):
    """Decorate a public entry of the kit: ``func`` runs under ``np.errstate(all="ignore")``."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        outer = _CALLER_ERRSTATE.get()
        token = _CALLER_ERRSTATE.set(outer if outer is not None else np.geterr())
        try:
            with np.errstate(all="ignore"):
                return func(*args, **kwargs)
        finally:
            _CALLER_ERRSTATE.reset(token)
    return wrapper


def caller_errstate() -> dict:
    """The error state to call the port under: the caller's, as it was outside the kit."""
    state = _CALLER_ERRSTATE.get()
    return dict(state) if state is not None else np.geterr()
