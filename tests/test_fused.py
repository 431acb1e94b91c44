"""The fused fast path of ``configuration_entropy_grad`` (entropy_ref/fused.py): slabs of rows with
a halo, strided or rescaled input staged slab by slab, and peak memory within three arrays the
size of W (docs/derivation.md D15)."""

from __future__ import annotations

import numpy as np
import pytest

from entropy_ref import configuration_entropy_grad, configuration_entropy_grad_reference
from entropy_ref.gradcheck import rel_error
from helpers import standard_normal

RNG = np.random.default_rng(7)
TOL_SAME = 1e-12     # fused fast path vs readable reference, float64, relative


@pytest.mark.parametrize("shape,axes", [((50, 7), (1, 0)), ((23, 5, 4), (0, 2)), ((23, 5, 4), (1, 2)),
                                        ((31, 4, 3), (0, 1, 2)), ((9,), (0,)), ((2, 6), (1, 0))])
@pytest.mark.parametrize("block_rows", [1, 2, 3, 5, 1000])
def test_fused_slabs_equal_reference(shape, axes, block_rows):
    """The fused path works on slabs of rows with a two-row halo (entropy_ref/fused.py); every
    slab size, down to one row, must give the reference result."""
    from entropy_ref import fused

    W = RNG.standard_normal(shape)
    H, g, _, _ = fused.value_and_grad(W, axes, 1.0, block_rows=block_rows)
    H_ref, g_ref = configuration_entropy_grad_reference(W, axes)
    assert abs(H - H_ref) <= TOL_SAME * max(1.0, abs(H_ref))
    assert rel_error(g, g_ref) <= TOL_SAME


@pytest.mark.parametrize("shape,axes", [((50, 7), (1, 0)), ((23, 5, 4), (0, 2)), ((31, 4, 3), (0, 1, 2)),
                                        ((9,), (0,)), ((2, 6), (1, 0))])
@pytest.mark.parametrize("block_rows", [1, 2, 5, 1000])
@pytest.mark.parametrize("variant", ["fortran_W", "reversed_W", "scaled", "strided_out"])
def test_fused_staged_slabs_equal_reference(shape, axes, block_rows, variant):
    """Strided W and the exact rescale are staged slab by slab into the work buffers (no copy
    of W); a strided out gets the result copied in. Every slab size gives the reference."""
    from entropy_ref import fused

    W = RNG.standard_normal(shape)
    e, out = 0, None
    if variant == "fortran_W":
        W = np.asfortranarray(W)
    elif variant == "reversed_W":
        W = W[::-1]
    elif variant == "scaled":
        e = 37                                  # evaluate at 2**-37 W: H unchanged, grad * 2**37
    else:
        out = np.zeros(shape[::-1]).T
    H, g, _, _ = fused.value_and_grad(W, axes, 1.0, out=out, block_rows=block_rows, scale=e)
    H_ref, g_ref = configuration_entropy_grad_reference(W, axes)
    assert abs(H - H_ref) <= TOL_SAME * max(1.0, abs(H_ref))
    assert rel_error(np.ldexp(g, -e), g_ref) <= TOL_SAME
    assert out is None or g is out


@pytest.mark.parametrize("shape,dtype", [((20, 100000), np.float64), ((18, 60000), np.float64),
                                         ((24, 100000), np.float64), ((200, 2000), np.float64),
                                         ((300, 784), np.float32), ((64, 40, 40), np.float64)])
@pytest.mark.parametrize("variant", ["plain", "fortran_W", "strided_out", "rescaled"])
def test_fused_path_never_needs_more_than_three_arrays_the_size_of_W(shape, dtype, variant):
    """docs/derivation.md D15: peak extra memory (the returned gradient included) <= 3 W.nbytes."""
    import tracemalloc

    W = standard_normal(shape, 5, dtype)
    axes = None if len(shape) == 2 else (1, 2)
    out = None
    if variant == "fortran_W":
        W = np.asfortranarray(W)
    elif variant == "strided_out":
        out = np.zeros(shape, dtype=dtype, order="F")
    elif variant == "rescaled":
        W *= dtype(1e-170 if dtype == np.float64 else 1e-30)
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        _, g = configuration_entropy_grad(W, axes, out=out)
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    # + a constant: NumPy's iterator buffers (64 KiB each) when a ufunc mixes memory layouts
    assert peak <= 3 * W.nbytes + 256 * 1024, f"peak {peak / W.nbytes:.2f} x W.nbytes"
    assert g.shape == W.shape
