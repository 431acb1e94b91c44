"""Input validation shared by the math room: clear exceptions, never a silent NaN."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


class DegenerateInputError(ValueError):
    """``H_C`` is undefined for this input (``sum |W| = 0`` or zero gradient energy)."""


def as_float_array(W, name: str = "W") -> np.ndarray:
    """Return ``W`` as a finite float32 or float64 array, or raise a clear error.

    float32 stays float32 (fast path) and float64 stays float64 (reference); bool, integer and
    other float types are promoted to float64. Complex input raises ``TypeError``; empty arrays,
    0-d arrays and NaN/inf entries raise ``ValueError`` naming the problem.
    """
    arr = np.asarray(W)
    if np.iscomplexobj(arr):
        raise TypeError(f"{name} must be real; got complex dtype {arr.dtype}")
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a real numeric array; got dtype {arr.dtype}")
    if arr.dtype != np.float32:
        arr = arr.astype(np.float64, copy=False)
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
