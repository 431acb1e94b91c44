"""Atomic file writing, shared by everything that writes files.

A file is written to a hidden temporary file in the same directory, flushed to disk, then moved
into place with ``os.replace``: an interrupt or a crash leaves either the old file or the new
one, never half a file, and no temporary file behind. New files get the usual permissions
(``0666`` minus the umask), like ``open(path, "w")``. A write that fails for lack of space (or any
``OSError`` that names no file) is re-raised naming the target file.

Only a SIGKILL (or a power loss) between creating the temporary file and moving it into place can
leave a temporary file behind. Its name, ``.<name>.<pid>-<random>.part``, records the writing
process, and :func:`clean_stale_temps` removes those whose writer is no longer running:
:func:`atomic_write` does so for its target before every write, and the trainer and the
downloader for their whole directory when they start.
"""

from __future__ import annotations

import glob
import os
import re
import secrets
import time
from pathlib import Path

__all__ = ["create_temp", "atomic_write", "atomic_write_bytes", "atomic_write_text",
           "clean_stale_temps", "FAULT_ENV"]

#: environment variable of the crash-injection switch used by the tests (see :func:`atomic_write`)
FAULT_ENV = "ENTROPY_REF_EXIT_AFTER_WRITES"
_WRITES = 0

# .<name>.<pid>-<12 hex>.part (this module's names) or .<name>.<12 hex>.part (older versions)
_TEMP = re.compile(r"\..+\.(?:(\d+)-)?[0-9a-f]{12}\.part")


def create_temp(directory, name: str) -> tuple[int, Path]:
    """Create a new hidden temp file ``.<name>.<pid>-<random>.part`` in ``directory``; return
    (fd, path).

    ``os.open`` with mode ``0o666`` lets the umask decide the permissions, as for any new file.
    """
    while True:
        tmp = Path(directory) / f".{name}.{os.getpid()}-{secrets.token_hex(6)}.part"
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                           0o666), tmp
        except FileExistsError:  # pragma: no cover - 48 random bits
            continue


def atomic_write(path, write) -> Path:
    """Call ``write(f)`` on a temporary binary file beside ``path``, then move it into place.

    Parameters
    ----------
    path : str or os.PathLike
    write : callable
        Receives the open binary file object.

    Returns
    -------
    pathlib.Path

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = atomic_write(Path(d) / "x.bin", lambda f: f.write(b"ok"))
    ...     print(p.read_bytes(), sorted(os.listdir(d)))
    b'ok' ['x.bin']
    """
    path = Path(path)
    clean_stale_temps(path.parent, name=path.name)   # a killed earlier writer of this file
    fd, tmp = create_temp(path.parent, path.name)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        if exc.filename is None and exc.errno is not None:    # disk full: name the file
            raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from exc
        raise
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _count_write(path)
    return path


def _count_write(path) -> None:
    """Fault injection for tests of crash safety: with ``ENTROPY_REF_EXIT_AFTER_WRITES=N`` in
    the environment, the process ends (``os._exit(75)``, no clean-up, like a crash) right after
    its N-th completed atomic write. Read here and nowhere else."""
    global _WRITES
    limit = os.environ.get(FAULT_ENV)
    if not limit:
        return
    _WRITES += 1
    if str(_WRITES) == limit.strip():
        os._exit(75)


def atomic_write_bytes(path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_write`)."""
    return atomic_write(path, lambda f: f.write(data))


def atomic_write_text(path, text: str) -> Path:
    """Write ``text`` to ``path`` atomically, UTF-8 encoded (see :func:`atomic_write`)."""
    return atomic_write(path, lambda f: f.write(text.encode("utf-8")))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError, OSError):
        return True          # exists but not ours, or not a pid we can ask about: keep
    return True


def clean_stale_temps(directory, max_age: float = 86400.0, name: str | None = None) -> list[Path]:
    """Remove the temporary files of :func:`create_temp` left in ``directory`` by dead writers.

    A temporary file is stale when the process that created it (its name records the pid) is
    no longer running, or when it is older than ``max_age`` seconds (no write takes a day; this
    also covers names without a pid, from older versions, and a pid reused by another process).
    Younger files of this process and of running processes are kept; other files are never
    touched. A missing directory or a file that cannot be removed is skipped silently. With
    ``name``, only the temporary files of that target file are considered (what
    :func:`atomic_write` does before every write).

    Returns
    -------
    list of Path
        The files removed.

    Examples
    --------
    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> _ = (d / ".model.npz.999999999-0123456789ab.part").write_bytes(b"half")
    >>> _ = (d / "model.npz").write_bytes(b"whole")
    >>> [p.name for p in clean_stale_temps(d)], sorted(p.name for p in d.iterdir())
    (['.model.npz.999999999-0123456789ab.part'], ['model.npz'])
    """
    removed = []
    try:
        entries = (list(Path(directory).iterdir()) if name is None
                   else list(Path(directory).glob(f".{glob.escape(name)}.*.part")))
    except OSError:
        return removed
    now = time.time()
    for path in entries:
        m = _TEMP.fullmatch(path.name)
        if m is None:
            continue
        try:
            old = now - path.lstat().st_mtime > max_age
            pid = int(m.group(1)) if m.group(1) else None
            dead = pid is not None and pid != os.getpid() and not _alive(pid)
            if (dead or old) and path.is_file():
                path.unlink()
                removed.append(path)
        except OSError:
            continue
    return removed
