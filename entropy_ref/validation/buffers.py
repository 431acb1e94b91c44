"""Validation of ``out=`` buffers, shared by every function that writes one: one rule, one wording.

An ``out=`` buffer is where a function writes its result so that the caller can reuse memory. Two
faults turn such a buffer into a *silently wrong answer*, and both are refused here, before any
work is done:

* the buffer is, or overlaps, an input that is still being read (``out=W``): the function would
  read its own partial output;
* two outputs of one call share memory: the second would overwrite the first.

A buffer that is merely strided (Fortran order, a slice with a step) is accepted everywhere: the
functions that need a contiguous buffer compute into their own and copy the result into it, so
the caller always finds the answer in the array it passed. Anything that is not a writeable
ndarray of the right shape (and dtype, where one is required) is a ``TypeError`` or
``ValueError`` naming the argument.
"""

from __future__ import annotations

import numpy as np

from .arrays import is_masked

__all__ = ["check_out", "check_out_list", "overlaps", "refuse_overlaps"]

_TooHardError = getattr(getattr(np, "exceptions", np), "TooHardError")


def overlaps(a, b) -> bool:
    """True when ndarrays ``a`` and ``b`` share at least one byte (unsure counts as True).

    Examples
    --------
    >>> x = np.zeros(6)
    >>> overlaps(x[::2], x[1::2]), overlaps(x[:4], x[3:]), overlaps(x, np.zeros(6))
    (False, True, False)
    """
    if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)):
        return False
    if not np.may_share_memory(a, b):
        return False
    try:
        return bool(np.shares_memory(a, b, max_work=100_000))
    except _TooHardError:                      # pragma: no cover - exotic stride patterns
        return True


def refuse_overlaps(who: str, outputs, inputs=()) -> None:
    """Raise ``ValueError`` if an output overlaps an input or an earlier output.

    ``outputs`` and ``inputs`` are sequences of ``(name, array)``; ``None`` arrays are skipped.

    Examples
    --------
    >>> W = np.ones((2, 2))
    >>> refuse_overlaps("f", [("out", W)], [("W", W)])
    Traceback (most recent call last):
    ...
    ValueError: f: out shares memory with W: the result would overwrite W while it is still being read; pass a separate buffer (or out=None)
    """
    seen = [(n, a) for n, a in inputs if a is not None]
    for name, arr in outputs:
        if arr is None:
            continue
        for other, src in seen:
            if overlaps(arr, src):
                raise ValueError(f"{who}: {name} shares memory with {other}: the result would "
                                 f"overwrite {other} while it is still being read; pass a "
                                 f"separate buffer (or out=None)")
        seen.append((name, arr))


def check_out(out, shape, dtype=None, *, who: str, name: str = "out", inputs=()):
    """Return ``out`` after checking it is a writeable ndarray of ``shape`` (and ``dtype``).

    Parameters
    ----------
    out : object
        The caller's buffer, or ``None`` (returned as is).
    shape : tuple of int
    dtype : numpy dtype, optional
        Required dtype; ``None`` accepts any.
    who, name : str
        Function and argument names for the message.
    inputs : sequence of (str, ndarray)
        Arrays the function reads while writing ``out``; an overlap is refused.

    Examples
    --------
    >>> check_out([0.0, 0.0], (2,), who="f")
    Traceback (most recent call last):
    ...
    TypeError: f: out must be a NumPy array (or None); got list
    """
    if out is None:
        return None
    if not isinstance(out, np.ndarray) or is_masked(out):
        raise TypeError(f"{who}: {name} must be a NumPy array (or None); got {type(out).__name__}")
    shape = tuple(shape)
    if out.shape != shape or (dtype is not None and out.dtype != np.dtype(dtype)):
        want = f"shape {shape}" + ("" if dtype is None else f" and dtype {np.dtype(dtype)}")
        raise ValueError(f"{who}: {name} must have {want}; got {out.shape}, {out.dtype}")
    if not out.flags.writeable:
        raise ValueError(f"{who}: {name} is read-only")
    refuse_overlaps(who, [(name, out)], inputs)
    return out


def check_out_list(out, weights, who: str, dtypes=None):
    """Per-matrix gradient buffers: ``out`` checked against ``weights``, or a list of Nones.

    ``out`` must be a list or tuple with one buffer (or ``None``) per matrix, of the matrix's
    shape and dtype (``dtypes[l]`` when given), overlapping no matrix and no other buffer.

    Examples
    --------
    >>> check_out_list(None, [np.ones(2)], "l1")
    [None]
    >>> check_out_list([np.ones(3)], [np.ones(2)], "l1")
    Traceback (most recent call last):
    ...
    ValueError: l1: out[0] must have shape (2,) and dtype float64; got (3,), float64
    """
    if out is None:
        return [None] * len(weights)
    if not isinstance(out, (list, tuple)):
        raise TypeError(f"{who}: out must be a list of arrays, one per weight matrix (or None); "
                        f"got {type(out).__name__}")
    if len(out) != len(weights):
        raise ValueError(f"{who}: out has {len(out)} buffers for {len(weights)} weight matrices")
    dtypes = [W.dtype for W in weights] if dtypes is None else dtypes
    for l, (W, buf, dt) in enumerate(zip(weights, out, dtypes)):
        check_out(buf, np.shape(W), dt, who=who, name=f"out[{l}]")
    refuse_overlaps(who, [(f"out[{l}]", b) for l, b in enumerate(out)],
                    [(f"weights[{l}]", W) for l, W in enumerate(weights)])
    return list(out)
