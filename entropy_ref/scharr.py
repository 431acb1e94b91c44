"""The Scharr operator ``W -> (G_x * W, G_y * W)`` and its exact adjoint (paper section 3, eq. 3 and 7).

Two implementations of each map live here, side by side:

* ``scharr_gradient`` / ``scharr_gradient_adjoint``: vectorised, built from separable 1-D passes
  (``docs/derivation.md`` eq. D2 and D9), for any number of chosen axes;
* ``scharr_gradient_loop`` / ``scharr_gradient_adjoint_loop``: plain Python loops over every entry
  and every kernel tap, written to be read next to the equations. The tests check that both agree.

All conventions (kernel values, convolution vs correlation, zero padding, same-size output) are in
:mod:`entropy_ref.conventions` and ``docs/conventions.md``.
"""

from __future__ import annotations

import itertools

import numpy as np

from .validation.arrays import as_float_array, normalize_axes
from .conventions import DERIVATIVE, SMOOTHING


def _along(ndim: int, axis: int, sl: slice) -> tuple:
    """Index tuple that applies ``sl`` along ``axis`` and takes everything elsewhere."""
    index = [slice(None)] * ndim
    index[axis] = sl
    return tuple(index)


def convolve3(x: np.ndarray, kernel, axis: int) -> np.ndarray:
    """Zero-padded, same-size convolution of ``x`` with a 3-tap ``kernel`` along ``axis``.

    Parameters
    ----------
    x : ndarray, shape (..., n, ...)
    kernel : array_like, shape (3,)
        In convolution order: ``y[j] = k[0] x[j+1] + k[1] x[j] + k[2] x[j-1]`` (eq. D1).
    axis : int

    Returns
    -------
    y : ndarray, same shape and dtype as ``x`` (float; integer ``x`` is converted to float64)

    Examples
    --------
    >>> convolve3(np.array([0.0, 1.0, 4.0, 9.0]), [0.5, 0.0, -0.5], axis=0)
    array([ 0.5,  2. ,  4. , -2. ])
    """
    if not isinstance(x, np.ndarray) or x.dtype.kind != "f":   # ints would truncate the taps
        x = as_float_array(x, "x")
    axis = normalize_axes((axis,), x.ndim)[0]
    k0, k1, k2 = (x.dtype.type(k) for k in kernel)
    nd = x.ndim
    y = k1 * x
    y[_along(nd, axis, slice(None, -1))] += k0 * x[_along(nd, axis, slice(1, None))]
    y[_along(nd, axis, slice(1, None))] += k2 * x[_along(nd, axis, slice(None, -1))]
    return y


def correlate3(x: np.ndarray, kernel, axis: int) -> np.ndarray:
    """Zero-padded, same-size cross-correlation along ``axis``: the adjoint of :func:`convolve3`.

    ``y[j] = k[0] x[j-1] + k[1] x[j] + k[2] x[j+1]``, i.e. convolution with the flipped kernel
    (eq. D8).

    Examples
    --------
    >>> correlate3(np.array([0.0, 1.0, 4.0, 9.0]), [0.5, 0.0, -0.5], axis=0)
    array([-0.5, -2. , -4. ,  2. ])
    """
    return convolve3(x, tuple(kernel)[::-1], axis)


def scharr_gradient(W, axes=None) -> tuple[np.ndarray, ...]:
    """Scharr components of ``W``: ``nabla_box W`` of the paper (section 3; eq. 7 for tensors).

    Parameters
    ----------
    W : array_like, shape (n_0, ..., n_{d-1})
        Real, finite, non-empty. Integer/bool input becomes float64; float32 stays float32.
    axes : sequence of int, optional
        The ``k`` axes the operator runs over, one component each, in this order. Default ``(1, 0)``
        for a matrix (x = axis 1 first, then y = axis 0) and ``(0,)`` for a vector; required for
        higher rank.

    Returns
    -------
    components : tuple of ndarray, each shaped like ``W``
        One per chosen axis, in the order of ``axes``: component ``i`` is the central difference
        ``DERIVATIVE`` along ``axes[i]`` and the smoothing ``SMOOTHING`` along every other chosen
        axis, both as zero-padded same-size convolutions. For a matrix and the default axes this
        is the paper's ``(g_x, g_y)`` = ``(G_x * W, G_y * W)``; ``axes=(0, 1)`` gives ``(g_y, g_x)``.

    Notes
    -----
    ``g_i = D_i prod_{j != i} S_j W`` (``docs/derivation.md`` eq. D2, D12). For ``k = 2`` this equals
    the 2-D convolutions ``G_x * W`` and ``G_y * W`` with the paper's kernels (tested against
    ``scipy.signal.convolve2d(W, G, mode="same")``).

    Examples
    --------
    >>> W = np.array([[0.0, 0.0, 1.0, 1.0]] * 3)           # a vertical step edge
    >>> g_x, g_y = scharr_gradient(W)
    >>> g_x[1]                                             # interior row: (W[j+1] - W[j-1]) / 2
    array([ 0. ,  0.5,  0.5, -0.5])
    >>> float(abs(g_y[1]).max())
    0.0
    """
    W = as_float_array(W)
    return separable_components(W, normalize_axes(axes, W.ndim))


def separable_components(W: np.ndarray, axes, smoothing=SMOOTHING) -> tuple[np.ndarray, ...]:
    """The separable operator of eq. D2 with any 3-tap ``smoothing`` (Scharr's by default).

    Component ``i`` is the difference ``DERIVATIVE`` along ``axes[i]`` after ``smoothing`` along
    every other chosen axis. No input checks: :func:`scharr_gradient` is the public entry; the
    verification kit calls this with other edge kernels (Sobel, Prewitt) to name a port's kernel.
    """
    components = []
    for i in axes:
        g = W
        for j in axes:
            if j != i:
                g = convolve3(g, smoothing, j)
        components.append(convolve3(g, DERIVATIVE, i))
    return tuple(components)


def separable_adjoint(components, axes, smoothing=SMOOTHING) -> np.ndarray:
    """``sum_i G_i^T c_i`` for :func:`separable_components` (eq. D8/D9), without checks."""
    total = np.zeros(components[0].shape, dtype=np.result_type(*components))
    for i, c in zip(axes, components):
        t = correlate3(c, DERIVATIVE, i)
        for j in axes:
            if j != i:
                t = correlate3(t, smoothing, j)
        total += t
    return total


def scharr_gradient_adjoint(components, axes=None) -> np.ndarray:
    """Exact adjoint (transpose) of :func:`scharr_gradient`: ``sum_i G_i^T c_i``.

    Parameters
    ----------
    components : sequence of ndarray, each of the same shape
        One array per chosen axis, in the order of ``axes``.
    axes : sequence of int, optional
        As in :func:`scharr_gradient`.

    Returns
    -------
    ndarray, shape of each component
        Satisfies ``<scharr_gradient(W), c> == <W, scharr_gradient_adjoint(c)>`` exactly (eq. D9).

    Notes
    -----
    The adjoint of a zero-padded same-size convolution is the zero-padded same-size
    cross-correlation with the same kernel (convolution with the flipped kernel), eq. D8. For the
    antisymmetric ``DERIVATIVE`` that is ``-D``; the symmetric ``SMOOTHING`` is self-adjoint.

    Examples
    --------
    >>> W = np.arange(12.0).reshape(3, 4)
    >>> c = scharr_gradient(W)
    >>> scharr_gradient_adjoint(c).shape
    (3, 4)
    """
    comps, axes = _check_components(components, axes)
    with np.errstate(over="ignore", invalid="ignore"):   # checked just below
        total = separable_adjoint(comps, axes)
    return _check_finite_sum(total, comps)


def _check_components(components, axes):
    """``(components as float arrays, axes)`` for the adjoints, or a one-line error."""
    if isinstance(components, np.ndarray):
        raise TypeError("components must be a sequence of arrays, one per chosen axis, not a "
                        "single array; wrap one component in a list: [c]")
    if not isinstance(components, (list, tuple)):
        raise TypeError(f"components must be a list or tuple of arrays, one per chosen axis; "
                        f"got {type(components).__name__}")
    comps = [as_float_array(c, name="components[%d]" % n) for n, c in enumerate(components)]
    if not comps:
        raise ValueError("components is empty: pass one array per chosen axis (as returned by "
                         "scharr_gradient)")
    shape = comps[0].shape
    if any(c.shape != shape for c in comps):
        raise ValueError(f"components must share one shape; got {[c.shape for c in comps]}")
    axes = normalize_axes(axes, len(shape))
    if len(comps) != len(axes):
        raise ValueError(f"expected {len(axes)} components (one per axis in {axes}), got {len(comps)}")
    return comps, axes


def _check_finite_sum(total: np.ndarray, comps) -> np.ndarray:
    """Each term ``G_i^T c_i`` is bounded by ``max |c_i|`` (kernel weights sum to 1 in absolute
    value), but their sum over ``k`` axes can exceed the dtype's range: refuse it clearly."""
    if not np.isfinite(total).all():
        raise ValueError(f"scharr_gradient_adjoint: the result overflows {total.dtype} (it sums "
                         f"{len(comps)} terms each up to max |c_i| = "
                         f"{max(float(np.max(np.abs(c))) for c in comps):.3g}); rescale the "
                         f"components")
    return total


def _kernel_tap(i_pos: int, offsets: tuple[int, ...]) -> float:
    """Weight of the tap at ``offsets`` (each in -1, 0, 1) of the component differentiating axis ``i_pos``."""
    w = 1.0
    for pos, o in enumerate(offsets):
        w *= DERIVATIVE[o + 1] if pos == i_pos else SMOOTHING[o + 1]
    return w


def scharr_gradient_loop(W, axes=None) -> tuple[np.ndarray, ...]:
    """Plain-loop twin of :func:`scharr_gradient`, for reading (slow: use small arrays).

    ``g_i[p] = sum_o K_i[o] W[p - o]`` over the ``3^k`` taps ``o`` (convolution: the input index
    is ``p - o``), with ``W`` taken as zero outside its bounds (eq. D1, D12).

    Examples
    --------
    >>> W = np.arange(6.0).reshape(2, 3)
    >>> all(np.allclose(a, b) for a, b in zip(scharr_gradient_loop(W), scharr_gradient(W)))
    True
    """
    W = as_float_array(W)
    axes = normalize_axes(axes, W.ndim)
    out = [np.zeros_like(W) for _ in axes]
    taps = list(itertools.product((-1, 0, 1), repeat=len(axes)))
    for p in np.ndindex(*W.shape):
        for i_pos in range(len(axes)):
            acc = 0.0
            for o in taps:
                q = list(p)
                for ax, off in zip(axes, o):
                    q[ax] -= off
                if all(0 <= q[ax] < W.shape[ax] for ax in axes):
                    acc += _kernel_tap(i_pos, o) * W[tuple(q)]
            out[i_pos][p] = acc
    return tuple(out)


def scharr_gradient_adjoint_loop(components, axes=None) -> np.ndarray:
    """Plain-loop twin of :func:`scharr_gradient_adjoint`: ``(K^T c)[q] = sum_i sum_o K_i[o] c_i[q + o]``.

    Each ``W[q]`` fed ``g_i[p]`` with weight ``K_i[o]`` where ``p = q + o``; the transpose gathers
    those contributions back (eq. D8).

    Examples
    --------
    >>> c = scharr_gradient(np.arange(6.0).reshape(2, 3))
    >>> np.allclose(scharr_gradient_adjoint_loop(c), scharr_gradient_adjoint(c))
    True
    """
    comps, axes = _check_components(components, axes)
    shape = comps[0].shape
    out = np.zeros(shape, dtype=np.result_type(*comps))
    taps = list(itertools.product((-1, 0, 1), repeat=len(axes)))
    for q in np.ndindex(*shape):
        acc = 0.0
        for i_pos, c in enumerate(comps):
            for o in taps:
                p = list(q)
                for ax, off in zip(axes, o):
                    p[ax] += off
                if all(0 <= p[ax] < shape[ax] for ax in axes):
                    acc += float(_kernel_tap(i_pos, o)) * float(c[tuple(p)])  # inf, no warning
        with np.errstate(over="ignore"):                              # checked just below
            out[q] = acc
    return _check_finite_sum(out, comps)
