"""Name the usual porting mistakes from how an implementation's outputs differ from a golden case.

Each diagnosis tests one exact relation between the outputs and the reference (a sign, a constant
offset of the value, errors confined to the boundary, ...). A relation counts when it holds to
:data:`MATCH` (1e-3: relative for arrays, absolute nats for values): loose enough to see through
float32 rounding, tight enough that no two candidates are confused: on every golden case the
distinct candidate offsets of the value are at least 0.01 nats apart (tested); where two
explanations give exactly the same offset (``log 2 = 1/2 log 4`` on the 2 x 2 case) the one with
fewer mistakes is named. The diagnoses assume one mistake at a time (a sign or unit error combined
with one other is also recognised); fix the first one named and re-run.
Names, causes, detection and fixes are listed in ``docs/diagnoses.md``.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from ..gradcheck import rel_error
from . import mistakes, mistakes_abs
from .relations import MATCH, boundary_band, close, num
from .report import Diagnosis
from .variant_grads import batch_axes
from .variants import PADDING_MODES, offset_candidates, other_axes_values, value_with_padding

__all__ = ["INTERNAL_ERROR", "MATCH", "boundary_band", "close", "diagnose"]

_FLOAT32_TOL = 1e-4   # the float32 tolerance of the golden set


#: marks a diagnosis produced by the safety net of :func:`diagnose` (the fuzz tests assert it never is)
INTERNAL_ERROR = "internal error of the diagnosis"


def diagnose(case, value: float, grad: np.ndarray, loss: str = "H_C", unit: str = "nats") -> list:
    """Diagnoses for a failing case (see :func:`_diagnose`); never raises, never warns.

    Whatever an implementation returned, the kit reports it: a diagnosis that itself fails (a bug
    of the kit) becomes ``unexplained`` with the exception in the message, marked
    :data:`INTERNAL_ERROR`.
    """
    try:
        with np.errstate(all="ignore"):
            return _diagnose(case, value, grad, loss, unit)
    except Exception as exc:  # noqa: BLE001 - the safety net; tests/test_verify_fuzz.py watches it
        return [Diagnosis("unexplained", f"no diagnosis ({INTERNAL_ERROR}: {type(exc).__name__}: "
                          f"{exc}); please report it")]


def _diagnose(case, value: float, grad: np.ndarray, loss: str = "H_C", unit: str = "nats") -> list:
    """Diagnoses for a failing case; ``value`` and ``grad`` already converted to ``H_C`` in nats.

    Parameters
    ----------
    case : entropy_ref.golden.GoldenCase
    value : float
        The implementation's value times ``sign(loss) * divisor(unit)``.
    grad : ndarray, shape of ``case.W``
        The implementation's gradient, converted the same way.
    loss, unit : str
        What was requested (only used to word the messages).

    Returns
    -------
    list of Diagnosis
        Never empty: ``unexplained`` when no known mistake fits.
    """
    H, G = case.value_nats, case.grad
    eps = (mistakes_abs.smooth_abs(case, value, grad)   # before float32: not precision issues
           or mistakes.additive_eps(case, value, grad))
    if eps:
        return eps
    if case.tolerance.name == "float64" and abs(value - H) <= _FLOAT32_TOL \
            and rel_error(grad, G) <= _FLOAT32_TOL:
        return [Diagnosis("float32_precision", (
            f"agrees to float32 precision only (value error {abs(value - H):.1e}, gradient "
            f"{rel_error(grad, G):.1e}) on a float64 case: part of the computation runs in float32 "
            "(a float32 kernel or constant, e.g. torch.tensor(kernel) defaults to float32, a cast, "
            "or a float32 default dtype). The two usual causes: JAX computes in float32 unless "
            "jax.config.update('jax_enable_x64', True) runs before any array is created; PyTorch "
            "creates float32 tensors unless told otherwise (torch.set_default_dtype(torch.float64) "
            "or dtype=torch.float64). A port meant for float32 is certified with "
            "profile='float32' (CLI: --profile float32)"))]
    scale = _grad_scale(grad, G, unit, loss)
    if scale is not None:
        return _scaled(case, value, scale) or [_unexplained(case, value, grad)]
    tests = (mistakes.other_kernel, mistakes.numpy_gradient,
             lambda c, v, g: _gradient_terms(c, v, g, unit), _sign_at_zero,
             _wrong_axes, mistakes.one_component, mistakes.matrix_norm,
             mistakes.per_matrix, mistakes.memory_order, _padding, _transposed)
    for test in tests:
        found = test(case, value, grad)
        if found:
            return found
    return [_unexplained(case, value, grad)]


def _scaled(case, value, scale) -> list:
    """The gradient is ``alpha`` times the reference: explain the value under the same factor."""
    H = case.value_nats
    alpha, found = scale
    if alpha != 1.0 and abs(value / alpha - H) <= MATCH:
        return found
    if alpha == -1.0 and abs(value - H) <= MATCH:
        return [Diagnosis("grad_sign_flipped", (
            "the value is right but the gradient is negated: the gradient of l_C = -H_C returned "
            "with the value of H_C (or an ascent/descent direction instead of the derivative)"))]
    if alpha == 1.0 and abs(value - H) <= MATCH:
        return [Diagnosis("low_precision", (
            f"value and gradient agree only to about 1e-3 (value error {abs(value - H):.1e}): "
            "beyond float32 rounding but no structural mistake - reduced precision somewhere: "
            "float16/bfloat16, or TF32 convolutions on NVIDIA GPUs (PyTorch has long enabled "
            "them for cuDNN by default; see torch.backends.cudnn.allow_tf32 / fp32_precision)"))]
    if alpha == 1.0 and abs(value + H) <= MATCH and abs(H) > MATCH:
        return [Diagnosis("value_sign_flipped", (
            "the gradient is right but the value is negated: the value of l_C = -H_C returned with "
            "the gradient of H_C"))]
    return found + _offset(case, value / alpha - H)


def _sign_message(loss: str) -> str:
    if loss == "H_C":
        return ("value = -H_C and gradient = -dH_C/dW: this is the paper's sparsity loss l_C = -H_C "
                "(eq. 3 defines -l_C = H_C). If your port computes l_C on purpose, verify it with "
                "loss='l_C' (CLI: --loss l_C)")
    return ("value = H_C and gradient = dH_C/dW: this is the configuration entropy H_C itself, not "
            "the sparsity loss l_C = -H_C. If H_C is intended, verify with loss='H_C'")


def _grad_scale(grad, G, unit, loss):
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


def _batch(case) -> int:
    """Number of slices (matrices, kernel slices) along the axes H_C is not computed over."""
    return int(np.prod([case.shape[a] for a in batch_axes(case.shape, case.axes)], dtype=np.int64))


def _offset(case, delta: float) -> list:
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


def _terms(case):
    """The two terms of the reference gradient: energy term ``R1`` and |W| term ``R2``."""
    W = case.W.astype(np.float64)
    S = float(np.abs(W).sum())
    R2 = -np.sign(W) / S
    return case.grad - R2, R2, S


def _gradient_terms(case, value, grad, unit="nats") -> list:
    """``grad = a * R1 + b * R2``: one term scaled, dropped or with the wrong sign."""
    R1, R2, S = _terms(case)
    A = np.stack([R1.ravel(), R2.ravel()], axis=1)
    if np.linalg.matrix_rank(A) < 2:
        return []
    (a, b), *_ = np.linalg.lstsq(A, grad.ravel(), rcond=None)
    if not close(grad, a * R1 + b * R2):
        return []
    a_r, b_r = round(a, 3), round(b, 3)
    mixed = mistakes.log_base_mixed(a, b, unit)
    if mixed:
        return mixed
    head = (f"gradient = {num(a, '.3f')} x (energy term) + {num(b, '.3f')} x (|W| term), "
            "reference 1 and 1: ")
    if abs(a_r + 1) < MATCH and abs(b_r - 1) < MATCH:
        return [Diagnosis("adjoint_not_flipped", head + (
            "the energy term has the wrong sign. A hand-written backward pass applied the kernel "
            "G_i instead of its adjoint G_i^T (the flipped kernel = -G_i for the antisymmetric "
            "Scharr kernels); use the transposed convolution"))]
    if abs(a_r - 2) < MATCH and abs(b_r - 1) < MATCH:
        log_e = value - (2 * (case.value_nats + math.log(S)) - math.log(S))
        extra = " and the value is log(E) - log(sum|W|)" if abs(log_e) <= MATCH else ""
        return [Diagnosis("outer_half_missing", head + (
            f"the energy term is doubled{extra}: the 1/2 in front of log(E) (the square root of "
            "the paper's construction) is missing"))]
    if abs(a_r) < MATCH or abs(b_r) < MATCH:
        missing = ("the energy term (1/(k E)) sum_i G_i^T G_i W" if abs(a_r) < MATCH
                   else "the |W| term -sign(W) / sum|W| (derivative of -log sum|W|)")
        return [Diagnosis("gradient_term_missing", head + f"the gradient lacks {missing}")]
    return [Diagnosis("gradient_terms", head + "one term of dH_C/dW is scaled or has the wrong "
                      "sign (docs/derivation.md eq. D10)")]


def _wrong_axes(case, value, grad) -> list:
    for label, v in other_axes_values(case.W, case.axes):
        if abs(value - v) <= MATCH:
            return [Diagnosis("wrong_axes", (
                f"the value matches H_C over {label}, not axes={case.axes}: the operator runs over "
                "the wrong axes (e.g. a channels-last layout (kH, kW, in, out) vs PyTorch's "
                "(out, in, kH, kW), or a conv kernel flattened to a matrix)"))]
    return []


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


def _padding(case, value, grad) -> list:
    """Errors confined to the boundary (changed energy rescales the interior) / value of a mode."""
    R1, _, _ = _terms(case)
    band = boundary_band(case.shape, case.axes)
    boundary = _boundary_only(grad - case.grad, R1, band)
    modes = [m for m in PADDING_MODES   # a mode whose H_C is the reference's tells nothing
             if (v := value_with_padding(case.W, case.axes, m)) is not None
             and abs(value - v) <= MATCH < abs(v - case.value_nats) - MATCH]
    if not boundary and not modes:
        return []
    where = ("the gradient errors sit within one entry of the boundary (inside, the gradient is "
             "the reference up to the changed energy)" if boundary else "")
    named = f"the value equals H_C with {PADDING_MODES[modes[0]]}" if modes else ""
    return [Diagnosis("padding", "; ".join(s for s in (where, named) if s) + (
        ". The reference pads with zeros (paper: 'zero-padded'), output the same size as W"))]


def _transposed(case, value, grad) -> list:
    if case.W.ndim == 2 and grad.shape == case.grad.T.shape and close(grad, case.grad.T):
        return [Diagnosis("transposed", (
            "the gradient equals the reference transposed: it was computed for W.T and returned "
            "without transposing back (H_C(W.T) = H_C(W), so the value cannot show this)"))]
    return []


def _sign_at_zero(case, value, grad) -> list:
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


def _unexplained(case, value, grad) -> Diagnosis:
    err = np.abs(grad - case.grad)
    worst = tuple(int(i) for i in np.unravel_index(int(np.argmax(err)), err.shape))
    on_edge = bool(boundary_band(case.shape, case.axes)[worst])
    return Diagnosis("unexplained", (
        f"no known single porting mistake explains this (value off by "
        f"{num(value - case.value_nats, '+.3e')} "
        f"nats; largest gradient error at index {worst}, {'on' if on_edge else 'off'} the boundary). "
        "Compare the Scharr components first: they isolate the operator from the logs"))
