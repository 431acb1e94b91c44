"""Fused, buffer-reusing evaluation of ``H_C`` and its gradient (the fast path).

This is the same arithmetic as the readable path in :mod:`entropy_ref.scharr` and
:func:`entropy_ref.entropy.configuration_entropy_grad_reference`, reorganised for speed and memory:

* unnormalised kernels ``D'' = [1, 0, -1]`` and ``S'' = [1, c, 1]`` with ``c = 10/3``; the true
  kernels are ``D = D''/2`` and ``S = (3/16) S''``, so ``G_i = alpha G_i''`` with
  ``alpha = (1/2) (3/16)^(k-1)``. The factor cancels in the gradient
  ``dH/dW = (sum_i G_i''^T G_i'' W) / Q'' - sign(W) / S`` with ``Q'' = sum_i ||G_i'' W||^2``
  (``docs/derivation.md`` eq. D15) and appears once, as a constant, in the value;
* every 1-D pass runs over the whole array *flattened* (contiguous, so NumPy needs no iterator
  buffers and uses SIMD loops): a shift by one step along ``axis`` is a shift by ``B`` entries of
  the flat array, ``B`` the product of the later axes. That shift wrongly couples the last plane
  of one block with the first plane of the next (when ``axis`` is not the first axis); those two
  planes are then fixed exactly, or, when accumulating, the wrong term is subtracted back;
* every pass writes into a preallocated buffer with ``out=``, and the array is processed in slabs
  of rows (:data:`BLOCK_BYTES` per buffer, halo of two rows) so the passes run in cache: peak extra
  memory is the gradient plus two slab buffers, three with several slabs or a strided ``out`` (at
  most three arrays the size of ``W`` in all, whatever
  the number of chosen axes, its strides or its scale: see :func:`value_and_grad`).
"""

from __future__ import annotations

import math

import numpy as np

from .scaling import rescaled

#: centre weight of the unnormalised smoothing kernel ``S'' = [1, c, 1] = (16/3) S``
_C = 10.0 / 3.0


def _blocks(x: np.ndarray, axis: int):
    """``x`` viewed as ``(A, n, B)``: the axis in the middle, earlier axes before, later after."""
    n = x.shape[axis]
    B = math.prod(x.shape[axis + 1:])
    return x.reshape(-1, n, B), n, B


def _smooth(x, axis, out, accumulate):
    """``out (+)= S'' x`` along ``axis`` (zero padded); with ``accumulate``, ``x`` is scratch."""
    x3, n, B = _blocks(x, axis)
    o3, _, _ = _blocks(out, axis)
    xf, of = x.reshape(-1), out.reshape(-1)
    if not accumulate:
        np.multiply(xf, _C, out=of)
    np.add(of[B:], xf[:-B], out=of[B:])        # out[j] += x[j-1]
    np.add(of[:-B], xf[B:], out=of[:-B])       # out[j] += x[j+1]
    if x3.shape[0] > 1:                        # undo the coupling across blocks
        if accumulate:
            np.subtract(o3[1:, 0], x3[:-1, n - 1], out=o3[1:, 0])
            np.subtract(o3[:-1, n - 1], x3[1:, 0], out=o3[:-1, n - 1])
        else:
            np.multiply(x3[:, 0], _C, out=o3[:, 0])
            if n > 1:
                np.add(o3[:, 0], x3[:, 1], out=o3[:, 0])
                np.multiply(x3[:, n - 1], _C, out=o3[:, n - 1])
                np.add(o3[:, n - 1], x3[:, n - 2], out=o3[:, n - 1])
    if accumulate:
        np.multiply(xf, _C, out=xf)
        np.add(of, xf, out=of)


def _diff(x, axis, out, accumulate):
    """``out (+)= D'' x`` along ``axis``: ``out[j] (+)= x[j+1] - x[j-1]`` (zero padded)."""
    x3, n, B = _blocks(x, axis)
    o3, _, _ = _blocks(out, axis)
    xf, of = x.reshape(-1), out.reshape(-1)
    if accumulate:
        np.add(of[:-B], xf[B:], out=of[:-B])
        np.subtract(of[B:], xf[:-B], out=of[B:])
        if x3.shape[0] > 1:
            np.subtract(o3[:-1, n - 1], x3[1:, 0], out=o3[:-1, n - 1])
            np.add(o3[1:, 0], x3[:-1, n - 1], out=o3[1:, 0])
        return
    if n == 1:
        of[...] = 0
        return
    if n > 2:
        np.subtract(xf[2 * B:], xf[:-2 * B], out=of[B:-B])
    o3[:, 0] = x3[:, 1]
    # not np.negative: NumPy 2.4.6 float64 negative reads a strided input with the wrong stride
    # when the output is strided too (tests/test_entropy.py::test_fast_path_equals_reference)
    np.multiply(x3[:, n - 2], -1.0, out=o3[:, n - 1])


def _dot(a: np.ndarray, b: np.ndarray) -> float:
    """``<a, b>`` for contiguous arrays, with NumPy's own SIMD loop (einsum) instead of BLAS:
    as fast on one core, more accurate in float32, and free of BLAS thread wake-ups between the
    many short passes around it (``docs/performance.md``)."""
    return float(np.einsum("i,i->", a.reshape(-1), b.reshape(-1)))


#: target size of one work buffer in bytes: the slab's buffers stay in the L2 cache
BLOCK_BYTES = 384 * 1024
#: arrays up to this size are done in one slab (measured: no gain from slabs below it)
SINGLE_SLAB_BYTES = 1024 * 1024


def _stage(slab, dst, scale: int):
    """``dst = 2**-scale * slab``: a contiguous (and exactly rescaled) copy of a slab of ``W``."""
    if scale:
        rescaled(slab, scale, out=dst)
    else:
        dst[...] = slab
    return dst


def _slab_MW(slab, axes, acc, g, work, keep, staged=False, scale=0) -> float:
    """``acc = sum_i (prod S'') D'' g_i`` (the adjoint chain, sign folded in later) for one slab.

    Returns the slab's share of ``Q'' = sum_i ||g_i||^2``, counted on the rows ``keep`` only.
    With ``staged``, each chain first copies ``2**-scale * slab`` into whichever of ``g`` and
    ``work`` its first pass does not write (so a strided or rescaled ``W`` needs no extra buffer).
    """
    Q = 0.0
    for n, i in enumerate(axes):
        ops = [(_smooth, j) for j in axes if j != i] + [(_diff, i)]
        # forward chain slab -> ... -> g, ping-ponging so that the last pass lands in g
        src = slab
        if staged:
            src = _stage(slab, work if (len(ops) - 1) % 2 == 0 else g, scale)
        for t, (op, ax) in enumerate(ops):
            dst = g if (len(ops) - 1 - t) % 2 == 0 else work
            op(src, ax, dst, accumulate=False)
            src = dst
        Q += _dot(g[keep], g[keep])
        # adjoint chain (D''^T = -D'', the sign is folded in by the caller; S'' is self-adjoint),
        # its last pass adding into acc
        src, spare = g, work
        for t, (op, ax) in enumerate(ops[::-1]):
            if t == len(ops) - 1:
                op(src, ax, acc, accumulate=n > 0)
            else:
                op(src, ax, spare, accumulate=False)
                src, spare = spare, src
    return Q


def value_and_grad(W: np.ndarray, axes: tuple[int, ...], divisor: float, out=None,
                   block_rows: int | None = None, scale: int = 0):
    """Return ``(H, dH_dW, Q'', S)`` for a validated ``W``; ``H`` is None when ``Q''`` or ``S`` is
    zero, subnormal or infinite (then ``1/Q''`` or ``1/S`` is not representable).

    ``H`` and the gradient are divided by ``divisor`` (1 for nats, ln 2 for bits). With ``scale =
    e`` everything is evaluated at ``2**-e W`` (exactly; the caller's rescale, eq. D6/D14,
    :mod:`entropy_ref.scaling`) without storing that scaled copy. ``W`` may be strided; ``out``
    may be any writeable array of ``W``'s shape and dtype that does not overlap ``W`` (the caller
    checks): the gradient always ends up in it. The caller raises on a degenerate input; the result never holds ``inf`` or NaN when
    ``H`` is not None (an out-of-range first attempt is discarded quietly by the caller).

    The array is processed in slabs of ``block_rows`` rows (axis 0) so that the ~20 passes of the
    chains run on cache-resident data. Along axis 0 the operator couples a row with rows up to two
    away (a 3-tap pass forward, another in the adjoint), so each slab carries a halo of two rows
    on each side when axis 0 is a chosen axis; only the slab's own rows are kept. Rows of the
    result are therefore computed from exactly the same numbers as without slabs.

    Memory: the gradient plus the slab buffers ``g`` and ``work``, plus a slab buffer for the
    result when there are several slabs or ``out`` is strided. A slab whose buffers would outweigh
    two thirds of ``W`` (short, wide arrays) is not worth it: then one slab. Either way at most
    three arrays the size of ``W`` (``docs/derivation.md`` D15; ``tests/test_fused.py``).
    """
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        return _value_and_grad(W, axes, divisor, out, block_rows, scale)


def _value_and_grad(W, axes, divisor, out, block_rows, scale):
    staged = scale != 0 or not W.flags.c_contiguous
    acc = np.empty(W.shape, W.dtype) if out is None else out
    n0, row_bytes = W.shape[0], max(1, W[:1].nbytes)
    halo = 2 if 0 in axes else 0
    if block_rows is None:
        block_rows = n0 if W.nbytes <= SINGLE_SLAB_BYTES else max(16, BLOCK_BYTES // row_bytes)
        if 3 * min(n0, block_rows + 2 * halo) > 2 * n0:     # three slab buffers > 2 W: one slab
            block_rows = n0
    rows = min(block_rows, n0)
    shape = (min(n0, rows + 2 * halo),) + W.shape[1:]
    g, work = np.empty(shape, W.dtype), np.empty(shape, W.dtype)
    # one slab: work in acc itself (if contiguous); several: a slab buffer, since a slab's halo
    # rows would overwrite the finished rows of its neighbour
    acc_s = acc if rows == n0 and acc.flags.c_contiguous else np.empty(shape, W.dtype)
    Q = S = 0.0
    for r0 in range(0, n0, rows):
        r1 = min(n0, r0 + rows)
        lo, hi = max(0, r0 - halo), min(n0, r1 + halo)
        keep = slice(r0 - lo, r1 - lo)
        m = hi - lo
        Q += _slab_MW(W[lo:hi], axes, acc_s[:m], g[:m], work[:m], keep, staged, scale)
        if acc_s is not acc:
            acc[r0:r1] = acc_s[keep]
        Wr = _stage(W[r0:r1], g[:r1 - r0], scale) if staged else W[r0:r1]
        np.sign(Wr, out=work[:r1 - r0])
        S += _dot(work[:r1 - r0], Wr)           # sum |W| = <sign W, W>
    tiny = float(np.finfo(W.dtype).tiny)
    if not (tiny <= Q < math.inf and tiny <= S < math.inf):   # 1/Q or 1/S not representable:
        return None, acc, Q, S                                # degenerate, or caller rescales
    k = len(axes)
    alpha = 0.5 * (3.0 / 16.0) ** (k - 1)
    H = (0.5 * math.log(Q / k) + math.log(alpha) - math.log(S)) / divisor
    # dH/dW = -acc / Q - sign(W) / S   (the minus of the first term from D''^T = -D'');
    # work still holds sign(W) of the last slab (all of W when there is one slab): go backwards
    # so that slab comes first and its sign is reused
    last = r0
    for r0 in reversed(range(0, n0, rows)):
        r1 = min(n0, r0 + rows)
        w = work[:r1 - r0]
        if r0 != last:
            np.sign(W[r0:r1], out=w)
        np.multiply(w, W.dtype.type(Q / S), out=w)
        np.add(acc[r0:r1], w, out=acc[r0:r1])
        np.multiply(acc[r0:r1], W.dtype.type(-1.0 / (Q * divisor)), out=acc[r0:r1])
    return H, acc, Q, S
