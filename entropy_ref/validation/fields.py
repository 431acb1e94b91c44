"""Checks of settings fields (``TrainConfig``, ``ReproSettings``, ``StudySettings``): no coercion.

A bool is not a number (``True`` is not the integer 1 or the learning rate 1.0), a string is not a
flag (``"no"`` is not ``False``) nor a number (``"1e-4"`` is not ``1e-4``), a list of names holds
each known name at most once. Every error is one ``ValueError`` naming the field.
"""

from __future__ import annotations

import math
import numbers
import os

__all__ = ["integer", "optional_integer", "real", "flag", "path_or_none", "name_list",
           "real_list"]


def _is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def integer(value, name: str, low: int = 0) -> int:
    """``value`` as an ``int`` when it is an integer ``>= low`` (not a bool, not a float).

    Examples
    --------
    >>> integer(3, "epochs")
    3
    >>> integer(True, "epochs")
    Traceback (most recent call last):
    ...
    ValueError: epochs must be an integer >= 0, got True
    """
    if not _is_int(value) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    return int(value)


def optional_integer(value, name: str, low: int = 1) -> int | None:
    """``None``, or :func:`integer` ``>= low`` (the message says that None is allowed)."""
    if value is None:
        return None
    if not _is_int(value) or value < low:
        raise ValueError(f"{name} must be an integer >= {low} or None, got {value!r}")
    return int(value)


def real(value, name: str, ok=lambda v: True, what: str = "a finite number") -> float:
    """``value`` as a ``float`` when it is a finite real number (not a bool, not a string) for
    which ``ok(value)`` holds; otherwise ``ValueError: NAME must be WHAT, got VALUE``.

    Examples
    --------
    >>> real(1e-3, "lr", lambda v: v > 0, "a finite number > 0")
    0.001
    >>> real(float("nan"), "select_target", lambda v: 0 < v <= 1, "an accuracy in (0, 1]")
    Traceback (most recent call last):
    ...
    ValueError: select_target must be an accuracy in (0, 1], got nan
    """
    if (not isinstance(value, numbers.Real) or isinstance(value, bool)
            or not math.isfinite(value) or not ok(float(value))):
        raise ValueError(f"{name} must be {what}, got {value!r}")
    return float(value)


def flag(value, name: str) -> bool:
    """``value`` when it is ``True`` or ``False`` (a JSON boolean), never a truthy string or number.

    Examples
    --------
    >>> flag("no", "download")
    Traceback (most recent call last):
    ...
    ValueError: download must be true or false, got 'no'
    """
    if type(value).__name__ not in ("bool", "bool_"):
        raise ValueError(f"{name} must be true or false, got {value!r}")
    return bool(value)


def path_or_none(value, name: str) -> str | None:
    """``None``, or a path (``str`` or ``os.PathLike`` of text) as a ``str``; never a number."""
    if value is None:
        return None
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a path (a string) or None, got {value!r}")
    return value


def name_list(value, name: str, known, what: str = "name") -> tuple:
    """A non-empty tuple of distinct names from ``known`` (a bare string is refused, not split).

    Examples
    --------
    >>> name_list(["l1", "none"], "methods", ("none", "l1"), "method")
    ('l1', 'none')
    >>> name_list(("none", "none"), "methods", ("none", "l1"), "method")
    Traceback (most recent call last):
    ...
    ValueError: methods names the method 'none' twice
    """
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
        raise ValueError(f"{name} must be a list of {what}s, got {value!r}")
    if not value:
        raise ValueError(f"{name} needs at least one {what}; choose from {', '.join(known)}")
    for i, item in enumerate(value):
        if not isinstance(item, str) or item not in known:
            raise ValueError(f"unknown {what} {item!r} in {name}; choose from {', '.join(known)}")
        if item in value[:i]:
            raise ValueError(f"{name} names the {what} {item!r} twice")
    return tuple(value)


def real_list(value, name: str, ok=lambda v: True, what: str = "finite numbers") -> tuple:
    """A non-empty tuple of distinct finite reals for which ``ok`` holds, as floats.

    Examples
    --------
    >>> real_list([1e-4, 1e-3], "grid", lambda v: v > 0, "lambdas > 0")
    (0.0001, 0.001)
    >>> real_list([0.9, 0.9], "targets")
    Traceback (most recent call last):
    ...
    ValueError: targets holds 0.9 twice
    """
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)) or not value:
        raise ValueError(f"{name} must be a non-empty list of {what}, got {value!r}")
    out = tuple(real(v, name, ok, f"a list of {what}") for v in value)
    for i, v in enumerate(out):
        if v in out[:i]:
            raise ValueError(f"{name} holds {v:g} twice")
    return out
