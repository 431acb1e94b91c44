"""Gradient and adjoint checks shared by every test (and by :mod:`entropy_ref.verify`).

* :func:`numerical_gradient`: central finite differences, entry by entry, in float64;
* :func:`check_gradient`: relative error of an analytic gradient against it;
* :func:`directional_check`: the same along a few random directions, cheap for 300 x 784 matrices
  (the HIPS/autograd VJP trick: one pair of function calls per direction instead of per entry);
* :func:`adjoint_check`: the exact dot-product test ``<K w, u> == <w, K^T u>``.

Every function returns the error it measured; the caller states its tolerance.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

_TINY = 1e-300


def rel_error(a, b) -> float:
    """Max-norm relative error ``max|a - b| / max(max|a|, max|b|)``; 0 when both are zero.

    Parameters
    ----------
    a, b : array_like, same shape (scalars allowed)

    Returns
    -------
    float

    Examples
    --------
    >>> f"{rel_error([1.0, 2.0], [1.0, 2.000002]):.3g}"
    '1e-06'
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"shapes differ: {a.shape} vs {b.shape}")
    scale = max(float(np.max(np.abs(a), initial=0.0)), float(np.max(np.abs(b), initial=0.0)))
    diff = float(np.max(np.abs(a - b), initial=0.0))
    return 0.0 if diff == 0.0 else diff / max(scale, _TINY)


def numerical_gradient(f: Callable[[np.ndarray], float], x, eps: float = 1e-6) -> np.ndarray:
    """Central-difference gradient ``(f(x + eps e_i) - f(x - eps e_i)) / (2 eps)``, in float64.

    Parameters
    ----------
    f : callable, ndarray -> float
    x : array_like, shape (...)
        The point; copied to float64, never modified.
    eps : float
        Step. The truncation error is ``O(eps^2)``, the rounding error ``O(u |f| / eps)``.

    Returns
    -------
    ndarray, shape of ``x``, float64

    Examples
    --------
    >>> numerical_gradient(lambda v: float((v ** 2).sum()), np.array([1.0, -2.0])).round(6)
    array([ 2., -4.])
    """
    x = np.array(x, dtype=np.float64)
    grad = np.empty_like(x)
    flat, g = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        f_plus = f(x)
        flat[i] = old - eps
        f_minus = f(x)
        flat[i] = old
        g[i] = (f_plus - f_minus) / (2.0 * eps)
    return grad


def check_gradient(f, grad, x, eps: float = 1e-6) -> float:
    """Relative error (:func:`rel_error`) between an analytic gradient and central differences.

    Parameters
    ----------
    f : callable, ndarray -> float
    grad : ndarray or callable ndarray -> ndarray
        The analytic gradient at ``x``, or a function computing it.
    x : array_like
    eps : float

    Returns
    -------
    float

    Examples
    --------
    >>> x = np.array([0.5, -1.5, 2.0])
    >>> check_gradient(lambda v: float(np.sin(v).sum()), np.cos, x) < 1e-9
    True
    """
    x = np.array(x, dtype=np.float64)
    analytic = grad(x.copy()) if callable(grad) else np.asarray(grad, dtype=np.float64)
    return rel_error(analytic, numerical_gradient(f, x, eps))


def directional_check(f, grad, x, n_directions: int = 5, rng=None, eps: float = 1e-6,
                      directions=None) -> float:
    """Check ``<grad f(x), u>`` against ``(f(x + h u) - f(x - h u)) / (2 h)`` for random unit ``u``.

    The step is ``h = eps * max(1, ||x||)``: a unit direction spread over ``n`` entries moves each
    by only about ``h / sqrt(n)``, so the step scales with the point to stay well above rounding.

    Parameters
    ----------
    f : callable, ndarray -> float
    grad : ndarray or callable
        Analytic gradient at ``x`` (or a function of ``x`` returning it).
    x : array_like
    n_directions : int
    rng : numpy.random.Generator or int, optional
    eps : float
    directions : sequence of ndarray, optional
        Explicit directions shaped like ``x`` (normalised here) instead of ``n_directions`` random
        ones; e.g. ``x * r`` for a random ``r`` keeps every entry's sign for small steps, so a
        kink of ``|x|`` at 0 is never crossed.

    Returns
    -------
    float
        The largest relative error ``|fd - <g, u>| / max(|fd|, |<g, u>|, ||g|| * 1e-12)``.

    Examples
    --------
    >>> x = np.linspace(-1, 1, 300 * 8).reshape(300, 8)
    >>> directional_check(lambda v: float((v ** 3).sum()), 3 * x ** 2, x, rng=0) < 1e-6
    True
    """
    rng = np.random.default_rng(rng)
    x = np.array(x, dtype=np.float64)
    g = grad(x.copy()) if callable(grad) else np.asarray(grad, dtype=np.float64)
    g_norm = float(np.linalg.norm(g))
    h = eps * max(1.0, float(np.linalg.norm(x)))
    worst = 0.0
    if directions is None:
        directions = (rng.standard_normal(x.shape) for _ in range(n_directions))
    for u in directions:
        u = np.array(u, dtype=np.float64)
        u /= np.linalg.norm(u)
        fd = (f(x + h * u) - f(x - h * u)) / (2.0 * h)
        exact = float(np.vdot(g, u))
        scale = max(abs(fd), abs(exact), g_norm * 1e-12, _TINY)
        worst = max(worst, abs(fd - exact) / scale)
    return worst


def _inner(a, b) -> float:
    if isinstance(a, (tuple, list)):
        return sum(float(np.vdot(p, q)) for p, q in zip(a, b, strict=True))
    return float(np.vdot(a, b))


def _norm(a) -> float:
    return float(np.sqrt(_inner(a, a)))


def adjoint_check(K, KT, w, u) -> float:
    """Dot-product test of an adjoint pair: ``|<K w, u> - <w, K^T u>| / (||K w|| ||u||)``.

    Parameters
    ----------
    K : callable
        The linear map; may return an array or a tuple of arrays (e.g. Scharr components).
    KT : callable
        Its claimed adjoint, taking what ``K`` returns.
    w : ndarray
        A point in the domain.
    u : ndarray or tuple of ndarray
        A point in the range, shaped like ``K(w)``.

    Returns
    -------
    float
        Relative mismatch, normalised by the Cauchy-Schwarz bound of ``<K w, u>``; rounding-level
        (about 1e-16) for an exact adjoint.

    Examples
    --------
    >>> A = np.arange(6.0).reshape(2, 3)
    >>> adjoint_check(lambda w: A @ w, lambda u: A.T @ u, np.ones(3), np.ones(2)) < 1e-15
    True
    """
    Kw = K(w)
    lhs = _inner(Kw, u)
    rhs = _inner(w, KT(u))
    scale = max(_norm(Kw) * _norm(u), _TINY)
    return abs(lhs - rhs) / scale
