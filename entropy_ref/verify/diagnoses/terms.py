"""The two terms of the gradient: one scaled, dropped, negated or in another log base; the |W|
term computed with a matrix norm, or with a derivative of ``|w|`` at 0 other than ``sign(0) = 0``.

``dH_C/dW = R1 + R2`` with the energy term ``R1`` and the |W| term ``R2 = -sign(W) / sum|W|``
(``docs/derivation.md`` eq. D10, :func:`.relations.reference_terms`). ``docs/diagnoses.md``
("The structure of the gradient") lists the names.
"""

from __future__ import annotations

import math

import numpy as np

from ..results import Diagnosis
from .relations import MATCH, close, explains, num, reference_terms, term_coefficients
from .variant_grads import MATRIX_NORMS, SVD_MAX_SIZE, matrix_norm_variant


#: coefficients this close to 1 are not a term mistake of the catalogue (those are 0, -1, 2,
#: 1/ln 2, ...): the error is left to the precision diagnoses
NEAR_ONE = 0.05


def gradient_terms(case, value, grad, unit="nats") -> list:
    """``grad = a * R1 + b * R2``: one term scaled, dropped or with the wrong sign.

    Named only when the two coefficients differ (equal ones scale the whole gradient, which is
    not one term), one of them by more than :data:`NEAR_ONE` from 1 (closer, on a small case, the
    fit also absorbs rounding errors: the precision diagnoses decide), and the fit explains the
    error.
    """
    R1, R2, _, S = reference_terms(case)
    fit = term_coefficients(grad, R1, R2)
    if fit is None:
        return []
    a, b = fit
    if abs(a - b) <= MATCH * max(abs(a), abs(b)) or max(abs(a - 1), abs(b - 1)) <= NEAR_ONE or \
            not explains(grad, a * R1 + b * R2, case.grad):
        return []
    a_r, b_r = round(a, 3), round(b, 3)
    mixed = log_base_mixed(a, b, unit)
    if mixed:
        return mixed
    head = (f"gradient = {num(a, '.3f')} x (energy term) + {num(b, '.3f')} x (|W| term), "
            "reference 1 and 1: ")
    if abs(a_r + 1) < MATCH and abs(b_r - 1) < MATCH:
        return [Diagnosis("adjoint_not_flipped", head + (
            "the energy term has the wrong sign. A hand-written backward pass applied the kernel "
            "K_a instead of its adjoint K_a^T (the flipped kernel = -K_a for the antisymmetric "
            "Scharr kernels); use the transposed convolution"))]
    if abs(a_r - 2) < MATCH and abs(b_r - 1) < MATCH:
        log_e = value - (2 * (case.value_nats + math.log(S)) - math.log(S))
        extra = " and the value is log(E) - log(sum|W|)" if abs(log_e) <= MATCH else ""
        return [Diagnosis("outer_half_missing", head + (
            f"the energy term is doubled{extra}: the 1/2 in front of log(E) (the square root of "
            "the paper's construction) is missing"))]
    if abs(a_r) < MATCH or abs(b_r) < MATCH:
        missing = ("the energy term (1/(k E)) sum_a K_a^T K_a W" if abs(a_r) < MATCH
                   else "the |W| term -sign(W) / sum|W| (derivative of -log sum|W|)")
        return [Diagnosis("gradient_term_missing", head + f"the gradient lacks {missing}")]
    return [Diagnosis("gradient_terms", head + "one term of dH_C/dW is scaled or has the wrong "
                      "sign (docs/derivation.md eq. D10)")]


def log_base_mixed(a: float, b: float, unit: str) -> list:
    """One gradient term scaled by a log-base factor (``1/ln 2``...) and the other not."""
    want = 1.0 if unit == "nats" else math.log(2.0)
    names = {math.e: "natural log", 2.0: "log2", 10.0: "log10"}
    for base, label in names.items():
        f = want / math.log(base)
        if abs(f - 1.0) < 10 * MATCH:
            continue
        factor = {2.0: "1/ln 2 = 1.4427", 10.0: "1/ln 10 = 0.4343", math.e: "ln 2 = 0.6931"}[base]
        for term, (x, y) in (("energy term 1/2 log(E)", (a, b)), ("|W| term -log(sum|W|)", (b, a))):
            if abs(x - f) < MATCH and abs(y - 1.0) < MATCH:
                return [Diagnosis("log_base_mixed", (
                    f"the gradient's {term} is {factor} x the reference and the other term is "
                    f"right: that term uses {label} while the rest uses "
                    f"{'natural logs' if unit == 'nats' else 'log2 (bits)'}. Use one log for "
                    f"both terms ({unit} requested)"))]
    return []


def sign_at_zero(case, value, grad) -> list:
    W = case.W
    zero = W == 0
    if not zero.any() or abs(value - case.value_nats) > MATCH:
        return []
    err = grad - case.grad
    S = float(np.abs(W.astype(np.float64)).sum())
    scale = float(np.max(np.abs(case.grad)))
    off = np.abs(err[zero])
    if np.max(np.abs(err[~zero]), initial=0.0) > MATCH * scale or not off.any():
        return []
    if np.max(np.abs(off[off > MATCH / S] - 1.0 / S), initial=0.0) > MATCH / S:
        return []
    return [Diagnosis("sign_at_zero", (
        f"the gradient differs only at {int((off > MATCH / S).sum())} exact zero(s) of W, by "
        "1/sum|W|: your derivative of |w| at w = 0 is +-1; the reference uses the subgradient "
        "sign(0) = 0. JAX's grad of jnp.abs is 1 at 0 (write sum|W| as jnp.sum(W * "
        "jnp.sign(W))); PyTorch's abs backward already gives 0"))]


def matrix_norm(case, value: float, grad: np.ndarray) -> list:
    """``sum |W|`` computed with a matrix norm (induced 1-norm, Frobenius, ...)."""
    W = case.W.astype(np.float64)
    svd = np.linalg.svd(W, full_matrices=False) if W.ndim == 2 and W.size <= SVD_MAX_SIZE else None
    for ord_, what in MATRIX_NORMS.items():
        got = matrix_norm_variant(W, case.axes, ord_, svd=svd)
        if got is None or not close(grad, got[1]):
            continue
        return [Diagnosis("matrix_norm", (
            f"sum |W| was computed as {what}, not the entry-wise sum of |W| (value off by "
            f"{num(value - case.value_nats, '+.4f')} nats). Use W.abs().sum() (torch; or "
            "torch.linalg.vector_norm(W, ord=1)), jnp.abs(W).sum(), np.abs(W).sum()"))]
    return []
