"""Axes and memory layout: the wrong axes, a per-matrix ``H_C`` over a batch, a reshape or a
column-major reading used for a transpose, a transposed gradient, an output of the wrong shape.

``docs/diagnoses.md`` ("The form of the output", "The operator") lists the names.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from ..results import Diagnosis
from .relations import MATCH, close, explains, value_explains
from .variant_grads import batch_axes, column_major_variant, per_matrix_variant, reshape_variants
from .variants import other_axes_values


def wrong_axes(case, value, grad) -> list:
    for label, v in other_axes_values(case.W, case.axes):
        if abs(value - v) <= MATCH:
            return [Diagnosis("wrong_axes", (
                f"the value matches H_C over {label}, not axes={case.axes}: the operator runs over "
                "the wrong axes (e.g. a channels-last layout (kH, kW, in, out) vs PyTorch's "
                "(out, in, kH, kW), or a conv kernel flattened to a matrix)"))]
    return []


def per_matrix(case, value: float, grad: np.ndarray) -> list:
    """The value is the mean / sum over the batch of per-slice ``H_C``."""
    rest = batch_axes(case.shape, case.axes)
    if not rest:
        return []
    B = int(np.prod([case.shape[a] for a in rest]))
    for how in ("mean", "sum"):
        got = per_matrix_variant(case.W, case.axes, how)
        if got is None or not (close(grad, got[1]) or abs(value - got[0]) <= MATCH):
            continue
        return [Diagnosis("per_matrix", (
            f"the value is the {how} over the B = {B} slices (axes {rest}) of a per-slice H_C; "
            f"H_C of a tensor with axes={case.axes} is one value whose energy and sum|W| run over "
            "every entry. Compute E and sum|W| over the whole tensor, then take the logs once"))]
    return []


def memory_order(case, value: float, grad: np.ndarray) -> list:
    """``W.reshape`` with swapped sizes used as a transpose, or a column-major reading of W: named
    only when that variant explains both the value and the gradient."""
    H = case.value_nats
    for shape, v, g in reshape_variants(case.W, case.axes):
        if value_explains(value, v, H) and explains(grad, g.reshape(case.shape), case.grad):
            return [Diagnosis("memory_order", _reshape_message(shape, case.shape, "the value"))]
    got = column_major_variant(case.W, case.axes)
    if got is not None and value_explains(value, got[0], H) and explains(grad, got[1], case.grad):
        return [Diagnosis("memory_order", (
            "the value matches H_C of W read in column-major (Fortran) order: the .npz/.json data "
            "is row-major (C order); read it as such, or reverse the shape and transpose"))]
    return []


def _reshape_message(shape, want, what: str) -> str:
    if len(want) == 2:
        fix = ("use W.T (NumPy/JAX: W.T; torch: W.T or W.mT) and transpose the gradient back "
               "(grad.T)")
    else:
        fix = ("use a transpose (np.swapaxes / torch.transpose / W.mT for the last two axes) and "
               "transpose the gradient back")
    return (f"{what} is H_C of W.reshape{shape} (the same memory read with the sizes of the chosen "
            f"axes swapped), not of W {want}: a reshape keeps the memory order and is not a "
            f"transpose (equivalently, a column-major reader). If your port needs the other "
            f"layout, {fix}; H_C(W.T) = H_C(W), so nothing else changes")


def transposed(case, value, grad) -> list:
    if case.W.ndim == 2 and grad.shape == case.grad.T.shape and close(grad, case.grad.T):
        return [Diagnosis("transposed", (
            "the gradient equals the reference transposed: it was computed for W.T and returned "
            "without transposing back (H_C(W.T) = H_C(W), so the value cannot show this)"))]
    return []


def shape_diagnosis(case, what: str, arr, value: float) -> Diagnosis:
    """Name an output of the wrong shape: reshaped (memory order), transposed, or just wrong.

    Parameters
    ----------
    case : GoldenCase
    what : str
        ``"the gradient"``...
    arr : ndarray
        The output, already converted to ``H_C`` in nats (its shape differs from ``case.shape``).
    value : float
        The implementation's value, converted the same way.
    """
    arr = np.asarray(arr, dtype=np.float64)
    got, want = arr.shape, tuple(case.shape)
    if got != want and len(got) == len(want) and math.isfinite(value):
        for shape, v, g in reshape_variants(case.W, case.axes):
            if shape == got and close(arr, g) and abs(value - v) <= MATCH and not close(
                    arr, _transposed_back(case.grad, want, got)):
                return Diagnosis("memory_order", f"{what} has shape {got}: "
                                 + _reshape_message(shape, want, "your result"))
    if sorted(got) == sorted(want) and len(got) == len(want):
        for perm in itertools.permutations(range(len(want))):
            if tuple(want[p] for p in perm) != got or perm == tuple(range(len(want))):
                continue
            back = tuple(int(i) for i in np.argsort(perm))
            if close(np.transpose(arr, back), case.grad):
                fix = "grad.T" if len(want) == 2 else f"np.transpose(grad, {back})"
                return Diagnosis("transposed", (
                    f"{what} has shape {got}, the shape of W {want} with axes permuted by {perm}"
                    f"{' (W.T)' if len(want) == 2 else ''}; once permuted back it matches the "
                    f"reference, so only the layout is wrong: return it in W's layout ({fix})"))
        return Diagnosis("shape_mismatch", (
            f"{what} has shape {got}, W's shape {want} with axes permuted, but permuting it back "
            "does not give the reference either: the values are wrong as well"))
    return Diagnosis("shape_mismatch", f"{what} has shape {got}; expected W's shape {want}")


def _transposed_back(G, want, got):
    """The reference gradient ``G`` (shape ``want``) with its axes permuted to shape ``got``, or
    None when no permutation gives that shape."""
    for perm in itertools.permutations(range(len(want))):
        if tuple(want[p] for p in perm) == got:
            return np.transpose(G, perm)
    return None


def component_shape_diagnosis(what: str, got: tuple, want: tuple) -> Diagnosis:
    """Name a component of the wrong shape; a permutation of the axes is a transposed result."""
    for perm in itertools.permutations(range(len(want))):
        if perm != tuple(range(len(want))) and tuple(want[p] for p in perm) == got:
            return Diagnosis("transposed", (
                f"{what} has shape {got}, the shape of W {want} with axes permuted by {perm}"
                f"{' (W.T)' if len(want) == 2 else ''}: it is returned transposed / with swapped "
                "axes (e.g. computed on W.T, or a column-major reader/writer)"))
    return Diagnosis("shape_mismatch", f"{what} has shape {got}; expected W's shape {want}")
