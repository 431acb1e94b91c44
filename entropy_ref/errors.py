"""The package's own exceptions, in one place (both are ``ValueError`` subclasses)."""

from __future__ import annotations

__all__ = ["CorruptFileError", "DegenerateInputError"]


class DegenerateInputError(ValueError):
    """``H_C`` is undefined for this input (``sum |W| = 0`` or zero gradient energy)."""


class CorruptFileError(ValueError):
    """A file is not what it should be (truncated, corrupt, wrong content); the message is one
    line that names the file and the problem.

    It is a ``ValueError``, so existing ``except ValueError`` clauses keep working.
    """
