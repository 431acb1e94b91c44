"""The two halves of the sparsity loss: ``l_C = loghoyer + rayleigh`` (``docs/ablation.md``).

For any ``W`` with ``S = sum |W|``, ``Q = ||W||_2^2 = sum W^2`` and the energy ``E`` of eq. D4
(``E = (1/k) sum_i ||g_i||^2``, the quantity inside eq. 3's log):

* ``loghoyer(W) = 1/2 log(S^2 / Q) = log S - 1/2 log Q`` (eq. A2): a log-form, scale-invariant
  DeepHoyer term; it ignores where the entries sit;
* ``rayleigh(W) = -1/2 log(E / Q)`` (eq. A3): minus half the log of the Rayleigh quotient of the
  Scharr operator; the only half that depends on the spatial arrangement of ``W``;
* ``loghoyer(W) + rayleigh(W) = log S - 1/2 log E = l_C(W)`` exactly (eq. A1), and so are the
  gradients (eq. A6).

Each half has a fast function ``*_grad(W, ...) -> (value, grad)`` (the trainer's float32 path) and a
readable float64 twin ``*_grad_reference`` written term by term as in ``docs/ablation.md``; the
Rayleigh twin builds the energy with :func:`~entropy_ref.scharr_gradient` and its adjoint, the
fast one reuses the fused ``H_C`` kernel of :mod:`entropy_ref.entropy` through eq. A7.
Conventions (``sign(0) = 0``, axes, units) are those of :mod:`entropy_ref.entropy`.
"""

from __future__ import annotations

import math

import numpy as np

from . import scaling
from .errors import DegenerateInputError
from .validation.arrays import as_float_array, normalize_axes
from .validation.buffers import check_out
from .conventions import unit_divisor
from .entropy import configuration_entropy_grad
from .scharr import scharr_gradient, scharr_gradient_adjoint

__all__ = ["loghoyer", "loghoyer_grad", "loghoyer_grad_reference", "loghoyer_grad_loop",
           "rayleigh", "rayleigh_grad", "rayleigh_grad_reference"]


def _sums(W: np.ndarray, scratch: np.ndarray):
    """``(S, Q) = (sum |W|, sum W^2)``: entries in ``W``'s dtype (in ``scratch``, like ``W``),
    accumulated in float64; ``inf`` or 0 when out of range (then the caller rescales)."""
    with np.errstate(over="ignore", under="ignore"):
        S = float(np.abs(W, out=scratch).sum(dtype=np.float64))
        Q = float(np.square(W, out=scratch).sum(dtype=np.float64))
    return S, Q


def _prepare(W, axes, unit):
    W = as_float_array(W)
    return W, normalize_axes(axes, W.ndim), unit_divisor(unit)


def _check_nonzero(S: float, W: np.ndarray, who: str) -> None:
    if S == 0.0:
        raise DegenerateInputError(f"{who}: W is all zeros (shape {W.shape}): log(sum |W|) and "
                                   f"log(sum W^2) are -inf, so {who} is undefined")


def _in_range(W: np.ndarray, scratch: np.ndarray):
    """``(W', e, S, Q)`` with ``W = 2**e W'`` and ``S``, ``Q`` of ``W'`` representable (eq. A5)."""
    S, Q = _sums(W, scratch)
    e = scaling.exponent_if_out_of_range(W, Q)
    if e:
        W = scaling.rescaled(W, e)
        return W, e, *_sums(W, scratch)
    return W, 0, S, Q


def loghoyer_grad(W, unit: str = "nats", *, out=None):
    """Value and gradient of ``loghoyer(W) = 1/2 log(S^2 / Q)`` (fast path).

    Parameters
    ----------
    W : array_like, any shape, not all zero
        Real and finite. float32 stays float32; anything else is computed in float64.
    unit : {"nats", "bits"}
    out : ndarray, optional
        Array of ``W``'s shape and float dtype for the gradient.

    Returns
    -------
    value : float
        ``log S - 1/2 log Q`` with ``S = sum |W|``, ``Q = sum W^2``; in ``[0, 1/2 log W.size]``.
    grad : ndarray, shape and dtype of ``W``
        ``sign(W) / S - W / Q``.

    Notes
    -----
    Eq. A2 (value) and A4 (gradient) of ``docs/ablation.md``. Scale invariant (eq. A5);
    ``<W, grad> = 0`` (Euler identity, eq. A5). ``sign(0) = 0`` as in eq. D11.

    Examples
    --------
    >>> value, grad = loghoyer_grad(np.array([3.0, 0.0, -4.0]))
    >>> bool(np.isclose(value, 0.5 * np.log(49 / 25), rtol=1e-14)), grad  # sign(w)/7 - w/25
    (True, array([0.02285714, 0.        , 0.01714286]))
    """
    W, divisor = as_float_array(W), unit_divisor(unit)
    check_out(out, W.shape, W.dtype, who="loghoyer_grad", inputs=[("W", W)])
    scratch = np.empty_like(W)
    Ws, e, S, Q = _in_range(W, scratch)
    _check_nonzero(S, W, "loghoyer")
    value = (math.log(S) - 0.5 * math.log(Q)) / divisor
    grad = np.sign(Ws, out=out)                                   # sign(W) / S - W / Q  (A4)
    np.multiply(grad, W.dtype.type(1.0 / (S * divisor)), out=grad)
    np.multiply(Ws, W.dtype.type(1.0 / (Q * divisor)), out=scratch)
    np.subtract(grad, scratch, out=grad)
    return value, (scaling.scale_back(grad, e, "the gradient of loghoyer") if e else grad)


def loghoyer(W, unit: str = "nats") -> float:
    """``loghoyer(W) = 1/2 log(||W||_1^2 / ||W||_2^2)`` (eq. A2); see :func:`loghoyer_grad`.

    Examples
    --------
    >>> bool(np.isclose(loghoyer(np.ones((2, 3))), 0.5 * np.log(6), rtol=1e-14))  # the maximum
    True
    >>> loghoyer(np.array([0.0, -2.0, 0.0]))                                # one spike: 0
    0.0
    """
    return loghoyer_grad(W, unit)[0]


def loghoyer_grad_reference(W, unit: str = "nats"):
    """Readable float64 twin of :func:`loghoyer_grad`, term by term as in eq. A2 and A4.

    Examples
    --------
    >>> W = np.arange(-3.0, 3.0).reshape(2, 3)
    >>> v, g = loghoyer_grad_reference(W); v2, g2 = loghoyer_grad(W)
    >>> abs(v - v2) < 1e-12 and bool(np.allclose(g, g2, rtol=1e-12, atol=0))
    True
    """
    W, divisor = as_float_array(W).astype(np.float64), unit_divisor(unit)
    Ws, e, S, Q = _in_range(W, np.empty_like(W))
    _check_nonzero(S, W, "loghoyer")
    value = math.log(S) - 0.5 * math.log(Q)                       # A2
    dS = np.sign(Ws)                                              # dS/dW, D11
    dQ = 2.0 * Ws                                                 # dQ/dW
    grad = dS / S - 0.5 * dQ / Q                                  # A4
    grad = scaling.scale_back(grad, e, "the gradient of loghoyer") if e else grad
    return value / divisor, grad / divisor


def loghoyer_grad_loop(W):
    """Plain-loop twin (nats, float64): one pass for the sums, one for the gradient (eq. A4).

    Examples
    --------
    >>> W = np.array([[1.0, -2.0], [0.0, 0.5]])
    >>> v, g = loghoyer_grad_loop(W); v2, g2 = loghoyer_grad(W)
    >>> abs(v - v2) < 1e-12 and bool(np.allclose(g, g2, rtol=1e-12, atol=0))
    True
    """
    W = np.asarray(W, dtype=np.float64)
    S = Q = 0.0
    for idx in np.ndindex(*W.shape):
        S += abs(W[idx])
        Q += W[idx] * W[idx]
    _check_nonzero(S, W, "loghoyer")
    grad = np.zeros_like(W)
    for idx in np.ndindex(*W.shape):
        w = W[idx]
        sign = 1.0 if w > 0 else (-1.0 if w < 0 else 0.0)
        grad[idx] = sign / S - w / Q
    return math.log(S) - 0.5 * math.log(Q), grad


def rayleigh_grad(W, axes=None, unit: str = "nats", *, out=None):
    """Value and gradient of ``rayleigh(W) = -1/2 log(E / Q)`` (fast path).

    Parameters
    ----------
    W, axes, unit, out
        As for :func:`entropy_ref.configuration_entropy_grad` (``W`` of shape
        ``(n_0, ..., n_{d-1})``, the Scharr operator along ``axes``).

    Returns
    -------
    value : float
        ``-1/2 log E + 1/2 log Q``, ``E`` the energy of eq. D4 and ``Q = sum W^2``.
    grad : ndarray, shape and dtype of ``W``
        ``-(K^T K W) / (k E) + W / Q``.

    Notes
    -----
    Eq. A3 (value) and A4 (gradient) of ``docs/ablation.md``. Computed through eq. A7,
    ``rayleigh = -H_C - loghoyer``, from the fused ``H_C`` kernel
    (:func:`entropy_ref.configuration_entropy_grad`), so the energy and its adjoint exist in one
    place; :func:`rayleigh_grad_reference` computes it independently, term by term.

    Raises
    ------
    DegenerateInputError
        If ``W`` is all zeros or its gradient energy is zero (eq. D4; see ``docs/conventions.md``).

    Examples
    --------
    >>> W = np.arange(12.0).reshape(3, 4)
    >>> r, g = rayleigh_grad(W)
    >>> from entropy_ref import sparsity_loss
    >>> bool(np.isclose(r + loghoyer(W), sparsity_loss(W), rtol=0, atol=1e-12))
    True
    >>> abs(float(np.vdot(W, g))) < 1e-12                 # Euler identity, eq. A5
    True
    """
    W, axes, divisor = _prepare(W, axes, unit)
    check_out(out, W.shape, W.dtype, who="rayleigh_grad", inputs=[("W", W)])
    H, grad = configuration_entropy_grad(W, axes, unit, out=out)   # KtKW/(kE) - sign/S
    lh, lh_grad = loghoyer_grad(W, unit)                            # sign/S - W/Q
    grad += lh_grad                                                 # KtKW/(kE) - W/Q
    np.negative(grad, out=grad)                                     # A7: -(dH + dLH)
    return -H - lh, grad


def rayleigh(W, axes=None, unit: str = "nats") -> float:
    """``rayleigh(W) = -1/2 log(E / ||W||_2^2)`` (eq. A3); see :func:`rayleigh_grad`.

    Examples
    --------
    >>> W = np.zeros((5, 5)); W[2, 2] = 1.0     # an isolated spike: E / Q = sum of G_x's
    >>> bool(np.isclose(rayleigh(W), -0.5 * np.log(236 / 1024), rtol=1e-14))  # squared taps
    True
    """
    return rayleigh_grad(W, axes, unit)[0]


def rayleigh_grad_reference(W, axes=None, unit: str = "nats"):
    """Readable float64 twin of :func:`rayleigh_grad`, term by term as in eq. A3 and A4.

    Builds ``g = K W`` with :func:`~entropy_ref.scharr_gradient`, ``K^T K W`` with the adjoint
    :func:`~entropy_ref.scharr_gradient_adjoint`, and never touches ``H_C`` or ``sum |W|``.

    Examples
    --------
    >>> W = np.arange(12.0).reshape(3, 4)
    >>> v, g = rayleigh_grad_reference(W); v2, g2 = rayleigh_grad(W)
    >>> abs(v - v2) < 1e-12 and bool(np.allclose(g, g2, rtol=1e-12, atol=1e-15))
    True
    """
    W, axes, divisor = _prepare(W, axes, unit)
    W = W.astype(np.float64)
    k = len(axes)
    g = scharr_gradient(W, axes)                              # D2
    E = sum(float(np.vdot(c, c)) for c in g) / k              # D4
    Q = float(np.vdot(W, W))
    S = float(np.abs(W).sum())
    e = scaling.exponent_if_out_of_range(W, E, Q)            # exact rescale, A5
    if e:
        value, grad = rayleigh_grad_reference(scaling.rescaled(W, e), axes, unit)
        return value, scaling.scale_back(grad, e, "the gradient of rayleigh")
    _check_nonzero(S, W, "rayleigh")
    if E == 0.0:
        raise DegenerateInputError(f"rayleigh: zero gradient energy (every Scharr component of W "
                                   f"vanishes, shape {W.shape}), so log E = -inf; see "
                                   f"docs/conventions.md, 'Degenerate inputs'")
    value = -0.5 * math.log(E) + 0.5 * math.log(Q)            # A3
    dE = (2.0 / k) * scharr_gradient_adjoint(g, axes)         # D9: dE/dW = (2/k) K^T K W
    dQ = 2.0 * W
    grad = -0.5 * dE / E + 0.5 * dQ / Q                       # A4
    return value / divisor, grad / divisor
