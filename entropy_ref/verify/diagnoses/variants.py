"""Deliberately different versions of ``H_C`` that the diagnoses compare an implementation against.

Each function computes what a port with one specific mistake would return, from the reference
building blocks, so a diagnosis can say "your value equals H_C with reflect padding" rather than
guess: mostly values and constant offsets, and the padding modes with their gradient
(:func:`padding_variant`); the other gradients are in :mod:`.variant_grads`. Nothing here is a
valid alternative definition of ``H_C``.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from ...entropy import configuration_entropy
from ...scharr import scharr_gradient, scharr_gradient_adjoint
from .variant_grads import EDGE_KERNELS

#: numpy ``np.pad`` mode (or "valid") -> how other libraries call that boundary handling
PADDING_MODES = {
    # for a 3-tap kernel (pad width 1) 'symmetric' and 'edge' pad with the same values
    "edge": "replicate padding (numpy 'edge', identical here to 'symmetric'; scipy.ndimage "
            "'nearest', identical here to 'reflect', scipy.ndimage's default; PyTorch 'replicate')",
    "reflect": "reflect padding (numpy 'reflect'; PyTorch padding_mode='reflect'; scipy.ndimage "
               "mode='mirror')",
    "wrap": "circular padding (numpy 'wrap'; PyTorch 'circular'; scipy.ndimage 'wrap'; FFT "
            "convolution)",
    "valid": "no padding, a 'valid' convolution (PyTorch F.conv2d's default padding=0; scipy.signal "
             "mode='valid'): the outermost rows/columns get no gradient component",
}


def _crop(a: np.ndarray, axes) -> np.ndarray:
    index = tuple(slice(1, -1) if ax in axes else slice(None) for ax in range(a.ndim))
    return a[index]


def _value(comps, W, k) -> float | None:
    E = sum(float(np.vdot(c, c)) for c in comps) / k
    S = float(np.abs(W).sum())
    if E <= 0.0 or S <= 0.0:
        return None
    return 0.5 * math.log(E) - math.log(S)


def components_with_padding(W: np.ndarray, axes, mode: str):
    """Scharr components (in the order of ``axes``) with ``mode`` padding, W's shape; None for valid.

    Examples
    --------
    >>> W = np.arange(1.0, 7.0).reshape(2, 3)
    >>> components_with_padding(W, (1, 0), "wrap")[0].shape
    (2, 3)
    """
    if mode == "valid":
        return None
    W = np.asarray(W, dtype=np.float64)
    pad = [(1, 1) if ax in axes else (0, 0) for ax in range(W.ndim)]
    return tuple(_crop(c, axes) for c in scharr_gradient(np.pad(W, pad, mode=mode), axes))


def value_with_padding(W: np.ndarray, axes, mode: str) -> float | None:
    """``H_C`` (nats) with ``mode`` boundary handling instead of zero padding; None if undefined.

    Parameters
    ----------
    W : ndarray
    axes : tuple of int
    mode : str
        A key of :data:`PADDING_MODES`.

    Examples
    --------
    >>> W = np.arange(1.0, 13.0).reshape(3, 4)
    >>> value_with_padding(W, (1, 0), "edge") < configuration_entropy(W)
    True
    """
    W = np.asarray(W, dtype=np.float64)
    k = len(axes)
    if mode == "valid":
        if any(W.shape[ax] < 3 for ax in axes):
            return None
        comps = [_crop(c, axes) for c in scharr_gradient(W, axes)]
    else:
        pad = [(1, 1) if ax in axes else (0, 0) for ax in range(W.ndim)]
        comps = [_crop(c, axes) for c in scharr_gradient(np.pad(W, pad, mode=mode), axes)]
    return _value(comps, W, k)


def padding_variant(W: np.ndarray, axes, mode: str):
    """``(value, grad)`` of ``H_C`` with ``mode`` boundary handling; None if undefined.

    The padding is a gather ``W_p = W.flat[idx]`` (``idx``: the indices padded with ``mode``), so
    its adjoint is a scatter-add; "valid" crops the zero-padded components.

    Examples
    --------
    >>> W = np.arange(1.0, 13.0).reshape(3, 4)
    >>> v, g = padding_variant(W, (1, 0), "edge")
    >>> v == value_with_padding(W, (1, 0), "edge"), abs(float(np.vdot(W, g))) < 1e-12
    (True, True)
    """
    W = np.asarray(W, dtype=np.float64)
    k = len(axes)
    if mode == "valid":
        if any(W.shape[ax] < 3 for ax in axes):
            return None
        idx, Wp = None, W
    else:
        pad = [(1, 1) if ax in axes else (0, 0) for ax in range(W.ndim)]
        idx = np.pad(np.arange(W.size).reshape(W.shape), pad, mode=mode)
        Wp = W.ravel()[idx]
    comps = [_crop(c, axes) for c in scharr_gradient(Wp, axes)]
    value = _value(comps, W, k)
    if value is None:
        return None
    index = tuple(slice(1, -1) if ax in axes else slice(None) for ax in range(W.ndim))
    full = []
    for c in comps:
        f = np.zeros(Wp.shape)
        f[index] = c
        full.append(f)
    back = scharr_gradient_adjoint(full, axes)
    if idx is not None:
        back = np.bincount(idx.ravel(), weights=back.ravel(), minlength=W.size).reshape(W.shape)
    E = sum(float(np.vdot(c, c)) for c in comps) / k
    return value, back / (k * E) - np.sign(W) / float(np.abs(W).sum())


def other_axes_values(W: np.ndarray, axes, max_size: int = 100_000):
    """``(label, H_C)`` for the axis choices a port may use by mistake on an N-D tensor.

    Every other set of at least two axes, plus the 2-D flattenings ``W.reshape(n_0, -1)`` and
    ``W.reshape(-1, n_last)`` that frameworks use to view conv kernels as matrices. Empty for
    matrices and for tensors above ``max_size`` entries.

    Examples
    --------
    >>> W = np.random.default_rng(0).standard_normal((2, 3, 4))
    >>> [label for label, _ in other_axes_values(W, (1, 2))][:2]
    ['axes=(0, 1)', 'axes=(0, 2)']
    """
    W = np.asarray(W, dtype=np.float64)
    if W.ndim < 3 or W.size > max_size:
        return []
    out = []
    for k in range(2, W.ndim + 1):
        for cand in itertools.combinations(range(W.ndim), k):
            if set(cand) != set(axes) and all(W.shape[a] > 1 for a in cand):
                out.append((f"axes={cand}", _safe(W, cand)))
    for shape in ((W.shape[0], -1), (-1, W.shape[-1])):
        M = W.reshape(shape)
        out.append((f"W reshaped to a {M.shape[0]} x {M.shape[1]} matrix", _safe(M, None)))
    return [(label, v) for label, v in out if v is not None]


def _safe(W, axes):
    try:
        return configuration_entropy(W, axes)
    except ValueError:   # degenerate under this reading: not a candidate
        return None


#: centre weight of the Scharr smoothing [3, 10, 3] / 16
SMOOTHING_CENTRE = 10.0 / 16.0


def offset_candidates(k: int, n: int, batch: int = 1, thin: bool = False):
    """Constant value offsets ``delta = H_port - H_C`` that common mistakes produce, by factor.

    Returns a list of groups; each group is a list of ``(name, description, delta)``; at most one
    factor per group combines with the others. ``k`` is the number of chosen axes, ``n`` the
    number of entries of ``W``, ``batch`` the number of slices along the other axes (``B`` of a
    ``(B, R, C)`` batch, ``out * in`` of a conv kernel bank): averaging over them instead of
    summing divides the energy or ``sum |W|`` by ``B``. ``thin``: a matrix with a single row or
    column, on which another edge kernel acts only through its centre weight, a constant factor.

    Examples
    --------
    >>> groups = offset_candidates(2, 100)
    >>> [round(d, 4) for _, _, d in groups[0]]
    [3.4657, 2.7726, 0.6931]
    """
    n_int = 2.0 * 16.0 ** (k - 1)          # integer kernel = n_int * normalised kernel
    kernel = [("kernel_normalisation",
               f"the integer Scharr kernel used without its normalisation 1/{n_int:g}", math.log(n_int))]
    if k >= 2:
        kernel.append(("kernel_normalisation",
                       f"the smoothing [3, 10, 3] left unnormalised (kernel divided by 2 instead "
                       f"of {n_int:g})", math.log(16.0 ** (k - 1))))
    kernel.append(("kernel_normalisation", "the difference [1, 0, -1] left unnormalised (no 1/2)",
                   math.log(2.0)))
    if thin and k == 2:   # on one row only the centre weight w of another kernel acts
        for name, (smoothing, integer, norm) in EDGE_KERNELS.items():
            w = float(smoothing[1])
            kernel.append(("other_kernel", f"the {name} kernel {integer} / {norm:g} (on a single "
                           f"row or column only its centre weight {w:.4g} acts, Scharr's is "
                           "10/16)", math.log(w / SMOOTHING_CENTRE)))
            kernel.append(("other_kernel", f"the {name} kernel {integer} without its 1/{norm:g} "
                           "(on a single row or column only its centre weight acts)",
                           math.log(norm * w / SMOOTHING_CENTRE)))
    energy = [("half_in_log_missing",
               "the paper's 1/2 inside the log missing (sum instead of 1/2 sum)" if k == 2 else
               f"the 1/k inside the log missing (sum instead of 1/{k} sum for k = {k} axes)",
               0.5 * math.log(k))]
    if k != 2:
        energy.append(("energy_normalisation", f"1/2 inside the log instead of 1/k = 1/{k}",
                       0.5 * math.log(k / 2.0)))
    means = [("mean_instead_of_sum", "a mean instead of a sum for the squared gradient (energy)",
              -0.5 * math.log(n))]
    means_s = [("mean_instead_of_sum", "a mean instead of a sum for sum |W|", math.log(n))]
    if 1 < batch < n:
        means.append(("batch_mean", f"the energy averaged over the B = {batch} slices instead of "
                      f"summed (energy factor 1/{batch} = 1/B)", -0.5 * math.log(batch)))
        means_s.append(("batch_mean", f"sum |W| averaged over the B = {batch} slices instead of "
                        f"summed (factor 1/{batch} = 1/B)", math.log(batch)))
    return [kernel, energy, means, means_s]
