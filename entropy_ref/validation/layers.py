"""Input and ``out=`` checks of :mod:`entropy_ref.layers`, shared by each fast function and its
plain-loop twin so both refuse the same inputs with the same one-line message."""

from __future__ import annotations

import numpy as np

from .arrays import is_masked
from .buffers import check_out, refuse_overlaps

__all__ = ["real_array", "check_affine", "check_affine_dy", "check_affine_outs", "check_relu_dy", "check_labels"]


def real_array(x, who: str, name: str = "x") -> np.ndarray:
    """``x`` as an ndarray of a real numeric dtype (bool, int, float), or a ``TypeError``
    (a masked array too: a layer cannot honour its mask)."""
    if is_masked(x):
        raise TypeError(f"{who}: {name} is a masked array; layers apply no mask: pass "
                        f"{name}.filled(0) or {name}.data")
    x = np.asarray(x)
    if x.dtype.kind not in "biuf":
        raise TypeError(f"{who}: {name} must be a real numeric array, got dtype {x.dtype}")
    return x


def check_affine(x, W, b, who="affine_forward"):
    """``(x, W, b)`` as arrays of shapes ``(N, fan_in)``, ``(fan_out, fan_in)``, ``(fan_out,)``."""
    x, W, b = real_array(x, who, "x"), real_array(W, who, "W"), real_array(b, who, "b")
    if x.ndim != 2 or W.ndim != 2 or x.shape[1] != W.shape[1] or b.shape != (W.shape[0],):
        raise ValueError(f"{who}: shapes do not fit: x {x.shape}, W {W.shape}, "
                         f"b {b.shape} (need x (N, fan_in), W (fan_out, fan_in), b (fan_out,))")
    return x, W, b


def check_affine_dy(dy, cache, who="affine_backward"):
    """``(dy, x, W)`` with ``dy`` of shape ``(N, fan_out)`` for the cached ``(x, W)``."""
    if not isinstance(cache, tuple) or len(cache) != 2:
        raise TypeError(f"{who}: cache must be the (x, W) returned by affine_forward")
    x, W = (np.asarray(a) for a in cache)
    dy = real_array(dy, who, "dy")
    want = (x.shape[0], W.shape[0]) if x.ndim == 2 and W.ndim == 2 else None
    if dy.shape != want:
        raise ValueError(f"{who}: dy has shape {dy.shape}, expected {want} (N, fan_out) for "
                         f"x {x.shape} and W {W.shape}")
    return dy, x, W


def check_affine_outs(out, dy, x, W, who="affine_backward"):
    """``(dx, dW, db)`` buffers: writeable arrays of the right shapes, overlapping no input
    (``dW`` and ``db`` are written while ``dy`` and ``x`` are still read) and each other."""
    if out is None:
        return None, None, None
    if not isinstance(out, tuple) or len(out) != 3:
        raise TypeError(f"{who}: out must be a tuple (dx, dW, db) of arrays or None; got "
                        f"{type(out).__name__}")
    names = ("out[0] (dx)", "out[1] (dW)", "out[2] (db)")
    shapes = (x.shape, W.shape, (W.shape[0],))
    for buf, name, shape in zip(out, names, shapes):
        check_out(buf, shape, None, who=who, name=name)
    refuse_overlaps(who, [(names[1], out[1]), (names[2], out[2]), (names[0], out[0])],
                    [("dy", dy), ("x", x), ("W", W)])
    return out


def check_relu_dy(dy, cache, who="relu_backward"):
    """``(dy, y)``: ``dy`` must have the forward output's shape (no silent broadcasting)."""
    dy, y = real_array(dy, who, "dy"), np.asarray(cache)
    if dy.shape != y.shape:
        raise ValueError(f"{who}: dy has shape {dy.shape} but the forward output has {y.shape}")
    return dy, y


def check_labels(logits, y):
    """``(logits, y)``: ``(N, C)`` logits with ``N > 0`` and ``N`` integer labels in ``[0, C)``."""
    logits = real_array(logits, "softmax_cross_entropy", "logits")
    y = np.asarray(y)
    if logits.ndim != 2 or y.shape != (logits.shape[0],) or logits.shape[0] == 0:
        raise ValueError(f"softmax_cross_entropy: need logits (N, C) with N > 0 and labels (N,), "
                         f"got {logits.shape} and {y.shape}")
    if not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"softmax_cross_entropy: labels must be integers, got dtype {y.dtype}")
    if y.size and (y.min() < 0 or y.max() >= logits.shape[1]):
        raise ValueError(f"softmax_cross_entropy: labels must lie in [0, {logits.shape[1]}), "
                         f"got range [{y.min()}, {y.max()}]")
    return logits, y
