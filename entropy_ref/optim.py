"""Adam (Kingma & Ba 2015) with exactly PyTorch's ``torch.optim.Adam`` update order.

One step at step count ``t`` (starting at 1), gradient ``g``::

    m  <- m + (1 - beta1) * (g - m)          # torch: exp_avg.lerp_(grad, 1 - beta1)
    v  <- beta2 * v + (1 - beta2) * g * g
    denom = sqrt(v) / sqrt(1 - beta2**t) + eps
    w  <- w - (lr / (1 - beta1**t)) * (m / denom)

The optimizer state of one array is a dict ``{"t": int, "m": ndarray, "v": ndarray}``; the state
of a whole parameter dict has the same three keys with ``m``/``v`` shaped like the parameters.

* :func:`adam_step` is pure: it allocates new arrays and leaves its inputs untouched.
* :func:`adam_step_inplace` is the trainer's fast path: the same operations in the same order
  (so bit-identical results), but written into ``w``, ``state["m"]`` and ``state["v"]`` with a
  scratch buffer, and ``state["t"]`` incremented. It still returns ``(w, state)``.
* :func:`adam_step_params` steps a whole parameter dict with either of the two.

Because Adam is elementwise, one step on a flat vector holding every parameter (:func:`pack`)
gives exactly the numbers of per-array steps; the trainer uses that to replace ~13 array
operations per parameter array by ~13 operations in total.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np

from .validation.adam import (check_inplace, check_real_fields, check_shapes, check_tree,
                              square_checked, step_count)

__all__ = ["AdamHP", "adam_init", "adam_step", "adam_step_inplace", "adam_step_params",
           "make_scratch", "pack"]


@dataclass(frozen=True)
class AdamHP:
    """Adam hyper-parameters (PyTorch defaults except ``lr``, which is the paper's 1e-4).

    Examples
    --------
    >>> AdamHP(lr=1e-3)
    AdamHP(lr=0.001, beta1=0.9, beta2=0.999, eps=1e-08)
    >>> AdamHP(lr=-1.0)
    Traceback (most recent call last):
    ...
    ValueError: Adam: lr must be a finite number > 0, got -1.0
    """

    lr: float = 1e-4
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8

    def __post_init__(self):
        check_real_fields(self)
        if not (math.isfinite(self.lr) and self.lr > 0):
            raise ValueError(f"Adam: lr must be a finite number > 0, got {self.lr}")
        for name in ("beta1", "beta2"):
            value = getattr(self, name)
            if not 0.0 <= value < 1.0:
                raise ValueError(f"Adam: {name} must lie in [0, 1), got {value}")
        if not (math.isfinite(self.eps) and self.eps >= 0):
            raise ValueError(f"Adam: eps must be a finite number >= 0, got {self.eps}")


def _hp(hp):
    if isinstance(hp, AdamHP):
        return hp
    if hp is None:
        return AdamHP()
    if isinstance(hp, dict):
        known = {f.name for f in fields(AdamHP)}
        for key in hp:
            if key not in known:
                raise TypeError(f"Adam: unknown hyper-parameter {key!r}; expected one of "
                                f"{', '.join(sorted(known))} (torch's betas=(b1, b2) is "
                                f"beta1=b1, beta2=b2)")
        return AdamHP(**hp)
    raise TypeError(f"Adam: hp must be an AdamHP or a dict, got {type(hp).__name__}")


def adam_init(params):
    """Zero optimizer state for one array or for a whole parameter dict.

    Parameters
    ----------
    params : ndarray or dict
        An array, or an MLP parameter dict ``{"W": [...], "b": [...]}``.

    Returns
    -------
    state : dict
        ``{"t": 0, "m": zeros like params, "v": zeros like params}``.

    Examples
    --------
    >>> s = adam_init(np.ones(3, dtype=np.float32))
    >>> s["t"], s["m"], s["v"].dtype
    (0, array([0., 0., 0.], dtype=float32), dtype('float32'))
    """
    if isinstance(params, dict):
        zeros = {k: [np.zeros_like(a) for a in v] for k, v in params.items()}
        return {"t": 0, "m": zeros, "v": {k: [np.zeros_like(a) for a in v]
                                          for k, v in params.items()}}
    return {"t": 0, "m": np.zeros_like(params), "v": np.zeros_like(params)}


def _coefficients(hp, t):
    step_size = hp.lr / (1.0 - hp.beta1 ** t)
    bc2_sqrt = math.sqrt(1.0 - hp.beta2 ** t)
    return step_size, bc2_sqrt


def adam_step(w, dw, state, hp=None):
    """One pure Adam step on one array.

    Parameters
    ----------
    w : ndarray
        Current parameter.
    dw : ndarray, same shape as w
        Gradient of the objective at ``w``.
    state : dict
        ``{"t", "m", "v"}`` from :func:`adam_init` or a previous step.
    hp : AdamHP or dict, optional
        Hyper-parameters (defaults: :class:`AdamHP`).

    Returns
    -------
    w_new : ndarray
    state_new : dict
        ``t`` is ``state["t"] + 1``; the inputs are not modified.

    Examples
    --------
    The first step moves every entry by ``lr`` against the sign of its gradient (``m/sqrt(v)``
    is ``g/|g|`` after bias correction, up to ``eps``):

    >>> w, s = adam_step(np.array([1.0, 1.0]), np.array([0.5, -2.0]), adam_init(np.zeros(2)),
    ...                  AdamHP(lr=0.1))
    >>> w, s["t"]
    (array([0.9, 1.1]), 1)
    """
    hp = _hp(hp)
    t = step_count(state) + 1
    check_shapes(w, dw, state)
    step_size, bc2_sqrt = _coefficients(hp, t)
    m = state["m"] + (1.0 - hp.beta1) * (dw - state["m"])
    v = state["v"] * hp.beta2 + square_checked(dw) * (1.0 - hp.beta2)
    denom = np.sqrt(v) / bc2_sqrt + hp.eps
    w_new = w - (m / denom) * step_size
    return w_new, {"t": t, "m": m, "v": v}


def make_scratch(params):
    """One scratch buffer per array (for :func:`adam_step_inplace` / :func:`adam_step_params`).

    Examples
    --------
    >>> make_scratch(np.zeros((2, 3))).shape
    (2, 3)
    """
    if isinstance(params, dict):
        return {k: [np.empty_like(a) for a in v] for k, v in params.items()}
    return np.empty_like(params)


def adam_step_inplace(w, dw, state, hp=None, scratch=None):
    """The same step as :func:`adam_step`, fused and written in place (bit-identical result).

    ``w``, ``state["m"]`` and ``state["v"]`` are overwritten and ``state["t"]`` is incremented;
    ``dw`` is only read. About a dozen passes over memory and no allocation when ``scratch``
    (an array like ``w``) is given. Returns ``(w, state)``, the very objects passed in.
    ``w``, ``m``, ``v`` and ``scratch`` must be writeable and must not overlap each other or
    ``dw`` (checked before anything is written, so a refused call leaves the state untouched).

    Examples
    --------
    >>> w = np.array([1.0, 1.0]); s = adam_init(w)
    >>> w2, s2 = adam_step_inplace(w, np.array([0.5, -2.0]), s, AdamHP(lr=0.1))
    >>> w2 is w, w, s["t"]
    (True, array([0.9, 1.1]), 1)
    """
    hp = _hp(hp)
    check_inplace(w, dw, state, scratch)
    t = step_count(state) + 1
    step_size, bc2_sqrt = _coefficients(hp, t)
    m, v = state["m"], state["v"]
    tmp = np.empty_like(w) if scratch is None else scratch
    square_checked(dw, tmp)               # g * g first: an overflow is refused before any write
    tmp *= 1.0 - hp.beta2                 # v = beta2 * v + (1 - beta2) * g * g
    v *= hp.beta2
    v += tmp
    np.subtract(dw, m, out=tmp)           # m += (1 - beta1) * (g - m)
    tmp *= 1.0 - hp.beta1
    m += tmp
    np.sqrt(v, out=tmp)                   # denom = sqrt(v) / sqrt(bc2) + eps
    tmp /= bc2_sqrt
    tmp += hp.eps
    np.divide(m, tmp, out=tmp)            # w -= step_size * m / denom
    tmp *= step_size
    w -= tmp
    state["t"] = t
    return w, state


def adam_step_params(params, grads, state, hp=None, inplace=False, scratch=None):
    """Adam step on every array of a parameter dict (one shared step count).

    Parameters
    ----------
    params, grads : dict
        ``{"W": [...], "b": [...]}`` (any dict of lists of arrays).
    state : dict
        From ``adam_init(params)``.
    hp : AdamHP or dict, optional
    inplace : bool, default False
        ``False``: pure (:func:`adam_step`). ``True``: :func:`adam_step_inplace` on every array;
        ``params`` and ``state`` are modified and returned.
    scratch : dict, optional
        From :func:`make_scratch` (only used when ``inplace``).

    Returns
    -------
    params_new : dict
    state_new : dict

    Examples
    --------
    >>> p = {"W": [np.ones((1, 2))], "b": [np.zeros(1)]}
    >>> g = {"W": [np.array([[1.0, -1.0]])], "b": [np.array([3.0])]}
    >>> p2, s2 = adam_step_params(p, g, adam_init(p), AdamHP(lr=0.5))
    >>> p2["W"][0], p2["b"][0], s2["t"], p["W"][0]
    (array([[0.5, 1.5]]), array([-0.5]), 1, array([[1., 1.]]))
    """
    hp = _hp(hp)
    t = step_count(state)
    check_tree(params, grads, state, scratch if inplace else None)
    for key in params:                      # in place: refuse before the first array is stepped
        for i, (w, dw) in enumerate(zip(params[key], grads[key])):
            sub = {"t": t, "m": state["m"][key][i], "v": state["v"][key][i]}
            (check_inplace(w, dw, sub, None if scratch is None else scratch[key][i]) if inplace
             else check_shapes(w, dw, sub))
    new_params = {}
    new_state = {"t": t + 1, "m": {}, "v": {}}
    for key in params:
        new_params[key] = []
        new_state["m"][key], new_state["v"][key] = [], []
        for i, (w, dw) in enumerate(zip(params[key], grads[key])):
            sub = {"t": t, "m": state["m"][key][i], "v": state["v"][key][i]}
            if inplace:
                w_new, sub = adam_step_inplace(
                    w, dw, sub, hp, None if scratch is None else scratch[key][i])
            else:
                w_new, sub = adam_step(w, dw, sub, hp)
            new_params[key].append(w_new)
            new_state["m"][key].append(sub["m"])
            new_state["v"][key].append(sub["v"])
    if inplace:
        for key in params:
            params[key][:] = new_params[key]
        state["t"] = t + 1
        return params, state
    return new_params, new_state


def pack(tree, dtype=None):
    """Copy a dict of lists of arrays into one contiguous vector; return it and views into it.

    Parameters
    ----------
    tree : dict of list of ndarray
        E.g. a parameter dict ``{"W": [...], "b": [...]}``.
    dtype : numpy dtype, optional
        Of the vector (default: the common dtype of the arrays).

    Returns
    -------
    flat : ndarray, shape (total_size,)
    views : dict of list of ndarray
        Same structure and shapes as ``tree``; each entry a view of ``flat`` (writing one
        writes the other), holding a copy of the corresponding input array.

    Examples
    --------
    >>> flat, views = pack({"W": [np.ones((2, 2))], "b": [np.array([5.0])]})
    >>> flat
    array([1., 1., 1., 1., 5.])
    >>> views["b"][0][0] = 7.0; float(flat[-1])
    7.0
    """
    if not isinstance(tree, dict) or not all(isinstance(v, (list, tuple)) for v in tree.values()):
        raise TypeError(f"pack: tree must be a dict of lists of arrays, like {{'W': [...], "
                        f"'b': [...]}}; got {type(tree).__name__}")
    arrays = [a for key in tree for a in tree[key]]
    dtype = np.result_type(*arrays) if dtype is None else np.dtype(dtype)
    flat = np.empty(sum(a.size for a in arrays), dtype=dtype)
    views, start = {}, 0
    for key in tree:
        views[key] = []
        for a in tree[key]:
            view = flat[start:start + a.size].reshape(a.shape)
            view[...] = a
            views[key].append(view)
            start += a.size
    return flat, views
