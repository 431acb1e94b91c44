"""Checked download of the four MNIST files (standard library ``urllib`` only).

Guarantees of :func:`download_mnist`:

* mirrors are tried in order, per file; a mirror that is down, answers with an HTTP error, sends a
  truncated body or a body with the wrong MD5 is skipped and the next one is tried;
* every byte goes to a hidden temp file inside ``dest_dir``; the temp files are renamed to their
  final names only after **all** missing files have been fetched and passed their MD5 check, so a
  failed or interrupted (Ctrl-C) call leaves ``dest_dir`` exactly as it was (directories it had
  to create are removed again);
* files already present with the expected MD5 are not downloaded again;
* temporary files left by a download that was killed outright (SIGKILL) are removed by the next
  call (see :func:`entropy_ref.storage.atomic.clean_stale_temps`).
"""

from __future__ import annotations

import hashlib
import http.client
import os
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path

from ..storage.atomic import clean_stale_temps, create_temp
from .idx import MNIST_FILES, MNIST_MD5, MNISTDataError, md5_file

__all__ = ["MNIST_MIRRORS", "MNISTDownloadError", "download_mnist"]

#: Public mirrors of the canonical gzip files, tried in this order.
MNIST_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)

#: Refuse bodies larger than this (the largest MNIST file is 9.9 MB; Fashion-MNIST's is 26 MB).
MAX_DOWNLOAD_BYTES = 64 * 2**20

_CHUNK = 1 << 16
_USER_AGENT = "entropy_ref-mnist-download (python urllib)"


class MNISTDownloadError(MNISTDataError, OSError):
    """No mirror delivered a file with the expected MD5 (unreachable, HTTP error, truncated...).

    It is an ``OSError`` (an I/O failure) and, like every data-side failure, an
    :class:`MNISTDataError` (hence a ``ValueError``), so one ``except`` clause handles all of them.
    """


class _Rejected(Exception):
    """A transfer completed but its content is unacceptable (truncated, too large, wrong MD5)."""


def download_mnist(dest_dir: str | os.PathLike, mirrors: Sequence[str] | None = None,
                   timeout: float = 30.0, progress: bool | None = None,
                   md5s: Mapping[str, str] | None = None) -> Path:
    """Download the four MNIST gzip files into ``dest_dir``, each checked against its MD5.

    Parameters
    ----------
    dest_dir : str or path-like
        Target directory (created if needed; removed again if the download fails).
    mirrors : sequence of str, optional
        Base URLs (``http://`` or ``https://``), tried in order for each file; default
        :data:`MNIST_MIRRORS`.
    timeout : float, optional
        Seconds to wait for the connection and for each read (not the whole transfer).
    progress : bool or None, optional
        Show a progress line on stderr. ``None`` (default): only when stderr is a terminal.
    md5s : mapping of str to str, optional
        role (the keys of :data:`MNIST_FILES`) -> expected hex MD5; default :data:`MNIST_MD5`.
        Override only to serve other files (tests serve small synthetic ones).

    Returns
    -------
    dest : Path
        ``dest_dir``, now holding the four files.

    Raises
    ------
    MNISTDownloadError
        If some file could not be obtained from any mirror; the message lists each attempt.
        Nothing is left behind (no temp files, no partial set of new files).
    ValueError
        For a bad ``mirrors``, ``timeout`` or ``md5s`` argument.

    Examples
    --------
    Files already present with the expected MD5 are kept, and nothing is fetched:

    >>> import tempfile
    >>> from entropy_ref.data import write_synthetic_mnist, md5_file, MNIST_FILES
    >>> d = write_synthetic_mnist(tempfile.mkdtemp(), n_train=20, n_test=10)
    >>> sums = {role: md5_file(d / name) for role, name in MNIST_FILES.items()}
    >>> download_mnist(d, mirrors=["http://127.0.0.1:9/"], md5s=sums) == d
    True
    """
    dest = Path(dest_dir).expanduser()
    mirrors = _check_mirrors(MNIST_MIRRORS if mirrors is None else mirrors)
    md5s = _check_md5s(MNIST_MD5 if md5s is None else md5s)
    if not timeout > 0:
        raise ValueError(f"download_mnist: timeout must be > 0 seconds, got {timeout!r}")
    if dest.exists() and not dest.is_dir():
        raise NotADirectoryError(f"download_mnist: {dest} exists and is not a directory")
    show = sys.stderr.isatty() if progress is None else bool(progress)
    clean_stale_temps(dest)            # temporaries of a download killed by SIGKILL
    todo = [role for role, name in MNIST_FILES.items()
            if not ((dest / name).is_file() and md5_file(dest / name) == md5s[role])]
    if not todo:
        return dest
    created = _make_dirs(dest)
    temps: dict[str, Path] = {}
    try:
        for role in todo:
            temps[role] = _fetch_checked(MNIST_FILES[role], md5s[role], mirrors, dest, timeout,
                                         show)
        for role, tmp in temps.items():
            os.replace(tmp, dest / MNIST_FILES[role])
    except BaseException:
        for tmp in temps.values():
            tmp.unlink(missing_ok=True)
        for directory in created:  # leaf first; stops at the first non-empty one
            try:
                directory.rmdir()
            except OSError:
                break
        raise
    return dest


def _fetch_checked(name: str, md5: str, mirrors: list[str], dest: Path, timeout: float,
                   show: bool) -> Path:
    """Fetch ``name`` from the first mirror that delivers it intact; return the temp file."""
    failures = []
    for base in mirrors:
        url = urllib.parse.urljoin(base, name)
        fd, tmp = create_temp(dest, name)
        try:
            got = _fetch(url, fd, timeout, _Progress(name, url, show))
            if got != md5:
                raise _Rejected(f"MD5 mismatch: got {got}, expected {md5}")
            return tmp
        except (OSError, http.client.HTTPException, _Rejected) as exc:
            tmp.unlink(missing_ok=True)
            failures.append(f"  {url}: {_describe(exc)}")
        except BaseException:  # KeyboardInterrupt, ...: clean up, then let it through
            tmp.unlink(missing_ok=True)
            raise
    raise MNISTDownloadError(f"could not download {name} into {dest}: every mirror failed:\n"
                             + "\n".join(failures) + f"\nNothing was written to {dest}.")


def _fetch(url: str, fd: int, timeout: float, bar: _Progress) -> str:
    """Stream ``url`` into the open file ``fd`` (closed on return); return the body's hex MD5."""
    with os.fdopen(fd, "wb") as out:
        request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            if response.status != 200:
                raise _Rejected(f"unexpected HTTP status {response.status}")
            header = response.headers.get("Content-Length")
            total = int(header) if header and header.isdigit() else None
            if total is not None and total > MAX_DOWNLOAD_BYTES:
                raise _Rejected(f"announced size {total} bytes exceeds {MAX_DOWNLOAD_BYTES}")
            digest, received = hashlib.md5(), 0
            bar.start(total)
            try:
                while chunk := response.read(_CHUNK):
                    received += len(chunk)
                    if received > MAX_DOWNLOAD_BYTES:
                        raise _Rejected(f"body exceeds {MAX_DOWNLOAD_BYTES} bytes")
                    digest.update(chunk)
                    out.write(chunk)
                    bar.update(received)
            finally:
                bar.close()
            if total is not None and received != total:
                raise _Rejected(f"transfer truncated: received {received} of {total} bytes")
        out.flush()
        os.fsync(out.fileno())
    return digest.hexdigest()


class _Progress:
    """One self-overwriting progress line on stderr (a no-op when disabled)."""

    def __init__(self, name: str, url: str, enabled: bool) -> None:
        self.label = f"{name} from {urllib.parse.urlsplit(url).netloc}"
        self.enabled, self.total, self.last = enabled, None, 0.0

    def start(self, total: int | None) -> None:
        self.total = total

    def update(self, received: int) -> None:
        now = time.monotonic()
        if not self.enabled or (now - self.last < 0.1 and received != self.total):
            return
        self.last = now
        size = f"{received / 1e6:.1f} MB"
        if self.total:
            size = f"{100 * received // self.total:3d}% ({size} of {self.total / 1e6:.1f} MB)"
        sys.stderr.write(f"\r  {self.label}: {size}")
        sys.stderr.flush()

    def close(self) -> None:
        if self.enabled and self.last:
            sys.stderr.write("\n")
            sys.stderr.flush()


def _describe(exc: BaseException) -> str:
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    if isinstance(exc, urllib.error.URLError):
        return f"cannot connect ({exc.reason})"
    if isinstance(exc, TimeoutError):
        return "timed out"
    return str(exc) or type(exc).__name__


def _check_mirrors(mirrors: Sequence[str]) -> list[str]:
    if isinstance(mirrors, str):
        mirrors = [mirrors]
    out = []
    for base in mirrors:
        if urllib.parse.urlsplit(str(base)).scheme not in ("http", "https"):
            raise ValueError(f"download_mnist: mirror {base!r} is not an http(s) URL")
        out.append(str(base) if str(base).endswith("/") else f"{base}/")
    if not out:
        raise ValueError("download_mnist: no mirrors given")
    return out


def _check_md5s(md5s: Mapping[str, str]) -> dict[str, str]:
    if set(md5s) != set(MNIST_FILES):
        raise ValueError(f"download_mnist: md5s must have exactly the keys {sorted(MNIST_FILES)}, "
                         f"got {sorted(md5s)}")
    out = {role: str(value).lower() for role, value in md5s.items()}
    for role, value in out.items():
        if not re.fullmatch(r"[0-9a-f]{32}", value):
            raise ValueError(f"download_mnist: md5s[{role!r}] = {value!r} is not a hex MD5 digest")
    return out


def _make_dirs(dest: Path) -> list[Path]:
    """``mkdir -p dest``; return the directories it created, leaf first."""
    created, p = [], dest
    while not p.exists():
        created.append(p)
        p = p.parent
    dest.mkdir(parents=True, exist_ok=True)
    return created
