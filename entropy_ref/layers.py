"""Layers of the LeNet300 model as pure ``forward -> (out, cache)`` / ``backward`` pairs.

Three operations are all a multilayer perceptron needs:

==========  ===========================================  =====================================
operation   forward                                      backward
==========  ===========================================  =====================================
affine      ``y = x @ W.T + b``                          ``dx = dy @ W``, ``dW = dy.T @ x``,
                                                         ``db = dy.sum(0)``
ReLU        ``y = max(x, 0)``                            ``dx = dy * (y > 0)``
softmax-CE  ``L = mean_i(logsumexp(z_i) - z_i[y_i])``    ``dz = (softmax(z) - onehot(y)) / N``
==========  ===========================================  =====================================

``W`` has shape ``(fan_out, fan_in)`` like ``torch.nn.Linear`` (so LeNet300's first matrix is the
300x784 matrix of the paper's Figure 2). Nothing here keeps state: whatever ``backward`` needs is
returned by ``forward`` in ``cache``.

The vectorised functions accept optional ``out=`` buffers so the trainer can reuse preallocated
memory; with ``out=None`` they allocate, and the results are the same either way. Each has a
plain-loop twin (``*_loop``) written for reading, not speed; the tests check the two agree.
"""

from __future__ import annotations

import numpy as np

from .validation.buffers import check_out
from .validation.layers import (check_affine, check_affine_dy, check_affine_outs, check_labels,
                                check_relu_dy, real_array)

__all__ = [
    "affine_forward", "affine_backward", "relu_forward", "relu_backward",
    "softmax_cross_entropy_forward", "softmax_cross_entropy_backward",
    "affine_forward_loop", "affine_backward_loop", "relu_forward_loop", "relu_backward_loop",
    "softmax_cross_entropy_loop",
]


# --------------------------------------------------------------------------- affine
def affine_forward(x, W, b, out=None):
    """Fully connected layer ``y = x @ W.T + b``.

    Parameters
    ----------
    x : ndarray, shape (N, fan_in)
        Batch of inputs.
    W : ndarray, shape (fan_out, fan_in)
        Weight matrix (``torch.nn.Linear`` layout).
    b : ndarray, shape (fan_out,)
        Bias.
    out : ndarray, shape (N, fan_out), optional
        Preallocated output buffer (overwritten); it must not overlap ``x``, ``W`` or ``b``
        (the cache keeps ``x`` and ``W`` for the backward pass).

    Returns
    -------
    y : ndarray, shape (N, fan_out)
    cache : tuple
        ``(x, W)``, what :func:`affine_backward` needs.

    Examples
    --------
    >>> x = np.array([[1.0, 2.0]]); W = np.array([[1.0, 0.0], [1.0, -1.0], [0.0, 3.0]])
    >>> y, cache = affine_forward(x, W, np.array([0.0, 1.0, 0.5]))
    >>> y
    array([[1. , 0. , 6.5]])
    """
    x, W, b = check_affine(x, W, b)
    out = check_out(out, (x.shape[0], W.shape[0]), None, who="affine_forward",
                    inputs=[("x", x), ("W", W), ("b", b)])
    y = np.matmul(x, W.T, out=out)
    y += b
    return y, (x, W)


def affine_backward(dy, cache, need_dx=True, out=None):
    """Gradients of the affine layer.

    Parameters
    ----------
    dy : ndarray, shape (N, fan_out)
        Upstream gradient ``dL/dy``.
    cache : tuple
        From :func:`affine_forward`.
    need_dx : bool, default True
        ``False`` skips ``dx`` (returned as ``None``); the first layer of a network needs no
        gradient with respect to its input, which saves one large matrix product.
    out : tuple of ndarray, optional
        Preallocated ``(dx, dW, db)`` buffers (any may be ``None``), overlapping neither each
        other nor ``dy``, ``x``, ``W``.

    Returns
    -------
    dx : ndarray, shape (N, fan_in), or None
    dW : ndarray, shape (fan_out, fan_in)
    db : ndarray, shape (fan_out,)

    Examples
    --------
    >>> x = np.array([[1.0, 2.0]]); W = np.array([[1.0, 0.0], [1.0, -1.0]])
    >>> _, cache = affine_forward(x, W, np.zeros(2))
    >>> dx, dW, db = affine_backward(np.array([[1.0, 10.0]]), cache)
    >>> dx, dW, db
    (array([[ 11., -10.]]), array([[ 1.,  2.],
           [10., 20.]]), array([ 1., 10.]))
    """
    dy, x, W = check_affine_dy(dy, cache)
    odx, odW, odb = check_affine_outs(out, dy, x, W)
    dW = np.matmul(dy.T, x, out=odW)
    db = np.sum(dy, axis=0, out=odb)
    dx = np.matmul(dy, W, out=odx) if need_dx else None
    return dx, dW, db


def affine_forward_loop(x, W, b):
    """Plain-loop twin of :func:`affine_forward` (for reading; slow).

    Examples
    --------
    >>> affine_forward_loop(np.array([[1.0, 2.0]]), np.array([[3.0, 4.0]]), np.array([0.5]))[0]
    array([[11.5]])
    """
    x, W, b = check_affine(x, W, b)
    n, fan_out = x.shape[0], W.shape[0]
    y = np.zeros((n, fan_out), dtype=np.result_type(x, W, b))
    for i in range(n):
        for o in range(fan_out):
            acc = b[o]
            for k in range(W.shape[1]):
                acc += x[i, k] * W[o, k]
            y[i, o] = acc
    return y, (x, W)


def affine_backward_loop(dy, cache):
    """Plain-loop twin of :func:`affine_backward` (always returns ``dx``).

    Examples
    --------
    >>> _, cache = affine_forward_loop(np.array([[1.0, 2.0]]), np.array([[3.0, 4.0]]), np.zeros(1))
    >>> affine_backward_loop(np.array([[2.0]]), cache)
    (array([[6., 8.]]), array([[2., 4.]]), array([2.]))
    """
    dy, x, W = check_affine_dy(dy, cache)
    dx, dW, db = np.zeros_like(x, dtype=dy.dtype), np.zeros_like(W, dtype=dy.dtype), \
        np.zeros(W.shape[0], dtype=dy.dtype)
    for i in range(x.shape[0]):
        for o in range(W.shape[0]):
            db[o] += dy[i, o]
            for k in range(W.shape[1]):
                dW[o, k] += dy[i, o] * x[i, k]
                dx[i, k] += dy[i, o] * W[o, k]
    return dx, dW, db


# --------------------------------------------------------------------------- ReLU
def relu_forward(x, out=None):
    """Rectified linear unit ``y = max(x, 0)``; ``out=x`` applies it in place.

    Parameters
    ----------
    x : ndarray, any shape
    out : ndarray, same shape as x, optional

    Returns
    -------
    y : ndarray, same shape as x
    cache : ndarray
        ``y`` itself: the derivative is ``1`` where ``y > 0`` and ``0`` elsewhere (we take the
        subgradient 0 at ``x == 0``, as PyTorch does).

    Examples
    --------
    >>> relu_forward(np.array([-1.0, 0.0, 2.0]))[0]
    array([0., 0., 2.])
    """
    x = real_array(x, "relu_forward")
    y = np.maximum(x, 0, out=check_out(out, x.shape, None, who="relu_forward"))
    return y, y


def relu_backward(dy, cache, out=None):
    """Gradient of ReLU: ``dx = dy * (y > 0)``; ``out=dy`` works in place.

    Parameters
    ----------
    dy : ndarray, same shape as the forward output
    cache : ndarray
        From :func:`relu_forward`.
    out : ndarray, optional

    Returns
    -------
    dx : ndarray, same shape as dy

    Examples
    --------
    >>> _, cache = relu_forward(np.array([-1.0, 0.0, 2.0]))
    >>> relu_backward(np.array([5.0, 5.0, 5.0]), cache)
    array([0., 0., 5.])
    """
    dy, y = check_relu_dy(dy, cache)
    return np.multiply(dy, y > 0, out=check_out(out, dy.shape, None, who="relu_backward"))


def relu_forward_loop(x):
    """Plain-loop twin of :func:`relu_forward`.

    Examples
    --------
    >>> relu_forward_loop(np.array([[-3.0, 4.0]]))[0]
    array([[0., 4.]])
    """
    y = np.array(x, copy=True)
    flat = y.reshape(-1)
    for i in range(flat.size):
        if flat[i] < 0:
            flat[i] = 0
    return y, y


def relu_backward_loop(dy, cache):
    """Plain-loop twin of :func:`relu_backward`.

    Examples
    --------
    >>> relu_backward_loop(np.array([1.0, 1.0]), np.array([0.0, 2.0]))
    array([0., 1.])
    """
    dy, y = check_relu_dy(dy, cache)
    dx = np.array(dy, copy=True)
    flat_dx, flat_y = dx.reshape(-1), y.reshape(-1)
    for i in range(flat_dx.size):
        if not flat_y[i] > 0:
            flat_dx[i] = 0
    return dx


# --------------------------------------------------------------------------- softmax + CE
def softmax_cross_entropy_forward(logits, y):
    """Mean softmax cross-entropy in nats, computed stably via log-sum-exp.

    ``L = (1/N) sum_i [log sum_c exp(z_ic) - z_i,y_i]`` with the row maximum subtracted before
    exponentiating, so huge logits neither overflow nor lose the answer.

    Parameters
    ----------
    logits : ndarray, shape (N, C)
    y : ndarray of int, shape (N,)
        Class labels in ``[0, C)``.

    Returns
    -------
    loss : float
        Batch mean cross-entropy (same dtype precision as ``logits``).
    cache : tuple
        ``(probs, y)`` with ``probs`` the softmax probabilities, shape (N, C).

    Examples
    --------
    >>> z = np.array([[0.0, 0.0], [1000.0, 0.0]])    # exp(1000) would overflow
    >>> loss, _ = softmax_cross_entropy_forward(z, np.array([0, 0]))
    >>> round(loss, 6)  # (log 2 + 0) / 2
    0.346574
    """
    logits, y = check_labels(logits, y)
    n = logits.shape[0]
    shifted = logits - logits.max(axis=1, keepdims=True)
    probs = np.exp(shifted)
    sums = probs.sum(axis=1, keepdims=True)
    lse = np.log(sums)                       # log sum exp(shifted), per row
    loss = float(np.mean(lse[:, 0] - shifted[np.arange(n), y]))
    probs /= sums
    return loss, (probs, y)


def softmax_cross_entropy_backward(dloss, cache):
    """Gradient of the mean cross-entropy w.r.t. the logits: ``dloss * (probs - onehot) / N``.

    Parameters
    ----------
    dloss : float
        Upstream gradient of the scalar loss (``1.0`` when the loss is the objective).
    cache : tuple
        From :func:`softmax_cross_entropy_forward`.

    Returns
    -------
    dlogits : ndarray, shape (N, C)

    Examples
    --------
    >>> _, cache = softmax_cross_entropy_forward(np.array([[0.0, 0.0]]), np.array([1]))
    >>> softmax_cross_entropy_backward(1.0, cache)
    array([[ 0.5, -0.5]])
    """
    if isinstance(dloss, bool) or np.ndim(dloss) != 0 or np.asarray(dloss).dtype.kind not in "iuf":
        raise TypeError(f"softmax_cross_entropy_backward: dloss must be a number, got {dloss!r}")
    probs, y = cache
    n = probs.shape[0]
    d = probs.copy()
    d[np.arange(n), y] -= 1
    d *= d.dtype.type(dloss / n)
    return d


def softmax_cross_entropy_loop(logits, y):
    """Plain-loop twin returning ``(loss, dlogits)`` for the mean cross-entropy.

    Examples
    --------
    >>> loss, d = softmax_cross_entropy_loop(np.array([[0.0, 0.0]]), np.array([1]))
    >>> round(loss, 6), d
    (0.693147, array([[ 0.5, -0.5]]))
    """
    logits, y = check_labels(logits, y)
    n, c = logits.shape
    total = 0.0
    d = np.zeros(logits.shape, dtype=logits.dtype)
    for i in range(n):
        m = max(logits[i, k] for k in range(c))
        s = sum(np.exp(logits[i, k] - m) for k in range(c))
        total += np.log(s) + m - logits[i, y[i]]
        for k in range(c):
            d[i, k] = (np.exp(logits[i, k] - m) / s - (1.0 if k == y[i] else 0.0)) / n
    return float(total / n), d
