"""Atomic file writing, shared by every room that writes files.

A file is written to a hidden temporary file in the same directory, flushed to disk, then moved
into place with ``os.replace``: an interrupt or a crash leaves either the old file or the new
one, never half a file, and no temporary file behind. New files get the usual permissions
(``0666`` minus the umask), like ``open(path, "w")``.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

__all__ = ["create_temp", "atomic_write", "atomic_write_bytes", "atomic_write_text"]


def create_temp(directory, name: str) -> tuple[int, Path]:
    """Create a new hidden temp file ``.<name>.<random>.part`` in ``directory``; return (fd, path).

    ``os.open`` with mode ``0o666`` lets the umask decide the permissions, as for any new file.
    """
    while True:
        tmp = Path(directory) / f".{name}.{secrets.token_hex(6)}.part"
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
    fd, tmp = create_temp(path.parent, path.name)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def atomic_write_bytes(path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_write`)."""
    return atomic_write(path, lambda f: f.write(data))


def atomic_write_text(path, text: str) -> Path:
    """Write ``text`` to ``path`` atomically, UTF-8 encoded (see :func:`atomic_write`)."""
    return atomic_write(path, lambda f: f.write(text.encode("utf-8")))
