"""Configuration entropy ``H_C`` (right-hand side of the paper's eq. 3), the sparsity loss ``l_C = -H_C``
and their hand-derived gradients, for one array. The sum over a model's layers is
:func:`entropy_ref.penalty_sum` (:mod:`entropy_ref.regularizers.configuration`).

Naming (see ``docs/conventions.md``, 'The sign question'): the paper uses the name ``H_C`` twice.
``configuration_entropy`` is the right-hand side of eq. 3, the quantity eq. 3 labels ``H_C(W)``;
``sparsity_loss`` is the paper's ``l_C`` = minus that, which sections 2-3 call the estimate of the
configuration entropy and which the paper's experiment adds to the cross-entropy. Which of the two
signs actually sparsifies is measured by the reproduction (``docs/results.md``), not decided here.
"""

from __future__ import annotations

import math

import numpy as np

from . import fused, scaling
from .conventions import unit_divisor
from .errors import DegenerateInputError
from .validation.arrays import as_float_array, normalize_axes
from .validation.buffers import check_out
from .scharr import scharr_gradient, scharr_gradient_adjoint

_ZERO_ENERGY = (
    "zero gradient energy: every Scharr component of W vanishes, so log(E) = -inf and H_C is "
    "undefined. This happens for nonzero W too: the central difference (W[j+1] - W[j-1]) / 2 "
    "skips the centre, so e.g. [[1, 0, 1]] has both components exactly zero, and an axis of "
    "length 1 contributes no difference at all (a 1 x n matrix has g_y == 0 identically, a 1 x 1 "
    "matrix has no gradient). See docs/derivation.md §7, 'Degenerate inputs'."
)


def _prepare(W, axes, unit):
    W = as_float_array(W)
    axes = normalize_axes(axes, W.ndim)
    return W, axes, unit_divisor(unit)


#: a first attempt at extreme scales may overflow inside; its result is then discarded
_QUIET = dict(over="ignore", under="ignore", invalid="ignore")
#: how the error of :func:`entropy_ref.scaling.scale_back` names what overflowed
_GRADIENT = "the gradient of H_C"


def _check_sums(E: float, S: float, W: np.ndarray) -> None:
    if S == 0.0:
        raise DegenerateInputError(
            f"W is all zeros (sum |W| = 0, shape {W.shape}): log(sum |W|) = -inf, H_C is undefined"
        )
    if E == 0.0:
        raise DegenerateInputError(_ZERO_ENERGY + f" (shape {W.shape})")


def configuration_entropy_grad(W, axes=None, unit: str = "nats", *, out=None):
    """Value and hand-derived gradient of ``H_C`` (fast fused path).

    Parameters
    ----------
    W : array_like, shape (n_0, ..., n_{d-1})
        Real and finite. float32 stays float32 (fast); anything else is computed in float64.
    axes : sequence of int, optional
        Axes the Scharr operator runs over (see :func:`entropy_ref.scharr_gradient`).
    unit : {"nats", "bits"}
    out : ndarray, optional
        Writeable array of ``W``'s shape and dtype to write the gradient into (any strides). An
        ``out`` sharing memory with ``W`` is refused with ``ValueError``.

    Returns
    -------
    H : float
    dH_dW : ndarray, shape of ``W``, dtype float32 or float64

    Notes
    -----
    ``dH/dW = (sum_i G_i^T G_i W) / (k E) - sign(W) / S`` (``docs/derivation.md`` eq. D10, D11)
    with ``E = (1/k) sum_i ||G_i * W||^2`` and ``S = sum |W|``; ``sign(0) = 0`` is the subgradient
    used at exact zeros. ``G_i^T`` is the transposed (flipped-kernel) convolution, eq. D8.

    Raises
    ------
    DegenerateInputError
        If ``sum |W| = 0`` or the gradient energy ``E`` is zero.
    ValueError, TypeError
        For a bad ``W`` or ``out`` (``docs/robustness.md``).

    Examples
    --------
    >>> W = np.arange(12.0).reshape(3, 4)
    >>> H, dH_dW = configuration_entropy_grad(W)
    >>> round(H, 6), dH_dW.shape
    (-2.027808, (3, 4))
    >>> abs(float(np.vdot(W, dH_dW))) < 1e-12      # Euler identity, eq. D13
    True
    """
    W, axes, divisor = _prepare(W, axes, unit)
    out = check_out(out, W.shape, W.dtype, who="configuration_entropy_grad", inputs=[("W", W)])
    H, dH_dW, Q, S = fused.value_and_grad(W, axes, divisor, out=out)
    e = scaling.exponent_if_out_of_range(W, Q, S)   # squares under/overflowed: exact rescale,
    if e:                                           # evaluated at 2**-e W without a copy of it
        H, dH_dW, Q, S = fused.value_and_grad(W, axes, divisor, out=dH_dW, scale=e)
    _check_sums(Q, S, W)
    if H is None:
        raise DegenerateInputError(_ZERO_ENERGY.replace("zero gradient energy", "gradient energy "
                                   f"below the {W.dtype} range (E = {Q:.3g})", 1))
    return H, (scaling.scale_back(dH_dW, e, _GRADIENT) if e else dH_dW)


def configuration_entropy(W, axes=None, unit: str = "nats") -> float:
    """Configuration entropy ``H_C(W)``: right-hand side of the paper's eq. 3 (eq. D5 here).

    This is the paper's name ``H_C`` as eq. 3 uses it, as the label of its right-hand side (also
    the remark under eq. 3 and eq. 6). It is ``-l_C``: larger for sparser ``W``, largest for a
    single spike. Sections 2-3 of the paper use ``H_C`` for the entropy that ``l_C`` estimates
    (:func:`sparsity_loss`); see ``docs/conventions.md``, 'The sign question'.

    Parameters
    ----------
    W : array_like, shape (n_0, ..., n_{d-1})
    axes : sequence of int, optional
    unit : {"nats", "bits"}

    Returns
    -------
    float
        ``1/2 log( (1/k) sum_i sum (G_i * W)^2 ) - log( sum |W| )``.

    Notes
    -----
    Scale invariant: ``H_C(aW) = H_C(W)`` for every ``a != 0`` (eq. D6). Exactly
    ``H_C = 1/2 log R(W) - 1/2 log(||W||_1^2 / ||W||_2^2)`` with ``R = E / ||W||_2^2`` the Rayleigh
    quotient of the Scharr operator (eq. D16, ``docs/what_hc_measures.md``).

    Examples
    --------
    >>> W = np.arange(12.0).reshape(3, 4)
    >>> round(configuration_entropy(W), 6), round(configuration_entropy(-5 * W), 6)
    (-2.027808, -2.027808)
    """
    W, axes, divisor = _prepare(W, axes, unit)
    with np.errstate(**_QUIET):
        energy = sum(float(np.vdot(g, g)) for g in scharr_gradient(W, axes)) / len(axes)
        S = float(np.abs(W).sum())
    e = scaling.exponent_if_out_of_range(W, energy, S)
    if e:
        return configuration_entropy(scaling.rescaled(W, e), axes, unit)
    _check_sums(energy, S, W)
    return (0.5 * math.log(energy) - math.log(S)) / divisor


def configuration_entropy_grad_reference(W, axes=None, unit: str = "nats"):
    """Readable twin of :func:`configuration_entropy_grad`, term by term as in eq. D10.

    Builds the components with :func:`~entropy_ref.scharr_gradient`, sends them back through the
    adjoint :func:`~entropy_ref.scharr_gradient_adjoint` and divides, in float64.

    Examples
    --------
    >>> W = np.arange(12.0).reshape(3, 4)
    >>> H, g = configuration_entropy_grad_reference(W)
    >>> H2, g2 = configuration_entropy_grad(W)
    >>> bool(np.allclose(g, g2, rtol=1e-12, atol=0)) and abs(H - H2) < 1e-12
    True
    """
    W, axes, divisor = _prepare(W, axes, unit)
    W = W.astype(np.float64)
    k = len(axes)
    g = scharr_gradient(W, axes)                              # eq. D2
    with np.errstate(**_QUIET):
        E = sum(float(np.vdot(c, c)) for c in g) / k          # eq. D4
        S = float(np.abs(W).sum())
    e = scaling.exponent_if_out_of_range(W, E, S)             # exact rescale, eq. D6/D14
    if e:
        H_s, grad_s = configuration_entropy_grad_reference(scaling.rescaled(W, e), axes, unit)
        return H_s, scaling.scale_back(grad_s, e, _GRADIENT)
    _check_sums(E, S, W)
    H = 0.5 * math.log(E) - math.log(S)                        # eq. D5
    dE_dW = (2.0 / k) * scharr_gradient_adjoint(g, axes)       # eq. D9
    dH_dW = dE_dW / (2.0 * E) - np.sign(W) / S                 # eq. D10
    return H / divisor, dH_dW / divisor


def sparsity_loss(W, axes=None, unit: str = "nats") -> float:
    """The paper's sparsity loss ``l_C(W) = -H_C(W)`` (eq. 3 read as ``-l_C = H_C``).

    This is the term section 5 adds to the cross-entropy, and the quantity sections 2-3 call the
    estimate of the configuration entropy ``H_C`` (the paper's other use of that name; here
    ``H_C`` is eq. 3's right-hand side, :func:`configuration_entropy`). Exactly
    ``l_C = 1/2 log(||W||_1^2 / ||W||_2^2) - 1/2 log R(W)`` (eq. D16): half the log DeepHoyer ratio
    minus half the log Rayleigh quotient; ``1/2 log k + const`` for ``k`` separated equal spikes
    (eq. D17). See ``docs/conventions.md``, 'The sign question'.

    Examples
    --------
    >>> W = np.arange(12.0).reshape(3, 4)
    >>> bool(np.isclose(sparsity_loss(W), -configuration_entropy(W), rtol=1e-15, atol=0))
    True
    """
    return -configuration_entropy(W, axes, unit)


def sparsity_loss_grad(W, axes=None, unit: str = "nats", *, out=None):
    """Value and gradient of ``l_C = -H_C``: ``(-H_C, -dH_C/dW)``.

    Examples
    --------
    >>> W = np.arange(12.0).reshape(3, 4)
    >>> l, dl = sparsity_loss_grad(W)
    >>> H, dH = configuration_entropy_grad(W)
    >>> bool(np.isclose(l, -H, rtol=1e-15, atol=0) and np.allclose(dl, -dH, rtol=1e-15, atol=0))
    True
    """
    H, dH_dW = configuration_entropy_grad(W, axes, unit, out=out)
    np.negative(dH_dW, out=dH_dW)
    return -H, dH_dW
