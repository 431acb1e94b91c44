"""The Scharr operator: another edge kernel, ``np.gradient``, the energy of one component only,
boundary handling other than zero padding.

Each detector compares the outputs with the value and gradient of ``H_C`` computed with that one
mistake (:mod:`.variant_grads`, :mod:`.variants`). ``docs/diagnoses.md`` ("The operator") lists the
names.
"""

from __future__ import annotations

import math

import numpy as np

from ..results import Diagnosis
from .relations import (MATCH, boundary_band, close, explains, num, reference_terms,
                        value_explains)
from .variant_grads import (EDGE_KERNELS, kernel_variant, numpy_gradient_variant,
                            one_component_variant)
from .variants import PADDING_MODES, padding_variant

SCHARR = "Scharr's [[3, 0, -3], [10, 0, -10], [3, 0, -3]] / 32"


def named_offset(delta: float, named, otherwise: str) -> str:
    """The text of the first ``(offset, text)`` in ``named`` within :data:`MATCH` of ``delta``.

    Examples
    --------
    >>> named_offset(0.0005, [(0.0, "exact"), (1.0, "one off")], "other")
    'exact'
    """
    for offset, text in named:
        if abs(delta - offset) <= MATCH:
            return text
    return otherwise


def other_kernel(case, value: float, grad: np.ndarray) -> list:
    """The gradient is that of ``H_C`` with Sobel / Prewitt / ... instead of Scharr."""
    for name, (smoothing, integer, norm) in EDGE_KERNELS.items():
        got = kernel_variant(case.W, case.axes, smoothing)
        if got is None or not close(grad, got[1]):
            continue
        delta = value - got[0]
        how = named_offset(delta, [
            (0.0, f"normalised as {integer} / {norm:g}"),
            (math.log(norm), f"unnormalised: {integer} without the 1/{norm:g}")],
            f"scaled so that the value is off by {num(delta, '+.4f')} nats from {integer} / {norm:g}")
        return [Diagnosis("other_kernel", (
            f"the gradient is that of H_C computed with the {name} kernel ({how}) instead of "
            f"{SCHARR}; use the Scharr kernel (the smoothing [3, 10, 3] / 16 across the "
            "difference [1, 0, -1] / 2)"))]
    return []


def numpy_gradient(case, value: float, grad: np.ndarray) -> list:
    """The gradient is that of ``H_C`` with ``np.gradient`` as the Scharr components."""
    got = numpy_gradient_variant(case.W, case.axes)
    if got is None or not close(grad, got[1]):
        return []
    delta, half = value - got[0], 0.5 * math.log(len(case.axes))
    if abs(delta) > MATCH and abs(delta - half) > MATCH:   # the energy over k, or without the 1/k
        return []
    return [Diagnosis("numpy_gradient", (
        "the gradient is that of H_C computed with np.gradient (central differences [1, 0, -1] "
        "/ 2 without smoothing, one-sided differences at the edges instead of zero padding"
        + ("" if abs(delta) <= MATCH else "; the energy's 1/k dropped too") + f") instead of "
        f"{SCHARR} with zero padding: np.gradient is not the Scharr operator, use "
        "scipy.ndimage.convolve(W, G_x, mode='constant') (or conv2d with padding=1)"))]


def one_component(case, value: float, grad: np.ndarray) -> list:
    """The energy uses one component only (``g_x`` only, ...)."""
    k = len(case.axes)
    if k < 2:
        return []
    for index, axis in enumerate(case.axes):
        got = one_component_variant(case.W, case.axes, index)
        if got is None or not close(grad, got[1]):
            continue
        label = {1: "g_x (axis 1)", 0: "g_y (axis 0)"}.get(axis, f"axis {axis}") \
            if case.W.ndim == 2 else f"g_axis{axis} (the derivative along axis {axis})"
        delta = value - got[0]
        extra = named_offset(delta, [(-0.5 * math.log(k), f"(with the 1/{k})"),
                                     (0.0, f"(without the 1/{k})")],
                             f"(value off by a further {num(delta, '+.4f')} nats)")
        return [Diagnosis("one_component", (
            f"the energy uses the component {label} only {extra}: E must sum the squares of all "
            f"{k} components, (1/{k}) sum_a ||g_a||^2 (eq. 3)"))]
    return []


def padding(case, value, grad) -> list:
    """Errors confined to the boundary (changed energy rescales the interior), or the value (and
    gradient) of another boundary mode; modes that tie on this case are all named."""
    R1 = reference_terms(case)[0]
    band = boundary_band(case.shape, case.axes)
    boundary = _boundary_only(grad - case.grad, R1, band)
    H = case.value_nats
    variants = {m: padding_variant(case.W, case.axes, m) for m in PADDING_MODES}
    variants = {m: vg for m, vg in variants.items() if vg is not None}
    modes = [m for m, (v, g) in variants.items()           # value and gradient explained
             if value_explains(value, v, H) and explains(grad, g, case.grad)]
    both = bool(modes)
    if not modes:       # the value alone (a mode whose H_C is the reference's tells nothing)
        modes = [m for m, (v, _) in variants.items() if abs(value - v) <= MATCH < abs(v - H) - MATCH]
    if not boundary and not modes:
        return []
    where = ("the gradient errors sit within one entry of the boundary (inside, the gradient is "
             "the reference up to the changed energy)" if boundary else "")
    named = ""
    if modes:
        what = "value and gradient equal those" if both else "the value equals that"
        named = f"{what} of H_C with " + ", or with ".join(PADDING_MODES[m] for m in modes)
        if len(modes) > 1:
            named += " (on this case these modes give the same " + (
                "value and gradient)" if both else "value)")
    return [Diagnosis("padding", "; ".join(s for s in (where, named) if s) + (
        ". The reference pads with zeros (paper: 'zero-padded'), output the same size as W"))]


def _boundary_only(err, ref_term, band) -> bool:
    """Is ``err`` a boundary error plus, inside, a multiple of ``ref_term`` (a changed energy)?"""
    inner = ~band
    if not inner.any() or not band.any():
        return False
    e_b = float(np.max(np.abs(err[band])))
    r = ref_term[inner]
    c = float(np.vdot(err[inner], r) / np.vdot(r, r)) if np.any(r) else 0.0
    resid = float(np.max(np.abs(err[inner] - c * r)))
    return e_b > 0 and resid <= MATCH * e_b
