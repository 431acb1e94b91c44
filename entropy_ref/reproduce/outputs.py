"""``results.json`` and ``studies.json``: committed last, after the Markdown and figures they name.

Each is the commit record (:mod:`entropy_ref.storage.commit`) of its result: the JSON itself,
and the size and SHA-256 of ``results.md``/``studies.md`` and of every figure it lists. Both
record the identity of what they measured (:func:`protocol_identity`: every setting that changes
a number, and the data fingerprint), the package version and the BLAS setting. A reader trusts
one only through :func:`read_output`: the commit fields, the required keys and every file.
"""

from __future__ import annotations

from pathlib import Path

from ..storage.commit import check_files, read_commit, write_commit
from ..storage.readers import corrupt

__all__ = ["RESULTS_FORMAT", "protocol_identity", "commit_output", "read_output",
           "PROTOCOL_WHERE"]

#: layout of ``results.json`` and ``studies.json``
RESULTS_FORMAT = 2
#: settings that say where things are or how they are run, not what is measured
PROTOCOL_WHERE = ("out", "preset", "data_dir")
_REQUIRED = {"results": ("settings", "data", "methods", "selection", "figures", "timing"),
             "studies": ("settings", "study", "data", "studies", "figures", "timing")}


def protocol_identity(settings, fingerprint, fields=None) -> dict:
    """What a reproduction measures: its settings (or ``fields`` of them) and the data.

    Examples
    --------
    >>> from entropy_ref.reproduce.settings import ReproSettings
    >>> a = protocol_identity(ReproSettings(out="a"), "f" * 64)
    >>> a == protocol_identity(ReproSettings(out="b", preset="quick"), "f" * 64), "out" in a
    (True, False)
    """
    d = settings.to_dict()
    keep = [k for k in d if k not in PROTOCOL_WHERE] if fields is None else fields
    return {"format": RESULTS_FORMAT, "settings": {k: d[k] for k in keep},
            "data": fingerprint}


def commit_output(path, results: dict, files, identity, kind: str) -> dict:
    """Write ``results`` to ``path`` as the commit record of ``files`` (relative to its folder)."""
    return write_commit(path, {"format": RESULTS_FORMAT, **results}, files, identity=identity,
                        kind=kind)


def read_output(path, kind: str) -> dict | None:
    """A committed ``results.json`` (``kind="results"``) or ``studies.json``, whole; None if absent.

    Raises
    ------
    CorruptFileError
        Not JSON, another format, a missing key, or a file it names that is missing or changed
        (one line naming the file and the problem).
    """
    path = Path(path)
    what = f"{kind} file"
    obj = read_commit(path, what, kind)
    if obj is None:
        return None
    if obj.get("format") != RESULTS_FORMAT:
        raise corrupt(path, what, f"'format' is {obj.get('format')!r}, this version reads "
                      f"{RESULTS_FORMAT}")
    missing = [k for k in _REQUIRED[kind] if k not in obj]
    if missing:
        raise corrupt(path, what, f"no {missing[0]!r}")
    if not isinstance(obj.get("identity"), dict):
        raise corrupt(path, what, "no 'identity'")
    if not isinstance(obj["figures"], dict) or not all(
            isinstance(v, list) and all(isinstance(p, str) for p in v)
            for v in obj["figures"].values()):
        raise corrupt(path, what, "'figures' must map names to lists of paths")
    listed = {p for v in obj["figures"].values() for p in v}
    if not listed <= set(obj["files"]):
        raise corrupt(path, what, f"figure {sorted(listed - set(obj['files']))[0]!r} is not "
                      "among its committed files")
    problem = check_files(obj, path.parent)
    if problem:
        raise corrupt(path, what, f"{problem}: the output was not written completely")
    return obj
