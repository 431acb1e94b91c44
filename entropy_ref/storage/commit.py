"""Commit records: a result made of several files is committed by one JSON record written last.

The record names every file of the result with its size and SHA-256, and carries the result's
identity (:mod:`.identity`) and the package version. It is written atomically *after* every file
it names, so a crash at any point leaves either the previous record (whose hashes no longer match
the files that changed: the result reads as absent) or the new one (everything in place). A
reader trusts a result only through :func:`check_files`: a missing record, a missing file, or a
file whose size or hash differs means the result is not there.

Record layout (other keys belong to the caller)::

    {"commit_format": 1, "kind": "run", "package_version": "0.1.0",
     "identity": {...}, "key": "<digest of identity>",
     "files": {"model.npz": {"size": 1234, "sha256": "..."}, ...}}
"""

from __future__ import annotations

import json
import re
from pathlib import Path, PurePosixPath

from .._version import __version__
from ..errors import CorruptFileError
from .atomic import atomic_write_text
from .identity import digest, file_entry
from .readers import corrupt, read_json

__all__ = ["COMMIT_FORMAT", "write_commit", "read_commit", "check_files", "check_identity"]

#: layout version of the fields this module writes
COMMIT_FORMAT = 1
_HEX64 = re.compile(r"[0-9a-f]{64}")


def write_commit(path, record: dict, files=(), identity=None, kind: str = "result") -> dict:
    """Hash ``files`` (paths relative to ``path``'s directory) and write ``record`` last.

    Parameters
    ----------
    path : path-like
        The record file (JSON), written atomically.
    record : dict
        The caller's JSON-ready content; the commit fields are added to a copy.
    files : iterable of str
        The files of the result, relative to the record's directory (``/``-separated).
    identity : dict, optional
        Everything that determines the result; stored with its :func:`~.identity.digest`.
    kind : str
        What the result is (``"run"``, ``"curve"``, ``"results"``, ...).

    Returns
    -------
    dict
        What was written.
    """
    path = Path(path)
    base = path.parent
    out = dict(record)
    out.update({"commit_format": COMMIT_FORMAT, "kind": kind, "package_version": __version__})
    if identity is not None:
        out.update(identity=identity, key=digest(identity))
    out["files"] = {str(name): file_entry(base / name) for name in files}
    atomic_write_text(path, json.dumps(out, indent=1) + "\n")
    return out


def _check_layout(path, obj, what, kind):
    if obj.get("commit_format") != COMMIT_FORMAT:
        raise corrupt(path, what, f"commit_format is {obj.get('commit_format')!r}, this version "
                      f"reads {COMMIT_FORMAT}")
    if obj.get("kind") != kind:
        raise corrupt(path, what, f"kind is {obj.get('kind')!r}, expected {kind!r}")
    files = obj.get("files")
    if not isinstance(files, dict):
        raise corrupt(path, what, "'files' must be an object of file entries")
    for name, entry in files.items():
        parts = PurePosixPath(name).parts
        if not name or name.startswith("/") or ".." in parts or "\\" in name:
            raise corrupt(path, what, f"files: {name!r} is not a path inside the directory")
        if (not isinstance(entry, dict) or set(entry) != {"size", "sha256"}
                or not isinstance(entry["size"], int) or isinstance(entry["size"], bool)
                or entry["size"] < 0 or not isinstance(entry["sha256"], str)
                or not _HEX64.fullmatch(entry["sha256"])):
            raise corrupt(path, what, f"files: the entry of {name!r} must be "
                          "{\"size\": bytes >= 0, \"sha256\": 64 hex digits}")
    if "identity" in obj:
        if not isinstance(obj["identity"], dict):
            raise corrupt(path, what, "'identity' must be an object")
        if obj.get("key") != digest(obj["identity"]):
            raise corrupt(path, what, "'key' is not the digest of 'identity'")
    if not isinstance(obj.get("package_version"), str):
        raise corrupt(path, what, "'package_version' must be a string")


def read_commit(path, what: str, kind: str) -> dict | None:
    """The record at ``path`` with its commit fields checked; None when there is no file.

    Raises
    ------
    CorruptFileError
        Not JSON, not an object, or commit fields of the wrong type or format (naming the field).
    """
    path = Path(path)
    if not path.is_file():
        return None
    obj = read_json(path, what)
    try:
        _check_layout(path, obj, what, kind)
    except CorruptFileError:
        raise
    except (ValueError, TypeError) as exc:       # digest of a NaN identity: ValueError
        raise corrupt(path, what, exc) from None
    return obj


def check_files(record: dict, base) -> str | None:
    """None when every file the record names is in ``base`` as recorded, else what is not.

    Examples
    --------
    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp()); _ = (d / "a.txt").write_text("x")
    >>> rec = write_commit(d / "r.json", {}, ["a.txt"])
    >>> check_files(rec, d) is None
    True
    >>> _ = (d / "a.txt").write_text("y"); check_files(rec, d)
    'a.txt has changed since it was committed'
    """
    base = Path(base)
    for name, entry in record.get("files", {}).items():
        path = base / name
        try:
            if path.stat().st_size != entry["size"]:
                return (f"{name} has {path.stat().st_size} bytes, its commit record says "
                        f"{entry['size']}")
            if file_entry(path)["sha256"] != entry["sha256"]:
                return f"{name} has changed since it was committed"
        except FileNotFoundError:
            return f"{name} is missing"
        except OSError as exc:
            return f"{name} cannot be read ({exc.strerror or exc})"
    return None


def check_identity(record: dict, identity: dict) -> bool:
    """True when ``record`` was committed for exactly ``identity``."""
    return record.get("key") == digest(identity) and record.get("identity") == json.loads(
        json.dumps(identity))
