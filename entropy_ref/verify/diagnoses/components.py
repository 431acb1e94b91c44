"""Diagnoses for Scharr components that differ from the reference (conventions and operator bugs).

Most component differences are *harmless* conventions (cross-correlation, swapped or negated
directions) that leave ``H_C`` and its gradient unchanged; the messages say so.
"""

from __future__ import annotations

import itertools

import numpy as np

from ..results import Diagnosis
from .kernels import SCHARR
from .relations import MATCH, boundary_band, close
from .variant_grads import EDGE_KERNELS, kernel_components
from .variants import PADDING_MODES, components_with_padding


def diagnose_components(case, comps: dict) -> list:
    """Diagnoses for Scharr components that differ from the reference (``comps``: axis -> array)."""
    found = _conventions(case, comps)
    if found is not None:
        return found
    for test in (_scaled, _other_kernel, _padding, _transposed):
        found = test(case, comps)
        if found:
            return found
    return [Diagnosis("unexplained", "the Scharr components differ from the reference in a way no "
                      "known mistake explains; check the kernel values and the 'same' centring")]


def _conventions(case, comps: dict) -> list | None:
    """Each component is a reference component up to sign: the harmless conventions (possibly
    none named), or None when some component is not."""
    ref = case.components
    mapping = {}
    for a, c in comps.items():
        for b, sign in itertools.product(case.axes, (1.0, -1.0)):
            if close(c, sign * ref[b]):
                mapping[a] = (b, sign)
                break
    if len(mapping) != len(comps):
        return None
    out = []
    swapped = [a for a, (b, _) in mapping.items() if a != b]
    negated = [a for a, (_, s) in mapping.items() if s < 0]
    if swapped:
        out.append(Diagnosis("components_swapped", (
            f"your components for axes {swapped} are the reference derivatives along other "
            "axes: x and y swapped (the paper's x is axis 1, the row direction). Harmless for "
            "H_C and its gradient, which sum over the components"), harmless=True))
    if negated and len(negated) == len(comps):
        out.append(Diagnosis("correlation", (
            "every component is the reference negated: cross-correlation instead of "
            "convolution (e.g. F.conv2d / lax.conv do not flip the kernel). Harmless: H_C and "
            "its gradient are unchanged; to pass the component check flip the kernel or "
            "negate the components"), harmless=True))
    elif negated:
        words = {1: "x pointing left", 0: "y pointing up"} if case.W.ndim == 2 else {}
        example = ", ".join(words.get(a, f"the derivative along axis {a} taken the other way")
                            for a in negated)
        out.append(Diagnosis("component_sign", (
            f"the components for axes {negated} are negated: an opposite sign convention for "
            f"those directions (here: {example}). Harmless for H_C and its gradient"),
            harmless=True))
    return out


def _scaled(case, comps: dict) -> list:
    """Every component is one factor ``s`` times the reference: another kernel normalisation."""
    ref = case.components
    a0 = next(iter(comps))
    s = float(np.vdot(comps[a0], ref[a0]) / np.vdot(ref[a0], ref[a0]))
    if s != 0 and all(close(c, s * ref[a]) for a, c in comps.items()):
        return [Diagnosis("kernel_normalisation", (
            f"the components are {s:.6g} x the reference: a different kernel normalisation "
            "(reference: [[3, 0, -3], [10, 0, -10], [3, 0, -3]] / 32). It shifts the value of "
            "H_C by log|s| and leaves the gradient unchanged"))]
    return []


def _padding(case, comps: dict) -> list:
    """The components of another boundary mode, or errors confined to the boundary."""
    ref = case.components
    for mode, label in PADDING_MODES.items():
        other = components_with_padding(case.W, case.axes, mode)
        if other is not None and all(any(close(c, s * o) for o in other for s in (1.0, -1.0))
                                     for c in comps.values()):
            return [Diagnosis("padding", f"the components are those of {label}. The reference "
                              "pads with zeros (paper: 'zero-padded'), output the same size as W")]
    inner = ~boundary_band(case.shape, case.axes)
    if inner.any() and all(np.max(np.abs((c - ref[a])[inner]), initial=0.0)
                           <= MATCH * np.max(np.abs(ref[a])) for a, c in comps.items()):
        return [Diagnosis("padding", "the components differ only on the boundary: padding other "
                          "than zeros (or no padding)")]
    return []


def _transposed(case, comps: dict) -> list:
    ref = case.components
    if case.W.ndim == 2 and all(any(close(c, ref[b].T) for b in ref) for c in comps.values()):
        return [Diagnosis("transposed", "the components are the reference transposed: computed "
                          "for W.T")]
    return []


def _other_kernel(case, comps: dict) -> list:
    """Components that are, up to one factor and sign/order, those of another edge kernel."""
    W = case.W
    for name, (smoothing, integer, norm) in EDGE_KERNELS.items():
        ref = dict(zip(case.axes, kernel_components(W, case.axes, smoothing)))
        scales, signs = [], []
        for c in comps.values():
            fit = None
            for r in ref.values():
                rr = float(np.vdot(r, r))
                if c.shape != r.shape or rr == 0.0:
                    continue
                s = float(np.vdot(c, r)) / rr
                if s != 0.0 and close(c, s * r):
                    fit = abs(s)
                    signs.append(s < 0)
                    break
            scales.append(fit)
        if scales and all(s is not None for s in scales) and max(scales) <= min(scales) * (1 + MATCH):
            s = scales[0]
            how = (f"the integer kernel {integer} (no 1/{norm:g})" if abs(s / norm - 1) < MATCH
                   else f"{integer} / {norm / s:.4g}")
            negated = (" (negated, as cross-correlation gives: that part is harmless)"
                       if all(signs) else "")
            return [Diagnosis("other_kernel", (
                f"the components are those of the {name} kernel, {how}, instead of {SCHARR}"
                f"{negated}"))]
    return []
