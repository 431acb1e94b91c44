"""Finding, loading and validating the MNIST files; the project's preprocessing.

Lookup order (see :func:`find_mnist_dir`):

1. an explicit ``data_dir`` argument. When given it is the **only** place used: a ``data_dir``
   that lacks the files is an error, never a silent fall-through to another copy, so what you ask
   for is what you get;
2. otherwise the directory named by the environment variable ``ENTROPY_REF_DATA`` (if set and
   non-empty), then
3. the user cache directory ``$XDG_CACHE_HOME/entropy_ref/mnist`` (default
   ``~/.cache/entropy_ref/mnist``); the first of 2-3 holding all four files wins.

A directory qualifies when it holds all four files of :data:`MNIST_FILES`, each either
gzip-compressed (the canonical name) or uncompressed (the name without ``.gz``); the gzip one is
preferred when both exist. With ``load_mnist(download=True)`` a miss downloads into the first
place of that order.
The places themselves, and what happens without a home directory, are :mod:`.places`'s.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path
from typing import NamedTuple

import numpy as np

from .download import download_mnist
from .idx import MNIST_FILES, MNIST_MD5, MNIST_RAW_MD5, MNISTDataError, parse_idx, read_bounded
from .places import ENV_VAR, NoHomeError, default_cache_dir, expand_home, search_dirs

__all__ = ["ENV_VAR", "MNIST", "MNISTNotFoundError", "NoHomeError", "expand_home",
           "default_cache_dir", "search_dirs",
           "mnist_paths", "find_mnist_dir", "load_mnist", "validate_mnist", "to_features"]

_NOTICED: set[str] = set()  # directories whose non-canonical MD5 notice was already printed


class MNISTNotFoundError(FileNotFoundError):
    """The MNIST files are not where :func:`find_mnist_dir` looked; the message says what to do."""


class MNIST(NamedTuple):
    """The four MNIST arrays, as stored in the files (no preprocessing)."""

    train_images: np.ndarray  #: uint8, shape (N_train, 28, 28)
    train_labels: np.ndarray  #: uint8, shape (N_train,), values 0..9
    test_images: np.ndarray   #: uint8, shape (N_test, 28, 28)
    test_labels: np.ndarray   #: uint8, shape (N_test,), values 0..9


def mnist_paths(directory: str | os.PathLike) -> dict[str, Path | None]:
    """role -> the file present in ``directory`` for it (gzip name preferred), or None if absent.

    Examples
    --------
    >>> import tempfile
    >>> mnist_paths(tempfile.mkdtemp())["train_images"] is None
    True
    """
    directory = Path(directory)
    found: dict[str, Path | None] = {}
    for role, name in MNIST_FILES.items():
        candidates = [directory / name, directory / name.removesuffix(".gz")]
        found[role] = next((p for p in candidates if p.is_file()), None)
    return found


def find_mnist_dir(data_dir: str | os.PathLike | None = None) -> Path:
    """Return the directory holding the four MNIST files, following the module's lookup order.

    Parameters
    ----------
    data_dir : str or path-like, optional
        If given, the only place looked in (no fall-through).

    Returns
    -------
    directory : Path

    Raises
    ------
    MNISTNotFoundError
        Listing the expected file names, every place looked in (with what was missing) and how to
        get the files.

    Examples
    --------
    >>> import tempfile
    >>> from entropy_ref.data import write_synthetic_mnist
    >>> d = write_synthetic_mnist(tempfile.mkdtemp(), n_train=20, n_test=10)
    >>> find_mnist_dir(d) == d
    True
    >>> find_mnist_dir(d / "nowhere")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    entropy_ref.data.locate.MNISTNotFoundError: MNIST data not found...
    """
    places = search_dirs(data_dir)
    report = []
    for i, (place, origin) in enumerate(places, 1):
        if not place.is_dir():
            why = "not a directory" if place.exists() else "directory does not exist"
        else:
            missing = [MNIST_FILES[r] for r, p in mnist_paths(place).items() if p is None]
            if not missing:
                return place
            why = f"missing {', '.join(missing)}"
        report.append(f"  {i}. {place}  ({origin}): {why}")
    only = " (an explicit data_dir is the only place used)" if data_dir is not None else ""
    raise MNISTNotFoundError(
        "MNIST data not found. Expected the four files "
        f"{', '.join(MNIST_FILES.values())} (uncompressed copies without '.gz' are accepted "
        f"too). Looked in{only}:\n" + "\n".join(report) + "\n" + _remedy(places))


def _remedy(places) -> str:
    """How to get the files; never suggests downloading into something that is not a directory."""
    target, origin = places[0]
    if target.exists() and not target.is_dir():
        return (f"{target} ({origin}) is a file, not a directory, so nothing can be downloaded "
                f"there: point {origin} at a directory (new or holding the files), then run "
                "`entropy-ref train --download`, or copy the files there.")
    return (f"To get them: run `entropy-ref train --download` (downloads into {target}), or "
            f"copy the files into one of the places above, or set {ENV_VAR} to a directory that "
            "holds them.")


def load_mnist(data_dir: str | os.PathLike | None = None, download: bool = False,
               verbose: bool = True) -> MNIST:
    """Find (or download), read and validate the four MNIST files.

    Parameters
    ----------
    data_dir : str or path-like, optional
        Explicit directory; see :func:`find_mnist_dir` for the lookup order without it.
    download : bool, optional
        On a miss, download into the first place of the lookup order (checked, atomic) instead of
        raising :class:`MNISTNotFoundError`.
    verbose : bool, optional
        Print notices and download progress (when attached to a terminal) on stderr.

    Returns
    -------
    data : MNIST
        ``train_images`` uint8 (N_train, 28, 28), ``train_labels`` uint8 (N_train,), and the same
        for ``test_*``.

    Raises
    ------
    MNISTNotFoundError
        Files missing and ``download`` false.
    MNISTDataError
        A file is corrupt, truncated, of the wrong shape or dtype, has labels outside 0..9, or
        the image and label counts of a split differ (the message names the file).

    Notes
    -----
    Files that pass validation but whose MD5 differs from the canonical one (re-compressed
    copies are common) are used, with a one-line notice on stderr, printed once per directory.

    Examples
    --------
    >>> import tempfile
    >>> from entropy_ref.data import write_synthetic_mnist
    >>> d = write_synthetic_mnist(tempfile.mkdtemp(), n_train=20, n_test=10)
    >>> data = load_mnist(d, verbose=False)
    >>> data.train_images.shape, data.train_labels.dtype, data.test_labels.shape
    ((20, 28, 28), dtype('uint8'), (10,))
    """
    try:
        directory = find_mnist_dir(data_dir)
    except MNISTNotFoundError:
        if not download:
            raise
        target = search_dirs(data_dir)[0][0]
        if target.exists() and not target.is_dir():
            raise                 # the message says the target is a file (see _remedy)
        if verbose:
            print(f"entropy_ref: downloading MNIST into {target}", file=sys.stderr)
        directory = download_mnist(target, progress=None if verbose else False)
    arrays, names, differing = {}, {}, []
    for role, path in mnist_paths(directory).items():
        raw = read_bounded(path)
        canonical = MNIST_MD5 if raw[:2] == b"\x1f\x8b" else MNIST_RAW_MD5
        if hashlib.md5(raw).hexdigest() != canonical[role]:
            differing.append(path.name)
        arrays[role], names[role] = parse_idx(raw, name=str(path)), str(path)
    data = MNIST(**arrays)
    validate_mnist(data, names)
    key = str(Path(directory).resolve())
    if differing and verbose and key not in _NOTICED:
        _NOTICED.add(key)
        print(f"entropy_ref: note: {', '.join(differing)} in {directory} differ from the canonical "
              "MNIST files (MD5) but pass validation; using them as-is", file=sys.stderr)
    return data


def validate_mnist(data: MNIST, names: dict[str, str] | None = None) -> None:
    """Check dtypes, shapes, labels in 0..9 and per-split counts; MNISTDataError names the file.

    Parameters
    ----------
    data : MNIST
        The four arrays.
    names : dict of str to str, optional
        role -> file name used in messages (default: the role).

    Examples
    --------
    >>> import numpy as np
    >>> x, y = np.zeros((2, 28, 28), np.uint8), np.array([3, 12], np.uint8)
    >>> validate_mnist(MNIST(x, y, x, y[:1]), {"train_labels": "lab.gz"})
    Traceback (most recent call last):
    ...
    entropy_ref.data.idx.MNISTDataError: lab.gz: labels must be digits 0..9;
    found 1 bad value(s), e.g. 12 at index 1
    """
    names = {role: (names or {}).get(role, role) for role in MNIST_FILES}
    for split in ("train", "test"):
        images, labels = getattr(data, f"{split}_images"), getattr(data, f"{split}_labels")
        img_name, lab_name = names[f"{split}_images"], names[f"{split}_labels"]
        if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (28, 28):
            raise MNISTDataError(f"{img_name}: expected uint8 images of shape (N, 28, 28), got "
                                 f"{images.dtype} {images.shape}")
        if len(images) == 0:
            raise MNISTDataError(f"{img_name}: contains no images")
        if labels.dtype != np.uint8 or labels.ndim != 1:
            raise MNISTDataError(f"{lab_name}: expected uint8 labels of shape (N,), got "
                                 f"{labels.dtype} {labels.shape}")
        bad = np.flatnonzero(labels > 9)
        if bad.size:
            raise MNISTDataError(f"{lab_name}: labels must be digits 0..9; found {bad.size} bad "
                                 f"value(s), e.g. {labels[bad[0]]} at index {bad[0]}")
        if len(labels) != len(images):
            raise MNISTDataError(f"{lab_name}: {len(labels)} labels but {img_name} has "
                                 f"{len(images)} images; the {split} files do not belong together")


def to_features(images: np.ndarray, dtype: np.dtype | type = np.float32) -> np.ndarray:
    """The project's documented preprocessing: flatten and scale pixels to [0, 1] (``pixel / 255``).

    No mean/std normalisation is applied (the paper's MLP is trained on raw [0, 1] pixels).

    Parameters
    ----------
    images : ndarray, uint8, shape (N, 28, 28) (any (N, ...) works)
    dtype : floating dtype, optional
        float32 (default, for training speed) or float64.

    Returns
    -------
    features : ndarray, shape (N, 784), values in [0, 1]

    Examples
    --------
    >>> import numpy as np
    >>> x = to_features(np.full((2, 28, 28), 255, np.uint8))
    >>> x.shape, x.dtype, float(x.max())
    ((2, 784), dtype('float32'), 1.0)
    """
    images = np.asarray(images)
    dtype = np.dtype(dtype)
    if images.dtype != np.uint8:
        raise ValueError(f"to_features expects uint8 pixels 0..255, got {images.dtype} (already "
                         "scaled? it would be divided by 255 twice)")
    if images.ndim < 2:
        raise ValueError(f"to_features expects images of shape (N, 28, 28), got {images.shape}")
    if dtype.kind != "f":
        raise ValueError(f"to_features: dtype must be a floating type, got {dtype}")
    features = images.reshape(len(images), -1).astype(dtype)
    features /= 255
    return features
