"""Fused, buffer-reusing evaluation of ``H_C`` and its gradient (the fast path).

This is the same arithmetic as the readable path in :mod:`entropy_ref.scharr` and
:func:`entropy_ref.entropy.configuration_entropy_grad_reference`, reorganised for speed and memory:

* unnormalised kernels ``D'' = [1, 0, -1]`` and ``S'' = [1, c, 1]`` with ``c = 10/3``; the true
  kernels are ``D = D''/2`` and ``S = (3/16) S''``, so ``G_i = alpha G_i''`` with
  ``alpha = (1/2) (3/16)^(k-1)``. The factor cancels in the gradient
  ``dH/dW = (sum_i G_i''^T G_i'' W) / Q'' - sign(W) / S`` with ``Q'' = sum_i ||G_i'' W||^2``
  (``docs/derivation.md`` eq. D15) and appears once, as a constant, in the value;
* every 1-D pass writes into a preallocated buffer with ``out=``; no temporaries;
* three buffers the size of ``W`` in all (the gradient itself plus two work arrays), whatever the
  number of chosen axes: peak extra memory ``3 x W.nbytes``.
"""

from __future__ import annotations

import math

import numpy as np

#: centre weight of the unnormalised smoothing kernel ``S'' = [1, c, 1] = (16/3) S``
_C = 10.0 / 3.0


def _along(ndim, axis, sl):
    index = [slice(None)] * ndim
    index[axis] = sl
    return tuple(index)


def _views(x, axis):
    """(x[:-1], x[1:]) along ``axis``."""
    nd = x.ndim
    return x[_along(nd, axis, slice(None, -1))], x[_along(nd, axis, slice(1, None))]


def _smooth(x, axis, out, accumulate):
    """``out (+)= S'' x`` along ``axis``; with ``accumulate`` ``x`` is used as scratch (destroyed)."""
    x_lo, x_hi = _views(x, axis)
    o_lo, o_hi = _views(out, axis)
    if accumulate:
        np.add(o_hi, x_lo, out=o_hi)
        np.add(o_lo, x_hi, out=o_lo)
        np.multiply(x, _C, out=x)
        np.add(out, x, out=out)
    else:
        np.multiply(x, _C, out=out)
        np.add(o_hi, x_lo, out=o_hi)
        np.add(o_lo, x_hi, out=o_lo)


def _diff(x, axis, out, accumulate):
    """``out (+)= D'' x`` along ``axis``, i.e. ``out[j] (+)= x[j+1] - x[j-1]`` (zero padded)."""
    x_lo, x_hi = _views(x, axis)
    o_lo, o_hi = _views(out, axis)
    if not accumulate:
        out[_along(out.ndim, axis, slice(-1, None))] = 0
    # out[:-1] = x[1:] (or +=), then out[1:] -= x[:-1]
    if accumulate:
        np.add(o_lo, x_hi, out=o_lo)
    else:
        o_lo[...] = x_hi
    np.subtract(o_hi, x_lo, out=o_hi)


def energy_and_gradient(W: np.ndarray, axes: tuple[int, ...], out=None):
    """Return ``(Q'', S, G)`` with ``G = sum_i G_i''^T G_i'' W`` written into ``out`` (or a new array).

    ``Q'' = sum_i ||G_i'' W||^2`` and ``S = sum |W|``. ``W`` must be validated already.
    """
    acc = np.empty_like(W) if out is None else out
    g = np.empty_like(W)
    work = np.empty_like(W)
    Q = 0.0
    for n, i in enumerate(axes):
        ops = [(_smooth, j) for j in axes if j != i] + [(_diff, i)]
        # forward chain W -> ... -> g, ping-ponging so that the last pass lands in g
        src = W
        for t, (op, ax) in enumerate(ops):
            dst = g if (len(ops) - 1 - t) % 2 == 0 else work
            op(src, ax, dst, accumulate=False)
            src = dst
        Q += float(np.vdot(g, g))
        # adjoint chain: D''^T = -D'' (sign folded in below), S'' self-adjoint; last pass into acc
        adj = ops[::-1]
        src, spare = g, work
        for t, (op, ax) in enumerate(adj):
            if t == len(adj) - 1:
                op(src, ax, acc, accumulate=n > 0)
            else:
                op(src, ax, spare, accumulate=False)
                src, spare = spare, src
    np.abs(W, out=work)
    S = float(work.sum())
    return Q, S, acc, work


def finish(W, axes, Q, S, acc, work, divisor):
    """Turn the fused sums into ``(H, grad)``; ``Q > 0`` and ``S > 0`` are checked by the caller."""
    k = len(axes)
    alpha = 0.5 * (3.0 / 16.0) ** (k - 1)
    H = (0.5 * (math.log(Q / k) + 2.0 * math.log(alpha)) - math.log(S)) / divisor
    # grad = -acc / Q - sign(W) / S, the minus from D''^T = -D''
    np.multiply(acc, W.dtype.type(-1.0 / (Q * divisor)), out=acc)
    np.sign(W, out=work)
    np.multiply(work, W.dtype.type(1.0 / (S * divisor)), out=work)
    np.subtract(acc, work, out=acc)
    return H, acc
