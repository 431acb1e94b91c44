"""One writer per directory: an exclusive ``fcntl.flock`` on ``DIR/.lock`` while the directory is written.

The lock file holds who has it (pid, host, command, start time), so a second writer is refused
with one line naming the holder (:class:`DirectoryLockedError`, an ``OSError``); it is removed
when the lock is released. The kernel releases a ``flock`` when its process ends however it ends
(SIGKILL, power loss on a local disk), so a lock file left behind by a dead process is no
obstacle: the next writer takes the lock and writes its own name over the old one. Locks are re-entrant within one process (a function that
writes a directory may call another that locks it too). On a filesystem without ``flock`` the
directory is written unlocked.
"""

from __future__ import annotations

import errno
import json
import os
import socket
import sys
import time
from contextlib import contextmanager
from pathlib import Path

__all__ = ["LOCK_NAME", "DirectoryLockedError", "lock_directory", "holder_text"]

LOCK_NAME = ".lock"
_HELD: dict = {}            # resolved directory -> [fd, count, created]

try:
    import fcntl
except ImportError:         # pragma: no cover - not POSIX
    fcntl = None


class DirectoryLockedError(OSError):
    """Another process is writing the directory; the message names it."""


def _command() -> str:
    argv = [Path(sys.argv[0]).name if sys.argv and sys.argv[0] else "python", *sys.argv[1:]]
    text = " ".join(argv)
    return text if len(text) <= 200 else text[:197] + "..."


def holder_text(info) -> str:
    """``"pid 123 on host, `entropy-ref train --out rc`, since 2026-01-02 10:11:12"``."""
    if not isinstance(info, dict) or "pid" not in info:
        return "a process that has not yet written its name"
    return (f"pid {info.get('pid')} on {info.get('host', '?')}, `{info.get('command', '?')}`, "
            f"since {info.get('started', '?')}")


def _read_holder(fd) -> dict | None:
    try:
        raw = os.pread(fd, 4096, 0)
        return json.loads(raw.decode("utf-8")) if raw else None
    except (OSError, ValueError):
        return None


def _acquire(directory: Path):
    """Open and flock ``directory/.lock``; return the fd (None when flock is unsupported)."""
    path = directory / LOCK_NAME
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            info = _read_holder(fd)
            os.close(fd)
            raise DirectoryLockedError(
                f"{directory} is being written by another process ({holder_text(info)}); wait "
                "for it to finish or stop it, or choose another directory") from None
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS, errno.EINVAL):
                return None         # no locking on this filesystem: write unlocked
            raise
        try:                        # the file we locked is still the one at the path?
            same = os.path.samestat(os.fstat(fd), os.stat(path))
        except FileNotFoundError:
            same = False
        if same:
            return fd
        os.close(fd)                # removed by a writer that was releasing it: try again


@contextmanager
def lock_directory(directory, command: str | None = None):
    """Hold the write lock of ``directory`` (created if missing) for the ``with`` block.

    Raises
    ------
    DirectoryLockedError
        Another process holds it: one line naming the holder (pid, host, command, start).

    Examples
    --------
    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp()) / "run"
    >>> with lock_directory(d):
    ...     print(sorted(p.name for p in d.iterdir()))
    ['.lock']
    >>> d.exists()             # created for the block and left empty: removed again
    False
    """
    directory = Path(directory)
    key = str(directory.resolve())
    if key in _HELD:
        _HELD[key][1] += 1
        try:
            yield directory
        finally:
            _HELD[key][1] -= 1
        return
    created = not directory.exists()
    directory.mkdir(parents=True, exist_ok=True)
    fd = _acquire(directory) if fcntl is not None else None
    if fd is not None:
        info = {"pid": os.getpid(), "host": socket.gethostname(),
                "command": command or _command(),
                "started": time.strftime("%Y-%m-%d %H:%M:%S")}
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(info) + "\n").encode("utf-8"), 0)
    _HELD[key] = [fd, 1, created]
    try:
        yield directory
    finally:
        del _HELD[key]
        _release(directory, fd, created)


def _release(directory: Path, fd, created: bool) -> None:
    """Remove the lock file (and the directory, when it was created for nothing), then unlock.

    The file is removed while the lock is still held; a process that opened it just before
    finds, once it has the lock, that the path no longer names the file it locked, and starts
    over (:func:`_acquire`).
    """
    try:
        (directory / LOCK_NAME).unlink(missing_ok=True)
        if created and not any(directory.iterdir()):
            directory.rmdir()
    except OSError:
        pass
    finally:
        if fd is not None:
            os.close(fd)                                        # releases the flock
