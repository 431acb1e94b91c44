"""Atomic file writing for the golden files and the verification helpers."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def atomic_write(path, write) -> Path:
    """Call ``write(f)`` on a temporary binary file beside ``path``, then ``os.replace`` it.

    A crash or interrupt leaves either the old file or the new one, never half a file. The result
    gets the usual permissions (``0666`` minus the umask; ``mkstemp`` alone would give ``0600``).

    Examples
    --------
    >>> with tempfile.TemporaryDirectory() as d:
    ...     print(atomic_write(Path(d) / "x.bin", lambda f: f.write(b"ok")).read_bytes())
    b'ok'
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path
