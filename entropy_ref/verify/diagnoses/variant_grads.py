"""Value *and gradient* of ``H_C`` as a port with one structural mistake computes them.

Companion of :mod:`.variants` (which holds the value-only variants and the constant offsets).
Each function here returns ``(value, grad)`` in nats, or ``None`` where the mistaken formula is
undefined (zero energy, zero norm), so a diagnosis can test "your gradient *is* the gradient of
H_C with the Prewitt kernel" exactly instead of guessing. None of them is a valid definition of
``H_C``.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from ...entropy import configuration_entropy_grad
from ...scharr import (scharr_gradient, scharr_gradient_adjoint, separable_adjoint,
                      separable_components)

#: other 3 x 3 edge kernels: name -> (smoothing [a, b, a] normalised to sum 1, integer kernel
#: along x, its normalisation = the factor between the integer kernel and ``smoothing x [1,0,-1]/2``)
EDGE_KERNELS = {
    "Sobel": (np.array([1.0, 2.0, 1.0]) / 4.0, "[[1, 0, -1], [2, 0, -2], [1, 0, -1]]", 8.0),
    "Prewitt": (np.array([1.0, 1.0, 1.0]) / 3.0, "[[1, 0, -1], [1, 0, -1], [1, 0, -1]]", 6.0),
    "Scharr (optimised 47/162, Kroon/Jaehne)": (np.array([47.0, 162.0, 47.0]) / 256.0,
                                                "[[47, 0, -47], [162, 0, -162], [47, 0, -47]]",
                                                512.0),
    "central difference without smoothing": (np.array([0.0, 1.0, 0.0]),
                                             "[[0, 0, 0], [1, 0, -1], [0, 0, 0]]", 2.0),
}

#: what ``torch.linalg.norm(W, ord=...)`` (and ``np.linalg.norm`` / ``jnp.linalg.norm``) computes
#: on a matrix, for the ords that are not the entry-wise sum |W|
MATRIX_NORMS = {
    "1": "the induced matrix 1-norm = the largest column sum of |W| (torch.linalg.norm(W, ord=1), "
         "np.linalg.norm(W, 1))",
    "inf": "the induced matrix inf-norm = the largest row sum of |W| (torch.linalg.norm(W, "
           "ord=float('inf')))",
    "fro": "the Frobenius norm sqrt(sum W^2) (torch.linalg.norm(W) / torch.norm(W), whose default "
           "is the 2-norm of the entries)",
    "2": "the spectral norm = the largest singular value (torch.linalg.norm(W, ord=2))",
    "nuc": "the nuclear norm = the sum of singular values (torch.linalg.norm(W, ord='nuc'))",
}


def _finish(E: float, S: float, dE: np.ndarray, dS: np.ndarray):
    """``(1/2 log E - log S, dE / (2E) - dS / S)``, or None when undefined."""
    if not (E > 0.0 and S > 0.0 and math.isfinite(E) and math.isfinite(S)):
        return None
    return 0.5 * math.log(E) - math.log(S), dE / (2.0 * E) - dS / S


def _np_gradient_adjoint(y: np.ndarray, axis: int) -> np.ndarray:
    """``D^T y`` along ``axis``, ``D`` the matrix of ``np.gradient`` (length >= 2)."""
    y = np.moveaxis(y, axis, 0)
    out = np.zeros_like(y)
    out[:-2] -= 0.5 * y[1:-1]                  # interior rows: (x[i+1] - x[i-1]) / 2
    out[2:] += 0.5 * y[1:-1]
    out[0] -= y[0]                             # first row: x[1] - x[0]
    out[1] += y[0]
    out[-2] -= y[-1]                           # last row: x[n-1] - x[n-2]
    out[-1] += y[-1]
    return np.moveaxis(out, 0, axis)


def numpy_gradient_variant(W: np.ndarray, axes):
    """``H_C`` and gradient with ``np.gradient`` as the components (None if an axis has length 1).

    ``np.gradient`` takes central differences ``[1, 0, -1] / 2`` without smoothing inside and
    one-sided differences at the edges (no zero padding); the energy is normalised by ``1/k``.

    Examples
    --------
    >>> W = np.random.default_rng(0).standard_normal((4, 5))
    >>> v, g = numpy_gradient_variant(W, (1, 0))
    >>> abs(float(np.vdot(W, g))) < 1e-12        # 0-homogeneous (Euler identity)
    True
    """
    W = np.asarray(W, dtype=np.float64)
    if min(W.shape[a] for a in axes) < 2:
        return None
    comps = [np.gradient(W, axis=a) for a in axes]
    k = len(axes)
    E = sum(float(np.vdot(c, c)) for c in comps) / k
    dE = 2.0 / k * sum(_np_gradient_adjoint(c, a) for a, c in zip(axes, comps))
    return _finish(E, float(np.abs(W).sum()), dE, np.sign(W))


def kernel_variant(W: np.ndarray, axes, smoothing):
    """``H_C`` and gradient with ``smoothing`` instead of Scharr's ``[3, 10, 3] / 16``.

    The difference ``[1, 0, -1] / 2`` and the zero padding are kept, so only the kernel differs;
    the result is scale-free (a factor on the kernel only shifts the value by its log).

    Examples
    --------
    >>> W = np.random.default_rng(0).standard_normal((5, 6))
    >>> v, g = kernel_variant(W, (1, 0), EDGE_KERNELS["Sobel"][0])
    >>> g.shape, abs(float(np.vdot(W, g))) < 1e-12        # still 0-homogeneous (Euler identity)
    ((5, 6), True)
    """
    W = np.asarray(W, dtype=np.float64)
    k = len(axes)
    comps = separable_components(W, axes, smoothing)
    E = sum(float(np.vdot(c, c)) for c in comps) / k
    adj = separable_adjoint(comps, axes, smoothing)
    return _finish(E, float(np.abs(W).sum()), 2.0 * adj / k, np.sign(W))


def kernel_components(W: np.ndarray, axes, smoothing) -> tuple:
    """The components of :func:`kernel_variant` (for comparing with a port's components)."""
    return separable_components(np.asarray(W, dtype=np.float64), axes, smoothing)


def one_component_variant(W: np.ndarray, axes, index: int):
    """``1/2 log(sum g_i^2) - log sum|W|``: the energy of component ``index`` only (no 1/k).

    Examples
    --------
    >>> W = np.arange(1.0, 13.0).reshape(3, 4)
    >>> one_component_variant(W, (1, 0), 0)[1].shape
    (3, 4)
    """
    W = np.asarray(W, dtype=np.float64)
    comps = scharr_gradient(W, axes)
    only = [c if n == index else np.zeros_like(c) for n, c in enumerate(comps)]
    E = float(np.vdot(comps[index], comps[index]))
    return _finish(E, float(np.abs(W).sum()), 2.0 * scharr_gradient_adjoint(only, axes),
                   np.sign(W))


#: the spectral and nuclear candidates need an SVD (slow on a busy machine): only for matrices up
#: to this many entries (the smaller golden cases catch the mistake)
SVD_MAX_SIZE = 5_000


def matrix_norm_variant(W: np.ndarray, axes, ord_: str, svd=None):
    """``H_C`` with ``sum |W|`` replaced by a matrix norm (see :data:`MATRIX_NORMS`).

    ``"fro"`` applies to any shape (the 2-norm of the entries); the other ords to matrices only,
    ``"2"`` and ``"nuc"`` to matrices of at most :data:`SVD_MAX_SIZE` entries (``None``
    otherwise). ``svd`` may pass ``np.linalg.svd(W, full_matrices=False)`` computed once.

    Examples
    --------
    >>> from entropy_ref import configuration_entropy
    >>> W = np.array([[1.0, -2.0], [3.0, 4.0]])
    >>> v, g = matrix_norm_variant(W, (1, 0), "1")        # max column sum = |-2| + |4| = 6
    >>> abs(v - configuration_entropy(W) - math.log(10.0 / 6.0)) < 1e-12    # sum|W| = 10
    True
    """
    W = np.asarray(W, dtype=np.float64)
    if ord_ != "fro" and W.ndim != 2 or ord_ in ("2", "nuc") and W.size > SVD_MAX_SIZE:
        return None
    comps = scharr_gradient(W, axes)
    k = len(axes)
    E = sum(float(np.vdot(c, c)) for c in comps) / k
    dE = 2.0 * scharr_gradient_adjoint(comps, axes) / k
    dN = np.zeros_like(W)
    if ord_ == "fro":
        N = float(np.sqrt(np.vdot(W, W)))
        dN = W / N if N > 0 else dN
    elif ord_ in ("1", "inf"):
        ax = 0 if ord_ == "1" else 1
        sums = np.abs(W).sum(axis=ax)
        j = int(np.argmax(sums))
        N = float(sums[j])
        index = (slice(None), j) if ord_ == "1" else (j, slice(None))
        dN[index] = np.sign(W[index])
    else:
        U, s, Vt = svd if svd is not None else np.linalg.svd(W, full_matrices=False)
        if ord_ == "2":
            N, dN = float(s[0]), np.outer(U[:, 0], Vt[0])
        else:
            N, dN = float(s.sum()), U @ Vt
    return _finish(E, N, dE, dN)


def batch_axes(shape, axes) -> tuple:
    """The axes not among ``axes``: the batch of matrices (or kernel slices) ``H_C`` sums over."""
    return tuple(a for a in range(len(shape)) if a not in axes)


def per_matrix_variant(W: np.ndarray, axes, how: str):
    """``mean`` or ``sum`` over the batch of per-slice ``H_C`` (instead of one ``H_C`` of all).

    ``None`` when ``W`` has no batch axes, more than 4096 slices, or a slice is degenerate.

    Examples
    --------
    >>> W = np.random.default_rng(0).standard_normal((3, 4, 5))
    >>> v, g = per_matrix_variant(W, (1, 2), "mean")
    >>> g.shape
    (3, 4, 5)
    """
    W = np.asarray(W, dtype=np.float64)
    rest = batch_axes(W.shape, axes)
    k = len(axes)
    if not rest:
        return None
    moved = np.moveaxis(W, list(rest) + list(axes), range(W.ndim))
    chosen_shape = moved.shape[len(rest):]
    flat = moved.reshape((-1,) + chosen_shape)
    if flat.shape[0] > 4096:
        return None
    values, grads = [], []
    for Wb in flat:
        try:
            v, g = configuration_entropy_grad(Wb, tuple(range(k)))
        except (ValueError, ArithmeticError):   # a degenerate slice: the mistaken port fails too
            return None
        values.append(v)
        grads.append(g)
    factor = 1.0 / len(values) if how == "mean" else 1.0
    grad = (np.stack(grads) * factor).reshape(moved.shape)
    grad = np.moveaxis(grad, range(W.ndim), list(rest) + list(axes))
    return factor * sum(values), grad


def reshape_variants(W: np.ndarray, axes):
    """``(shape, value, grad_in_that_shape)`` for ``W.reshape(shape)`` used as a "transpose".

    ``shape`` permutes the sizes of the chosen axes (for a matrix ``(C, R)`` instead of
    ``W.T``); a reshape keeps the memory order, so unlike a transpose it changes ``H_C``. Only
    shapes that differ from ``W.shape`` are returned, and only reshapes that differ from the
    transpose (on a ``1 x n`` row, ``W.reshape(n, 1)`` *is* ``W.T``).

    Examples
    --------
    >>> [s for s, _, _ in reshape_variants(np.arange(1.0, 7.0).reshape(2, 3), (1, 0))]
    [(3, 2)]
    """
    W = np.asarray(W, dtype=np.float64)
    out, seen = [], {W.shape}
    for perm in itertools.permutations(axes):
        shape = list(W.shape)
        for a, b in zip(axes, perm):
            shape[a] = W.shape[b]
        shape = tuple(shape)
        if shape in seen:
            continue
        seen.add(shape)
        order = list(range(W.ndim))
        for a, b in zip(axes, perm):
            order[a] = b
        if np.array_equal(np.transpose(W, order), W.reshape(shape)):
            continue
        try:
            v, g = configuration_entropy_grad(W.reshape(shape), axes)
        except (ValueError, ArithmeticError):
            continue
        out.append((shape, v, g))
    return out


def column_major_variant(W: np.ndarray, axes):
    """``(value, grad)`` of ``H_C`` of the C-order buffer of ``W`` read in column-major (Fortran)
    order, the gradient mapped back to ``W``'s entries; None when that reading is ``W`` itself or
    its transpose (then ``H_C`` cannot tell), or undefined.

    Examples
    --------
    >>> column_major_variant(np.arange(1.0, 5.0).reshape(2, 2), (1, 0)) is None   # it is W.T
    True
    """
    W = np.asarray(W, dtype=np.float64)
    F = W.ravel(order="C").reshape(W.shape, order="F")
    if np.array_equal(F, W) or (W.ndim == 2 and W.shape[0] == W.shape[1] and np.array_equal(F, W.T)):
        return None
    try:
        v, g = configuration_entropy_grad(F, axes)
    except (ValueError, ArithmeticError):
        return None
    return v, g.ravel(order="F").reshape(W.shape)
