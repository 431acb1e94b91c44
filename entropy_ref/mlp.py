"""LeNet300: the 784-300-100-10 ReLU multilayer perceptron of the paper, built from :mod:`.layers`.

Parameters are a plain ``dict``::

    params = {"W": [W_1, ..., W_L],   # W_l has shape (fan_out, fan_in), like torch.nn.Linear
              "b": [b_1, ..., b_L]}   # b_l has shape (fan_out,)

so ``params["W"][0]`` is the 300x784 matrix of the paper's Figure 2. Gradients have the same
structure. Hidden sizes are configurable through ``sizes``.

Every function is pure. For speed the trainer may pass a *workspace* (:func:`make_workspace`):
preallocated activation and gradient buffers that are overwritten on each call. The arithmetic is
identical with or without one; only where the results live differs (with a workspace the returned
``logits``/``grads`` are views into it, valid until its next use).
"""

from __future__ import annotations

import operator

import numpy as np

from .layers import (affine_backward, affine_forward, relu_backward, relu_forward,
                     softmax_cross_entropy_backward, softmax_cross_entropy_forward)

__all__ = ["LENET300_SIZES", "init_mlp", "layer_sizes", "check_params", "make_workspace", "forward",
           "backward", "loss_and_grads", "predict", "accuracy", "n_weights"]

#: input, hidden and output widths of LeNet300
LENET300_SIZES = (784, 300, 100, 10)


def init_mlp(sizes=LENET300_SIZES, seed_or_rng=0, dtype=np.float32):
    """Initialise an MLP the way ``torch.nn.Linear`` does.

    Weights use Kaiming-uniform with ``a = sqrt(5)``, which works out to
    ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))``; biases use the same bound. Numbers are drawn in
    float64 (layer by layer: ``W_1, b_1, W_2, b_2, ...``) and then cast to ``dtype``, so a float32
    and a float64 network from the same seed agree up to rounding.

    Parameters
    ----------
    sizes : sequence of int, length >= 2
        Layer widths, input first: ``(784, 300, 100, 10)`` is LeNet300.
    seed_or_rng : int or numpy.random.Generator, default 0
    dtype : numpy dtype, default float32

    Returns
    -------
    params : dict
        ``{"W": [ndarray (sizes[l+1], sizes[l])], "b": [ndarray (sizes[l+1],)]}``.

    Examples
    --------
    >>> p = init_mlp((4, 3, 2), seed_or_rng=0)
    >>> [w.shape for w in p["W"]], [b.shape for b in p["b"]], p["W"][0].dtype
    ([(3, 4), (2, 3)], [(3,), (2,)], dtype('float32'))
    >>> bool(np.all(np.abs(p["W"][0]) <= 0.5))  # bound 1/sqrt(4)
    True
    """
    try:
        sizes = tuple(operator.index(s) for s in sizes)
    except TypeError:
        raise TypeError(f"init_mlp: sizes must be a sequence of ints, got {sizes!r}") from None
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError(f"init_mlp: sizes must be >= 2 positive widths, got {sizes}")
    if np.dtype(dtype).kind != "f":        # integer weights would all round to 0
        raise ValueError(f"init_mlp: dtype must be a float type, got {np.dtype(dtype)}")
    rng = seed_or_rng if isinstance(seed_or_rng, np.random.Generator) \
        else np.random.default_rng(seed_or_rng)
    params = {"W": [], "b": []}
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        bound = 1.0 / np.sqrt(fan_in)
        params["W"].append(rng.uniform(-bound, bound, size=(fan_out, fan_in)).astype(dtype))
        params["b"].append(rng.uniform(-bound, bound, size=fan_out).astype(dtype))
    return params


def layer_sizes(params):
    """Widths ``(fan_in_1, fan_out_1, ..., fan_out_L)`` of a parameter dict.

    Examples
    --------
    >>> layer_sizes(init_mlp((5, 4, 3)))
    (5, 4, 3)
    """
    check_params(params)
    return (params["W"][0].shape[1],) + tuple(W.shape[0] for W in params["W"])


def n_weights(params):
    """Number of weight entries (biases excluded), e.g. 266,200 for LeNet300.

    Examples
    --------
    >>> n_weights(init_mlp())
    266200
    """
    return int(sum(W.size for W in params["W"]))


def check_params(params):
    """Raise ``ValueError`` unless ``params`` is a well-formed MLP parameter dict.

    Examples
    --------
    >>> check_params({"W": [np.zeros((2, 3))], "b": [np.zeros(3)]})
    Traceback (most recent call last):
    ...
    ValueError: params: b[0] has shape (3,), expected (2,)
    """
    if not isinstance(params, dict) or set(params) != {"W", "b"}:
        raise ValueError("params: expected a dict with exactly the keys 'W' and 'b'")
    Ws, bs = params["W"], params["b"]
    if len(Ws) == 0 or len(Ws) != len(bs):
        raise ValueError(f"params: need as many biases as weight matrices (>= 1), "
                         f"got {len(Ws)} and {len(bs)}")
    for l, (W, b) in enumerate(zip(Ws, bs)):
        if W.ndim != 2:
            raise ValueError(f"params: W[{l}] must be 2-D, got shape {W.shape}")
        if b.shape != (W.shape[0],):
            raise ValueError(f"params: b[{l}] has shape {b.shape}, expected {(W.shape[0],)}")
        if l and W.shape[1] != Ws[l - 1].shape[0]:
            raise ValueError(f"params: W[{l}] has fan_in {W.shape[1]} but W[{l - 1}] has "
                             f"fan_out {Ws[l - 1].shape[0]}")


def make_workspace(params, batch_size, grads=None):
    """Preallocate every activation and gradient buffer for batches of ``batch_size`` rows.

    Parameters
    ----------
    params : dict
    batch_size : int
    grads : dict, optional
        Params-shaped gradient buffers to write into (e.g. views of one flat vector, shared by
        workspaces of different batch sizes); default: new arrays.

    Returns
    -------
    workspace : dict
        ``"z"``: pre-activations (N, fan_out_l); ``"dh"``: input gradients (N, fan_in_l) for
        l >= 1; ``"grads"``: a params-shaped dict of gradient buffers.

    Examples
    --------
    >>> ws = make_workspace(init_mlp((4, 3, 2)), batch_size=5)
    >>> [z.shape for z in ws["z"]], ws["grads"]["W"][0].shape
    ([(5, 3), (5, 2)], (3, 4))
    """
    check_params(params)
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) \
            or batch_size < 1:
        raise ValueError(f"make_workspace: batch_size must be an integer >= 1, got {batch_size!r}")
    dt = params["W"][0].dtype
    return {
        "batch_size": int(batch_size),
        "z": [np.empty((batch_size, W.shape[0]), dtype=dt) for W in params["W"]],
        "dh": [None] + [np.empty((batch_size, W.shape[1]), dtype=dt) for W in params["W"][1:]],
        "grads": grads if grads is not None else
        {"W": [np.empty_like(W) for W in params["W"]],
         "b": [np.empty_like(b) for b in params["b"]]},
    }


def _ws_fits(workspace, X):
    return workspace is not None and workspace["batch_size"] == X.shape[0]


def forward(params, X, workspace=None):
    """Logits of the MLP: affine -> ReLU -> ... -> affine (no ReLU after the last layer).

    Parameters
    ----------
    params : dict
    X : ndarray, shape (N, sizes[0])
        Inputs, ideally of the parameters' dtype.
    workspace : dict, optional
        From :func:`make_workspace`; used only when its batch size equals ``N``.

    Returns
    -------
    logits : ndarray, shape (N, sizes[-1])
    cache : list
        Per layer ``(affine_cache, relu_cache or None)`` for :func:`backward`.

    Examples
    --------
    >>> p = init_mlp((4, 3, 2), seed_or_rng=1, dtype=np.float64)
    >>> logits, cache = forward(p, np.ones((5, 4)))
    >>> logits.shape, len(cache)
    ((5, 2), 2)
    """
    X = np.asarray(X)
    if X.ndim != 2 or X.shape[1] != params["W"][0].shape[1]:
        raise ValueError(f"forward: X must have shape (N, {params['W'][0].shape[1]}), "
                         f"got {X.shape}")
    use_ws = _ws_fits(workspace, X)
    cache = []
    h = X
    last = len(params["W"]) - 1
    for l, (W, b) in enumerate(zip(params["W"], params["b"])):
        z, aff_cache = affine_forward(h, W, b, out=workspace["z"][l] if use_ws else None)
        relu_cache = None
        if l < last:
            z, relu_cache = relu_forward(z, out=z)      # in place: z is ours
        cache.append((aff_cache, relu_cache))
        h = z
    return h, cache


def backward(dlogits, cache, workspace=None):
    """Gradients of a scalar loss w.r.t. every parameter, given ``dL/dlogits``.

    Parameters
    ----------
    dlogits : ndarray, shape (N, sizes[-1])
    cache : list
        From :func:`forward`.
    workspace : dict, optional
        As in :func:`forward`; the returned arrays then live in ``workspace["grads"]``.

    Returns
    -------
    grads : dict
        ``{"W": [...], "b": [...]}``, shaped like the parameters.

    Examples
    --------
    >>> p = init_mlp((4, 3, 2), dtype=np.float64)
    >>> logits, cache = forward(p, np.ones((5, 4)))
    >>> g = backward(np.ones_like(logits), cache)
    >>> [x.shape for x in g["W"]], g["b"][1].tolist()
    ([(3, 4), (2, 3)], [5.0, 5.0])
    """
    use_ws = _ws_fits(workspace, dlogits)
    n_layers = len(cache)
    gW, gb = [None] * n_layers, [None] * n_layers
    dh = dlogits
    for l in range(n_layers - 1, -1, -1):
        aff_cache, relu_cache = cache[l]
        if relu_cache is not None:
            dh = relu_backward(dh, relu_cache, out=dh)  # dh is always a buffer we own here
        out = (workspace["dh"][l], workspace["grads"]["W"][l], workspace["grads"]["b"][l]) \
            if use_ws else None
        dh, gW[l], gb[l] = affine_backward(dh, aff_cache, need_dx=l > 0, out=out)
    return {"W": gW, "b": gb}


def loss_and_grads(params, X, y, workspace=None):
    """Batch-mean cross-entropy (nats) and its gradient w.r.t. every parameter.

    Parameters
    ----------
    params : dict
    X : ndarray, shape (N, sizes[0])
    y : ndarray of int, shape (N,)
    workspace : dict, optional
        See :func:`make_workspace`.

    Returns
    -------
    ce : float
    grads : dict

    Examples
    --------
    >>> p = init_mlp((4, 3, 2), dtype=np.float64)
    >>> ce, g = loss_and_grads(p, np.zeros((6, 4)), np.array([0, 1, 0, 1, 0, 1]))
    >>> ce > 0, g["W"][0].shape
    (True, (3, 4))
    """
    logits, cache = forward(params, X, workspace)
    ce, ce_cache = softmax_cross_entropy_forward(logits, y)
    dlogits = softmax_cross_entropy_backward(1.0, ce_cache)
    return ce, backward(dlogits, cache, workspace)


def predict(params, X, batch_size=10000):
    """Predicted class of every row of ``X`` (argmax of the logits).

    Examples
    --------
    >>> p = {"W": [np.array([[1.0], [-1.0]])], "b": [np.zeros(2)]}
    >>> predict(p, np.array([[2.0], [-3.0]]))
    array([0, 1])
    """
    X = np.asarray(X)
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) \
            or batch_size < 1:
        raise ValueError(f"predict: batch_size must be an integer >= 1, got {batch_size!r}")
    out = np.empty(X.shape[0], dtype=np.int64)
    for start in range(0, X.shape[0], batch_size):
        logits, _ = forward(params, X[start:start + batch_size])
        out[start:start + batch_size] = logits.argmax(axis=1)
    return out


def accuracy(params, X, y, batch_size=10000):
    """Fraction of rows of ``X`` classified as ``y``.

    Examples
    --------
    >>> p = {"W": [np.array([[1.0], [-1.0]])], "b": [np.zeros(2)]}
    >>> accuracy(p, np.array([[2.0], [-3.0], [1.0]]), np.array([0, 1, 1]))
    0.6666666666666666
    """
    y = np.asarray(y)
    if y.shape != (np.asarray(X).shape[0],) or y.size == 0:
        raise ValueError(f"accuracy: need one label per row of X (and at least one row), "
                         f"got {y.shape} labels for {np.asarray(X).shape[0]} rows")
    return float(np.mean(predict(params, X, batch_size) == y))
