"""Weight sensitivity ``s = |w * dCE/dw|`` (paper, section 5) and the pruning order it defines.

The paper: "the sensitivity of each weight is calculated, which is the absolute value of its
product with the (traditional) weight gradient". It does not say on which data the gradient is
taken; we use the **mean** cross-entropy gradient over the whole training set by default (the test
set is available as an option, ``data="test"`` in the CLI). Everything here is float64.

Biases are never pruned and have no sensitivity: only the weight matrices ``params["W"]`` enter.
"""

from __future__ import annotations

import numpy as np

from ..mlp import check_params, loss_and_grads

__all__ = ["as_float64_params", "mean_gradients", "sensitivity", "pruning_order"]


def as_float64_params(params):
    """A float64 copy of ``params`` (exact for float32 input); ``ValueError`` on NaN/inf.

    Examples
    --------
    >>> p = as_float64_params({"W": [np.ones((2, 3), np.float32)], "b": [np.zeros(2)]})
    >>> p["W"][0].dtype
    dtype('float64')
    >>> as_float64_params({"W": [np.full((1, 1), np.nan)], "b": [np.zeros(1)]})
    Traceback (most recent call last):
    ...
    ValueError: params: W[0] has 1 non-finite entries (NaN or inf)
    """
    check_params(params)
    out = {key: [np.array(a, dtype=np.float64) for a in params[key]] for key in ("W", "b")}
    for key in ("W", "b"):
        for l, a in enumerate(out[key]):
            bad = int(np.count_nonzero(~np.isfinite(a)))
            if bad:
                raise ValueError(f"params: {key}[{l}] has {bad} non-finite entries (NaN or inf)")
    return out


def _check_data(params, X, y, who):
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    n_in = params["W"][0].shape[1]
    if X.ndim != 2 or X.shape[1] != n_in or X.shape[0] == 0:
        raise ValueError(f"{who}: X must have shape (N, {n_in}) with N >= 1, got {X.shape}")
    if y.shape != (X.shape[0],):
        raise ValueError(f"{who}: need one label per row of X, got {y.shape} for {X.shape[0]} rows")
    if not np.isfinite(X).all():
        raise ValueError(f"{who}: X contains NaN or inf")
    return X, y.astype(np.int64)


def mean_gradients(params, X, y, batch_size=10000):
    """Gradient of the mean cross-entropy over all rows of ``X`` w.r.t. every weight, in float64.

    Computed in chunks of ``batch_size`` rows; each chunk's mean gradient is weighted by its share
    of the rows, so the result is the full-set mean whatever the chunking (up to rounding).

    Parameters
    ----------
    params : dict
        MLP parameters (any float dtype; converted to float64).
    X : ndarray, shape (N, fan_in)
    y : ndarray of int, shape (N,)
    batch_size : int, default 10000

    Returns
    -------
    grads : list of ndarray
        ``dCE/dW_l``, float64, shaped like ``params["W"][l]``.

    Examples
    --------
    >>> from entropy_ref.mlp import init_mlp
    >>> p = init_mlp((4, 3, 2), seed_or_rng=0)
    >>> X = np.random.default_rng(1).random((10, 4)); y = np.arange(10) % 2
    >>> g1 = mean_gradients(p, X, y); g2 = mean_gradients(p, X, y, batch_size=3)
    >>> [g.shape for g in g1], bool(np.allclose(g1[0], g2[0], rtol=1e-12, atol=1e-15))
    ([(3, 4), (2, 3)], True)
    """
    p64 = as_float64_params(params)
    X, y = _check_data(p64, X, y, "mean_gradients")
    if int(batch_size) < 1:
        raise ValueError(f"mean_gradients: batch_size must be >= 1, got {batch_size}")
    n = X.shape[0]
    total = [np.zeros_like(W) for W in p64["W"]]
    for start in range(0, n, int(batch_size)):
        Xb, yb = X[start:start + batch_size], y[start:start + batch_size]
        _, grads = loss_and_grads(p64, Xb, yb)
        for acc, g in zip(total, grads["W"]):
            acc += g * (len(yb) / n)
    return total


def sensitivity(params, X, y, batch_size=10000):
    """Per-weight sensitivity ``|W_l * dCE/dW_l|`` with the full-set mean gradient (float64).

    Parameters
    ----------
    params : dict
    X : ndarray, shape (N, fan_in)
        Data the gradient is averaged over (the training set by default in the pipeline).
    y : ndarray of int, shape (N,)
    batch_size : int, default 10000

    Returns
    -------
    sens : list of ndarray
        One float64 array ``>= 0`` per weight matrix, same shapes. A weight equal to zero has
        sensitivity zero.

    Examples
    --------
    >>> p = {"W": [np.array([[2.0, 0.0]])], "b": [np.zeros(1)]}
    >>> # one output: the softmax is constant, so the cross-entropy gradient is exactly zero
    >>> sensitivity(p, np.ones((3, 2)), np.zeros(3, int))[0]
    array([[0., 0.]])
    """
    p64 = as_float64_params(params)
    grads = mean_gradients(p64, X, y, batch_size)
    return [np.abs(W * g) for W, g in zip(p64["W"], grads)]


def pruning_order(sens):
    """Flat indices of all weights in ascending sensitivity: the order in which they are pruned.

    Weights are numbered layer by layer, each matrix in row-major order (``W_1`` first). Ties
    keep that numbering (a stable sort), so the order -- and every curve built on it -- is
    deterministic.

    Parameters
    ----------
    sens : list of ndarray
        From :func:`sensitivity`.

    Returns
    -------
    order : ndarray of int64, shape (n_weights,)

    Examples
    --------
    >>> pruning_order([np.array([[0.5, 0.1]]), np.array([[0.1, 0.0]])])
    array([3, 1, 2, 0])
    """
    if isinstance(sens, np.ndarray) or len(sens) == 0:
        raise ValueError("pruning_order: pass a non-empty list of sensitivity arrays")
    flat = np.concatenate([np.asarray(s, dtype=np.float64).ravel() for s in sens])
    if not np.isfinite(flat).all() or (flat < 0).any():
        raise ValueError("pruning_order: sensitivities must be finite and >= 0")
    return np.argsort(flat, kind="stable").astype(np.int64)
