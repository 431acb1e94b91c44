"""A global factor on the gradient (sign, log base) and a constant offset of the value.

A sign or a log base multiplies the gradient by a constant; a constant factor inside a log shifts
the value and never changes the gradient. :func:`gradient_factor` finds the factor,
:func:`factor_diagnoses` explains the value under it, naming the offset from the candidates of
:func:`.variants.offset_candidates`. ``docs/diagnoses.md`` ("Sign and units", "Constants inside
the logs") lists the names.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from ..results import Diagnosis
from .precision import inexact_gradient, low_precision
from .relations import MATCH, close, num
from .variant_grads import batch_axes
from .variants import offset_candidates


def gradient_factor(grad, G, unit, loss):
    """``(alpha, diagnoses)`` when ``grad == alpha * G`` for a sign and/or log-base factor."""
    want = {"nats": 1.0, "bits": math.log(2.0)}[unit]
    bases = {1.0: "natural logs (nats)", math.log(2.0): "log base 2 (bits)",
             math.log(10.0): "log base 10"}
    for base, label in bases.items():
        for sign in (1.0, -1.0):
            alpha = sign * want / base
            if close(grad, alpha * G):
                found = [Diagnosis("sign_flipped", _sign_message(loss))] if sign < 0 else []
                if base != want:
                    found.append(Diagnosis("log_base", (
                        f"value and gradient are off by the factor {abs(alpha):.6f}: your logs "
                        f"are {label}, but {unit} were requested")))
                return (1.0 if alpha == 1.0 else alpha), found
    return None


def factor_diagnoses(case, value, scale, grad=None) -> list:
    """The gradient is ``alpha`` times the reference (``scale`` from :func:`gradient_factor`):
    explain the value under the same factor (``grad``: to tell rounding from a constant)."""
    grad = case.grad if grad is None else grad
    H = case.value_nats
    alpha, found = scale
    if alpha != 1.0 and abs(value / alpha - H) <= MATCH:
        return found
    if alpha == -1.0 and abs(value - H) <= MATCH:
        return [Diagnosis("grad_sign_flipped", (
            "the value is right but the gradient is negated: the gradient of l_C = -H_C returned "
            "with the value of H_C (or an ascent/descent direction instead of the derivative)"))]
    if alpha == 1.0 and abs(value - H) <= MATCH:
        return (low_precision(case, value, grad) or inexact_gradient(case, value, grad) or [
            Diagnosis("low_precision", (
                f"value and gradient agree only to about 1e-3 (value error {abs(value - H):.1e}): "
                "beyond float32 rounding but no structural mistake - reduced precision somewhere: "
                "float16/bfloat16, or TF32 convolutions on NVIDIA GPUs (PyTorch has long enabled "
                "them for cuDNN by default; see torch.backends.cudnn.allow_tf32 / "
                "fp32_precision)"))])
    if alpha == 1.0 and abs(value + H) <= MATCH and abs(H) > MATCH:
        return [Diagnosis("value_sign_flipped", (
            "the gradient is right but the value is negated: the value of l_C = -H_C returned with "
            "the gradient of H_C"))]
    offset = _value_offset(case, value / alpha - H)
    if alpha == 1.0 and offset[0].name == "constant_offset":   # no named constant: rounding?
        return low_precision(case, value, grad) or offset
    return found + offset


def _sign_message(loss: str) -> str:
    if loss == "H_C":
        return ("value = -H_C and gradient = -dH_C/dW: this is the paper's sparsity loss l_C = -H_C "
                "(eq. 3 defines -l_C = H_C). If your port computes l_C on purpose, verify it with "
                "loss='l_C' (CLI: --loss l_C)")
    return ("value = H_C and gradient = dH_C/dW: this is the configuration entropy H_C itself, not "
            "the sparsity loss l_C = -H_C. If H_C is intended, verify with loss='H_C'")


def _batch(case) -> int:
    """Number of slices (matrices, kernel slices) along the axes H_C is not computed over."""
    return int(np.prod([case.shape[a] for a in batch_axes(case.shape, case.axes)], dtype=np.int64))


def _value_offset(case, delta: float) -> list:
    """Name a constant offset of the value (the gradient is right, up to sign/log base)."""
    k, n = len(case.axes), case.W.size
    thin = case.W.ndim == 2 and min(case.shape) == 1
    groups = offset_candidates(k, n, batch=_batch(case), thin=thin)
    best = []
    for size in range(1, len(groups) + 1):
        for chosen in itertools.combinations(groups, size):
            for combo in itertools.product(*chosen):
                if abs(sum(d for _, _, d in combo) - delta) <= MATCH:
                    best.append(combo)
        if best:
            break
    if not best:
        return [Diagnosis("constant_offset", (
            f"value off by {num(delta, '+.6f')} nats while the gradient is right: a constant factor "
            f"inside one of the logs (energy factor exp(2 delta) = {_exp(2 * delta)}, or sum|W| "
            f"factor exp(-delta) = {_exp(-delta)}); constants never change the gradient"))]
    out = []
    for combo in best:
        what = " plus ".join(desc for _, desc, _ in combo)
        terms = f" = {' '.join(num(d, '+.4f') for _, _, d in combo)}" if len(combo) > 1 else ""
        msg = (f"value off by {num(delta, '+.4f')} nats{terms} with the gradient right: {what}; "
               "a constant factor inside a log shifts the value and never changes the gradient")
        for name in dict.fromkeys(name for name, _, _ in combo):
            out.append(Diagnosis(name, msg))
    return out


def _exp(x: float) -> str:
    return f"{math.exp(x):.6g}" if x < 700 else f"e^{x:.4g}"
