"""Reading files back without trusting them: one error type and two readers for every file the package reads.

Every file the project reads back (a run's ``config.json``, ``history.json`` and ``model.npz``,
a cached curve, the golden set, a ``verify`` input) is read through :func:`read_json` or
:func:`read_npz`, and any corruption is reported as :class:`CorruptFileError`: one line naming the
file and what is wrong with it. Operating-system failures (no such file, no permission) stay
``OSError``; the command line turns those into one line too.

:func:`read_npz` never lets a file decide how much memory is used before it has been checked: it
reads the ``.npy`` header of each member first (``numpy.lib.format``), checks the declared shape
and dtype against the member's declared size and against what the caller expects (``select``),
and only then reads at most that many bytes, straight into the array (no second copy).
"""

from __future__ import annotations

import json
import math
import struct
import zipfile
import zlib
from pathlib import Path

import numpy as np
from numpy.lib import format as npy_format

from ..errors import CorruptFileError

__all__ = ["CorruptFileError", "corrupt", "read_json", "read_npz", "NPY_MAGIC",
           "MAX_JSON_BYTES", "MAX_NPZ_BYTES"]

#: the first six bytes of every ``.npy`` file
NPY_MAGIC = b"\x93NUMPY"
#: largest JSON file read back (the biggest the project writes is a few hundred KiB)
MAX_JSON_BYTES = 64 * 2**20
#: default bound on the bytes :func:`read_npz` decompresses from one file
MAX_NPZ_BYTES = 2**30
_CHUNK = 1 << 20

# Raised by zipfile / zlib / numpy.lib.format on malformed input (OSError is handled apart).
_FORMAT_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, ValueError, KeyError, struct.error,
                  NotImplementedError, RuntimeError, UnicodeDecodeError, OverflowError,
                  SyntaxError, TypeError, RecursionError)
# OSErrors that are about access, not content: left to the caller (the CLI names the path).
_ACCESS_ERRORS = (FileNotFoundError, PermissionError, IsADirectoryError, NotADirectoryError)


def _one_line(text) -> str:
    return " ".join(str(text).split())


def corrupt(path, what: str, detail) -> CorruptFileError:
    """The error for a corrupt file: ``"<path>: corrupt <what> (<detail>)"`` on one line.

    Examples
    --------
    >>> str(corrupt("run/model.npz", "checkpoint", "epoch is -1"))
    'run/model.npz: corrupt checkpoint (epoch is -1)'
    """
    return CorruptFileError(f"{path}: corrupt {what} ({_one_line(detail)})")


def read_json(path, what: str, expect: type | None = dict):
    """Parse a JSON file; :class:`CorruptFileError` naming ``path`` when it is not valid JSON.

    Parameters
    ----------
    path : path-like
    what : str
        What the file is, for the message (``"config"``, ``"history"``, ...).
    expect : type or None, default dict
        The type the top-level value must have (``None``: any).

    Raises
    ------
    OSError
        The file cannot be opened (missing, no permission, a directory).
    CorruptFileError
        Not UTF-8, not JSON, nested absurdly deep, larger than :data:`MAX_JSON_BYTES`, or not
        of type ``expect``.

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "c.json")
    >>> _ = open(p, "w").write("[1, 2")
    >>> read_json(p, "config")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    entropy_ref.errors.CorruptFileError: ...c.json: corrupt config (not valid JSON: ...)
    """
    path = Path(path)
    with open(path, "rb") as f:
        raw = f.read(MAX_JSON_BYTES + 1)
    if len(raw) > MAX_JSON_BYTES:
        raise corrupt(path, what, f"larger than {MAX_JSON_BYTES} bytes")
    try:
        obj = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise corrupt(path, what, f"not UTF-8 text: {exc}") from None
    except json.JSONDecodeError as exc:
        raise corrupt(path, what, f"not valid JSON: {exc}") from None
    except RecursionError:
        raise corrupt(path, what, "JSON nested too deeply") from None
    if expect is not None and not isinstance(obj, expect):
        kind = {dict: "a JSON object", list: "a JSON list"}.get(expect, expect.__name__)
        raise corrupt(path, what, f"expected {kind}, found {type(obj).__name__}")
    return obj


def _read_header(f, version):
    if version == (1, 0):
        return npy_format.read_array_header_1_0(f)
    if version == (2, 0):
        return npy_format.read_array_header_2_0(f)
    raise ValueError(f"unsupported .npy format version {version[0]}.{version[1]}")


def _read_into(f, count: int, dtype: np.dtype) -> np.ndarray:
    """Read exactly ``count`` items of ``dtype`` from ``f`` into a new flat array, in chunks."""
    flat = np.empty(count, dtype=dtype)
    view = memoryview(flat.view(np.uint8)) if flat.nbytes else memoryview(b"")
    pos, n = 0, flat.nbytes
    while pos < n:
        chunk = f.read(min(_CHUNK, n - pos))
        if not chunk:
            raise EOFError(f"data ends after {pos} of {n} bytes")
        view[pos:pos + len(chunk)] = chunk
        pos += len(chunk)
    if f.read(1):                   # also makes zipfile check the member's CRC-32
        raise ValueError("data continues past the size its header declares")
    return flat


def _headers(zf, path, what):
    """First pass: the declared header of every member, checked against the member's size."""
    headers = {}
    for info in zf.infolist():
        member = info.filename
        if not member.endswith(".npy"):
            raise corrupt(path, what, f"member {member!r} is not a .npy array")
        if member[:-4] in headers:
            raise corrupt(path, what, f"member {member!r} appears twice")
        try:
            with zf.open(info) as f:
                version = npy_format.read_magic(f)
                shape, fortran, dtype = _read_header(f, version)
                header_len = f.tell()
        except _ACCESS_ERRORS:
            raise
        except (OSError, *_FORMAT_ERRORS) as exc:
            raise corrupt(path, what, f"member {member!r}: unreadable .npy header "
                          f"({type(exc).__name__}: {exc})") from None
        nbytes = math.prod(shape) * dtype.itemsize
        if not dtype.hasobject and info.file_size - header_len != nbytes:
            raise corrupt(path, what, f"member {member!r}: its header declares shape {shape} of "
                          f"{dtype} ({nbytes} bytes) but the archive holds "
                          f"{info.file_size - header_len} bytes of data")
        headers[member[:-4]] = (info, shape, fortran, dtype, header_len)
    return headers


def read_npz(path, what: str, select=None, headers_check=None, max_bytes: int = MAX_NPZ_BYTES):
    """Read an ``.npz`` archive defensively: all headers first, bounded reads, no pickles.

    Parameters
    ----------
    path : path-like
    what : str
        What the file is, for messages (``"checkpoint"``, ``"golden set"``, ...).
    select : callable, optional
        ``select(key, shape, dtype)`` is called with each member's declared header before any
        data is read. Return ``True`` to read it, ``False`` to skip it silently, or a string:
        a problem with this member (it is then not read). Default: read every member.
    headers_check : callable, optional
        ``headers_check({key: (shape, dtype)})`` is called once with every header before any
        data is read; a returned string is the problem that makes the file corrupt.
    max_bytes : int
        Bound on the bytes of array data read from the file in total.

    Returns
    -------
    arrays : dict of str -> ndarray
        The members read (keys without ``.npy``), in file order.
    problems : list of str
        ``"<key>: <problem>"`` for members that ``select`` refused or that hold Python objects
        (pickles are never loaded).

    Raises
    ------
    OSError
        The file cannot be opened.
    CorruptFileError
        Not a zip archive, a member that is not ``.npy``, a duplicate member, a malformed or
        truncated member, a bad CRC, a member larger than its header declares, a problem
        returned by ``headers_check``, or more than ``max_bytes`` of data.

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "a.npz")
    >>> np.savez(p, x=np.arange(3), s=np.array("hi"))
    >>> arrays, problems = read_npz(p, "example")
    >>> arrays["x"].tolist(), str(arrays["s"]), problems
    ([0, 1, 2], 'hi', [])
    >>> read_npz(p, "example", select=lambda k, shape, dt: k == "x")[0].keys()
    dict_keys(['x'])
    """
    path = Path(path)
    arrays, problems, budget = {}, [], int(max_bytes)
    with _open_zip(path, what) as zf:
        headers = _headers(zf, path, what)
        if headers_check is not None:
            problem = headers_check({k: (h[1], h[3]) for k, h in headers.items()})
            if problem:
                raise corrupt(path, what, problem)
        for key, (info, shape, fortran, dtype, header_len) in headers.items():
            wanted = _wanted(select, key, shape, dtype)
            if wanted is False:
                continue
            if wanted is not True:
                problems.append(f"{key}: {wanted}")
                continue
            nbytes = math.prod(shape) * dtype.itemsize
            budget -= nbytes
            if budget < 0:
                raise corrupt(path, what, f"its arrays hold more than {max_bytes} bytes "
                              f"(member {info.filename!r} is {nbytes} bytes)")
            flat = _read_member(zf, info, header_len, math.prod(shape), dtype, path, what)
            arrays[key] = flat.reshape(shape, order="F" if fortran else "C")
    return arrays, problems


def _open_zip(path: Path, what: str) -> zipfile.ZipFile:
    """``path`` opened as a zip archive; a bare ``.npy`` file or a non-zip is a corrupt file."""
    with open(path, "rb") as f:
        head = f.read(len(NPY_MAGIC))
    if head == NPY_MAGIC:
        raise CorruptFileError(f"{path}: corrupt {what} (holds a single array (.npy), not an "
                               ".npz archive of named arrays)")
    try:
        return zipfile.ZipFile(path)
    except _ACCESS_ERRORS:
        raise
    except (OSError, *_FORMAT_ERRORS) as exc:
        raise CorruptFileError(f"{path}: corrupt {what} (not a readable .npz file: "
                               f"{_one_line(exc)})") from None


def _wanted(select, key, shape, dtype):
    """True (read the member), False (skip it) or a string: why it is not read."""
    wanted = True if select is None else select(key, shape, dtype)
    if wanted is True and dtype.hasobject:
        return "stored as Python objects (pickled); save numeric arrays"
    return wanted


def _read_member(zf, info, header_len: int, count: int, dtype, path, what) -> np.ndarray:
    """The ``count`` items of a member whose header (``header_len`` bytes) was checked."""
    try:
        with zf.open(info) as f:
            f.read(header_len)
            return _read_into(f, count, dtype)
    except _ACCESS_ERRORS:
        raise
    except (OSError, *_FORMAT_ERRORS) as exc:
        raise corrupt(path, what, f"member {info.filename!r}: {type(exc).__name__}: "
                      f"{exc}") from None
