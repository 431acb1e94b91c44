"""Checks of array arguments (the weights ``W`` and the ``axes``): clear exceptions, never a silent NaN."""

from __future__ import annotations

import sys
from collections.abc import Sequence

import numpy as np


def as_float_array(W, name: str = "W") -> np.ndarray:
    """Return ``W`` as a finite float32 or float64 array, or raise a clear error.

    float32 stays float32 (fast path) and float64 stays float64 (reference); bool, integer and
    other float types (float16, longdouble) are converted to float64. Complex input and masked
    arrays raise ``TypeError``; empty arrays, 0-d arrays, NaN/inf entries and longdouble values
    that float64 cannot hold raise ``ValueError`` naming the problem.
    """
    if is_masked(W):
        raise TypeError(f"{name} is a masked array: entropy_ref ignores no entries and applies no "
                        f"mask. Pass {name}.filled(0) to count masked entries as zeros, or "
                        f"{name}.data to use the values underneath")
    arr = np.asarray(W)
    if np.iscomplexobj(arr):
        raise TypeError(f"{name} must be real; got complex dtype {arr.dtype}")
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a real numeric array; got dtype {arr.dtype}")
    if arr.dtype != np.float32:
        arr = _to_float64(arr, name)
    if arr.ndim == 0:
        raise ValueError(f"{name} must have at least one axis; got a 0-d scalar")
    if arr.size == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape}); H_C needs at least one entry")
    finite = np.isfinite(arr)
    if not finite.all():
        bad = np.argwhere(~finite)
        first = tuple(int(i) for i in bad[0])
        raise ValueError(
            f"{name} has {len(bad)} non-finite entries (NaN or inf); first at index {first} "
            f"= {arr[first]!r}"
        )
    return arr


def is_masked(x) -> bool:
    """True for a ``numpy.ma.MaskedArray`` (without importing ``numpy.ma`` when nobody has)."""
    ma = sys.modules.get("numpy.ma")
    return ma is not None and isinstance(x, ma.MaskedArray)


def _to_float64(arr: np.ndarray, name: str) -> np.ndarray:
    """``arr`` as float64; a wider float (longdouble) must fit float64's range exactly enough."""
    with np.errstate(over="ignore", under="ignore"):
        out = arr.astype(np.float64, copy=False)
    if arr.dtype.kind == "f" and arr.dtype.itemsize > 8 and np.isfinite(arr).all():
        big = ~np.isfinite(out)
        lost = (out == 0) & (arr != 0) | (np.abs(out) < np.finfo(np.float64).tiny) & (out != 0)
        if big.any() or lost.any():
            bad = arr[big] if big.any() else arr[lost]
            raise ValueError(
                f"{name} has dtype {arr.dtype} with {bad.size} entries outside the float64 range "
                f"(e.g. {bad[0]!r}); entropy_ref computes in float32 or float64 only (integer, "
                f"bool, float16 and in-range longdouble input are converted to float64). "
                f"H_C is scale invariant: rescale {name} into float64's range first")
    return out


def normalize_axes(axes, ndim: int) -> tuple[int, ...]:
    """Return the chosen axes as a tuple of distinct non-negative ints.

    ``axes=None`` means ``(0,)`` for a vector and ``(1, 0)`` for a matrix: x (axis 1, the paper's
    "row direction") first, then y (axis 0), so the components come out as the paper's
    ``(g_x, g_y)``. For higher rank the caller must choose (a conv kernel's spatial axes, say), so
    ``None`` raises ``ValueError`` there.
    """
    if axes is None:
        if ndim == 2:
            return (1, 0)
        if ndim > 2:
            raise ValueError(
                f"W has {ndim} axes: choose the axes the Scharr operator runs over, e.g. "
                f"axes=({ndim - 2}, {ndim - 1}) for the two spatial axes of a conv kernel"
            )
        return tuple(range(ndim))
    if isinstance(axes, (int, np.integer)):
        axes = (axes,)
    if isinstance(axes, np.ndarray) and axes.ndim == 1 and axes.dtype.kind in "iu":
        axes = tuple(axes.tolist())
    if not isinstance(axes, Sequence) or len(axes) == 0:
        raise ValueError(f"axes must be a non-empty sequence of ints or None; got {axes!r}")
    out = []
    for ax in axes:
        if not isinstance(ax, (int, np.integer)) or isinstance(ax, bool):
            raise TypeError(f"axes must contain ints; got {ax!r}")
        if not -ndim <= ax < ndim:
            raise ValueError(f"axis {ax} is out of range for an array with {ndim} axes")
        out.append(int(ax) % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"axes must not repeat; got {tuple(axes)}")
    return tuple(out)
