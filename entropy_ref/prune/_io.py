"""Atomic file writing for the experiment rooms (temporary file in the same directory, then
``os.replace``), with the permissions an ordinary ``open(path, "w")`` would give."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["atomic_write_text", "atomic_target"]


def _default_mode():
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


class atomic_target:
    """Context manager yielding a temporary path next to ``path``; moved into place on success.

    Examples
    --------
    >>> d = tempfile.mkdtemp()
    >>> with atomic_target(os.path.join(d, "f.txt")) as tmp:
    ...     _ = Path(tmp).write_text("hi")
    >>> sorted(os.listdir(d)), Path(d, "f.txt").read_text()
    (['f.txt'], 'hi')
    """

    def __init__(self, path):
        self.path = Path(path)

    def __enter__(self):
        fd, self.tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.",
                                        suffix=".tmp")
        os.close(fd)
        os.chmod(self.tmp, _default_mode())
        return self.tmp

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            os.replace(self.tmp, self.path)
        elif os.path.exists(self.tmp):
            os.unlink(self.tmp)
        return False


def atomic_write_text(path, text):
    """Write ``text`` to ``path`` atomically (UTF-8).

    Examples
    --------
    >>> p = Path(tempfile.mkdtemp()) / "a.md"
    >>> atomic_write_text(p, "# hi\\n"); p.read_text()
    '# hi\\n'
    """
    with atomic_target(path) as tmp:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
