"""IDX files (the MNIST container format): validated reader, atomic writer, MNIST file facts.

An IDX file is a 4-byte magic number ``0x00 0x00 <dtype code> <ndim>``, then ``ndim`` big-endian
uint32 dimensions, then the array data in C order, big-endian. MNIST images are ``0x00000803``
(uint8, 3 dimensions) and labels ``0x00000801`` (uint8, 1 dimension). Files may be gzip-compressed;
compression is detected from the gzip magic bytes ``1f 8b``, never from the file name.

Every structural problem (bad gzip stream, bad magic, unknown dtype code, wrong data length,
trailing bytes, dimensions whose product overflows, more than :data:`MAX_IDX_BYTES` on disk or
after decompression) raises :class:`MNISTDataError` naming the file and what is wrong.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import math
import os
import zlib
from pathlib import Path

import numpy as np

from ..storage.atomic import atomic_write_bytes

__all__ = [
    "MNISTDataError",
    "MNIST_FILES",
    "MNIST_MD5",
    "MNIST_RAW_MD5",
    "IDX_DTYPES",
    "MAX_IDX_BYTES",
    "read_idx",
    "read_bounded",
    "parse_idx",
    "write_idx",
    "md5_file",
]

#: role -> canonical (gzip) file name; uncompressed copies (name without ``.gz``) are accepted too.
MNIST_FILES = {
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}

#: role -> MD5 of the canonical gzip file (the published values, as checked by torchvision).
MNIST_MD5 = {
    "train_images": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train_labels": "d53e105ee54ea40749a09fcbcd1e9432",
    "test_images": "9fb629c4189551a2d022fa330f9573f3",
    "test_labels": "ec29112dd5afa0611ce80d1b7f02629c",
}

#: role -> MD5 of the canonical file after decompression (for uncompressed local copies).
MNIST_RAW_MD5 = {
    "train_images": "6bbc9ace898e44ae57da46a324031adb",
    "train_labels": "a25bea736e30d166cdddb491f175f624",
    "test_images": "2646ac647ad5339dbf082846283269ea",
    "test_labels": "27ae3e4e09519cfbb04c329615203637",
}

#: IDX dtype code -> big-endian NumPy dtype (the six codes of the format).
IDX_DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODE_OF_KIND = {(dt.kind, dt.itemsize): code for code, dt in IDX_DTYPES.items()}
_GZIP_MAGIC = b"\x1f\x8b"
#: largest decompressed IDX file read (MNIST's biggest is 47 MB, Fashion-/EMNIST's a few 100 MB)
MAX_IDX_BYTES = 2**30


class MNISTDataError(ValueError):
    """An IDX/MNIST file (or array) is malformed: corrupt, truncated, or inconsistent."""


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (gzip or raw, detected by its magic bytes) into a native-endian array.

    Parameters
    ----------
    path : str or path-like
        The file to read.

    Returns
    -------
    array : ndarray, shape given by the file's dimensions
        A fresh, writable, native-endian array (``uint8`` for MNIST).

    Raises
    ------
    MNISTDataError
        If the gzip stream is corrupt or truncated, the magic number or dtype code is invalid,
        or the data length does not match the dimensions (the message names the file).

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> d = tempfile.mkdtemp()
    >>> write_idx(f"{d}/a.gz", np.arange(6, dtype=np.uint8).reshape(2, 3))
    >>> read_idx(f"{d}/a.gz")
    array([[0, 1, 2],
           [3, 4, 5]], dtype=uint8)
    """
    path = Path(path)
    return parse_idx(read_bounded(path), name=str(path))


def read_bounded(path: str | os.PathLike) -> bytes:
    """The bytes of ``path``; :class:`MNISTDataError` if it is larger than :data:`MAX_IDX_BYTES`.

    Examples
    --------
    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "f"
    >>> _ = p.write_bytes(b"abc")
    >>> read_bounded(p)
    b'abc'
    """
    path = Path(path)
    with open(path, "rb") as f:
        data = f.read(MAX_IDX_BYTES + 1)
    if len(data) > MAX_IDX_BYTES:
        raise MNISTDataError(f"{path}: larger than {MAX_IDX_BYTES} bytes, far more than any "
                             "MNIST-format file; not using it")
    return data


def parse_idx(data: bytes, name: str = "<bytes>") -> np.ndarray:
    """Decode the bytes of an IDX file (gzip or raw); ``name`` is used in error messages.

    Parameters
    ----------
    data : bytes
        The file contents, gzip-compressed or not.
    name : str, optional
        How to refer to the data in error messages (usually the file path).

    Returns
    -------
    array : ndarray
        As for :func:`read_idx`.

    Examples
    --------
    >>> parse_idx(bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 8, 9]))
    array([7, 8, 9], dtype=uint8)
    >>> parse_idx(b"\\x00\\x00\\x08\\x01\\x00\\x00\\x00\\x05\\x07", name="x.idx")
    Traceback (most recent call last):
    ...
    entropy_ref.data.idx.MNISTDataError: x.idx: truncated IDX data: dimensions (5,) need
    5 bytes of uint8 data after the 8-byte header, found 1
    """
    if data[:2] == _GZIP_MAGIC:
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(data)) as f:
                data = f.read(MAX_IDX_BYTES + 1)          # bounded: no decompression bomb
            if len(data) > MAX_IDX_BYTES:
                raise MNISTDataError(f"{name}: decompresses to more than {MAX_IDX_BYTES} bytes, "
                                     "far more than any MNIST-format file; not using it")
        except EOFError as exc:
            raise MNISTDataError(f"{name}: truncated gzip stream ({exc}); the file is incomplete, "
                                 "delete it and fetch it again") from exc
        except (OSError, zlib.error) as exc:
            raise MNISTDataError(f"{name}: corrupt gzip stream ({exc}); delete it and fetch it "
                                 "again") from exc
    if len(data) < 4:
        raise MNISTDataError(f"{name}: too short for an IDX file ({len(data)} bytes, the magic "
                             "number alone needs 4)")
    zero, code, ndim = int.from_bytes(data[:2], "big"), data[2], data[3]
    expected = ("expected 0x0000 + dtype code + ndim, e.g. 0x00000803 for MNIST images, "
                "0x00000801 for labels")
    if zero != 0:
        raise MNISTDataError(f"{name}: bad IDX magic number 0x{data[:4].hex()} ({expected}); "
                             "not an IDX file, or corrupted")
    if code not in IDX_DTYPES:
        raise MNISTDataError(f"{name}: bad IDX magic number 0x{data[:4].hex()}: unknown dtype code "
                             f"0x{code:02x} (valid: {', '.join(f'0x{c:02x}' for c in IDX_DTYPES)})")
    if ndim == 0:
        raise MNISTDataError(f"{name}: bad IDX magic number 0x{data[:4].hex()}: zero dimensions")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise MNISTDataError(f"{name}: truncated IDX header: {ndim} dimensions need {header} "
                             f"bytes, file has {len(data)}")
    dims = tuple(int(d) for d in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    dtype = IDX_DTYPES[code]
    need = math.prod(dims) * dtype.itemsize       # Python ints: no int64 overflow
    have = len(data) - header
    if have != need:
        what = "truncated IDX data" if have < need else "trailing bytes after IDX data"
        raise MNISTDataError(f"{name}: {what}: dimensions {dims} need {need} bytes of "
                             f"{dtype.newbyteorder('=').name} data after the {header}-byte header, "
                             f"found {have}")
    flat = np.frombuffer(data, dtype=dtype, offset=header)
    return flat.astype(dtype.newbyteorder("="), copy=True).reshape(dims)


def write_idx(path: str | os.PathLike, array: np.ndarray, compress: bool = True) -> None:
    """Write ``array`` as an IDX file, atomically (temp file in the same directory, then rename).

    Parameters
    ----------
    path : str or path-like
        Destination file; its parent directory must exist. The name does not decide compression.
    array : ndarray, any shape with ndim >= 1
        dtype uint8, int8, int16, int32, float32 or float64 (any byte order; stored big-endian).
    compress : bool, optional
        gzip the file (default). The gzip header carries no time stamp, so output is reproducible.

    Raises
    ------
    ValueError
        If the dtype has no IDX code, the array is 0-d, or a dimension does not fit in uint32.

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> d = tempfile.mkdtemp()
    >>> write_idx(f"{d}/w.idx", np.array([1.5, -2.0], dtype=np.float32), compress=False)
    >>> open(f"{d}/w.idx", "rb").read()[:4].hex()   # 0x0d = float32, 1 dimension
    '00000d01'
    """
    array = np.asarray(array)
    code = _CODE_OF_KIND.get((array.dtype.kind, array.dtype.itemsize))
    if code is None or array.dtype.kind not in "uif":
        raise ValueError(f"write_idx: dtype {array.dtype} has no IDX code; use one of "
                         f"{', '.join(dt.newbyteorder('=').name for dt in IDX_DTYPES.values())}")
    if array.ndim == 0 or array.ndim > 255:
        raise ValueError(f"write_idx: IDX stores 1 to 255 dimensions, got a {array.ndim}-d array")
    if any(d >= 2**32 for d in array.shape):
        raise ValueError(f"write_idx: dimension too large for IDX (uint32): shape {array.shape}")
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
    payload = header + np.ascontiguousarray(array, dtype=IDX_DTYPES[code]).tobytes()
    if compress:
        payload = gzip.compress(payload, compresslevel=6, mtime=0)
    atomic_write_bytes(path, payload)


def md5_file(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    """Hex MD5 digest of a file, read in chunks.

    Examples
    --------
    >>> import tempfile
    >>> p = tempfile.mkdtemp() + "/e"
    >>> _ = open(p, "wb").write(b"")
    >>> md5_file(p)
    'd41d8cd98f00b204e9800998ecf8427e'
    """
    h = hashlib.md5()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()
