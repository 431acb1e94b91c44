"""Identities of stored results: canonical digests, file entries, and what differs between two.

A stored result (a trained run, a curve, a study) is reused only when its *identity* equals the one
the current command asks for. An identity is a JSON-ready dict of everything that determines the
result (settings, a fingerprint of the data, a format version); :func:`digest` turns it into one
hexadecimal key, the same in every process and on every machine (keys sorted, floats written
exactly). :func:`differences` and :func:`describe` name what differs, for one-line messages.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

__all__ = ["canonical", "digest", "short", "file_entry", "differences", "describe",
           "SHORT_DIGITS"]

#: hexadecimal digits shown when a digest is printed
SHORT_DIGITS = 12
_CHUNK = 1 << 20


def canonical(obj) -> str:
    """``obj`` as canonical JSON: sorted keys, no spaces, floats exact, tuples as lists.

    Raises ``ValueError`` for NaN or infinite floats (an identity never holds one).

    Examples
    --------
    >>> canonical({"b": (1, 2.5), "a": None})
    '{"a":null,"b":[1,2.5]}'
    """
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), allow_nan=False)


def digest(obj) -> str:
    """SHA-256 (hex) of :func:`canonical` of ``obj``.

    Examples
    --------
    >>> digest({"a": 1, "b": 2}) == digest({"b": 2, "a": 1})
    True
    >>> len(digest([1.0]))
    64
    """
    return hashlib.sha256(canonical(obj).encode("utf-8")).hexdigest()


def short(key) -> str:
    """The first :data:`SHORT_DIGITS` digits of a digest (``"-"`` for None), for messages."""
    return "-" if key is None else str(key)[:SHORT_DIGITS]


def file_entry(path) -> dict:
    """``{"size": bytes, "sha256": hex}`` of the file at ``path`` (read in 1 MiB chunks)."""
    h, size = hashlib.sha256(), 0
    with open(Path(path), "rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
            size += len(chunk)
    return {"size": size, "sha256": h.hexdigest()}


def _flat(obj, prefix=""):
    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            out.update(_flat(v, f"{prefix}{k}."))
        return out
    return {prefix[:-1]: obj}


def differences(saved, wanted) -> list:
    """``[(name, saved value, wanted value)]`` of the leaves that differ, dotted names, sorted.

    Examples
    --------
    >>> differences({"config": {"epochs": 3, "lr": 0.1}, "data": "ab"},
    ...             {"config": {"epochs": 6, "lr": 0.1}, "data": "ab"})
    [('config.epochs', 3, 6)]
    """
    a, b = _flat(saved if isinstance(saved, dict) else {"": saved}), \
        _flat(wanted if isinstance(wanted, dict) else {"": wanted})
    missing = object()
    out = []
    for name in sorted(set(a) | set(b)):
        x, y = a.get(name, missing), b.get(name, missing)
        if x is missing or y is missing or not _same(x, y):
            out.append((name, None if x is missing else x, None if y is missing else y))
    return out


def _same(x, y) -> bool:
    if isinstance(x, float) and isinstance(y, float) and math.isnan(x) and math.isnan(y):
        return True
    return type(x) is type(y) and x == y or (isinstance(x, (int, float)) and isinstance(
        y, (int, float)) and not isinstance(x, bool) and not isinstance(y, bool) and x == y)


def _value(v) -> str:
    if isinstance(v, list):
        return ",".join(_value(x) for x in v)
    if isinstance(v, str) and len(v) == 64 and all(c in "0123456789abcdef" for c in v):
        return short(v) + "..."
    return "none" if v is None else f"{v:g}" if isinstance(v, float) else str(v)


def describe(diffs, limit: int = 4, drop_prefix: str = "") -> str:
    """``"epochs 3 -> 6, lr 0.001 -> 0.01"``: the first ``limit`` differences, on one line.

    Examples
    --------
    >>> describe([("config.epochs", 3, 6), ("data", "a" * 64, "b" * 64)], drop_prefix="config.")
    'epochs 3 -> 6, data aaaaaaaaaaaa... -> bbbbbbbbbbbb...'
    """
    parts = [f"{n.removeprefix(drop_prefix)} {_value(a)} -> {_value(b)}"
             for n, a, b in diffs[:limit]]
    if len(diffs) > limit:
        parts.append(f"and {len(diffs) - limit} more")
    return ", ".join(parts)
