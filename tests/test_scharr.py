"""The Scharr operator and its adjoint: separable identity, loop twins, adjoint test, analytic cases."""

import numpy as np
import pytest
from scipy.signal import convolve2d, correlate2d

from entropy_ref import (
    scharr_gradient,
    scharr_gradient_adjoint,
    scharr_gradient_adjoint_loop,
    scharr_gradient_loop,
)
from entropy_ref.conventions import DERIVATIVE, G_X, G_Y, KERNEL_INTEGER_X, SMOOTHING
from entropy_ref.gradcheck import adjoint_check
from entropy_ref.scharr import convolve3, correlate3

RNG = np.random.default_rng(20230117)
TOL_EXACT = 1e-14  # relative: same arithmetic up to rounding order
TOL_ADJOINT = 1e-12  # dot-product test


def test_kernel_values_match_the_paper():
    assert np.array_equal(G_X * 32, KERNEL_INTEGER_X)
    assert np.array_equal(G_Y * 32, KERNEL_INTEGER_X.T)
    assert np.array_equal(G_Y * 32, [[3, 10, 3], [0, 0, 0], [-3, -10, -3]])
    assert np.array_equal(np.outer(SMOOTHING, DERIVATIVE), G_X)  # separable form, exact


@pytest.mark.parametrize("shape", [(1, 1), (1, 5), (5, 1), (2, 2), (3, 5), (17, 31), (40, 9)])
def test_separable_operator_equals_2d_convolution(shape):
    W = RNG.standard_normal(shape)
    g_x, g_y = scharr_gradient(W)
    for ours, G in ((g_x, G_X), (g_y, G_Y)):
        ref = convolve2d(W, G, mode="same", boundary="fill", fillvalue=0.0)
        assert np.max(np.abs(ours - ref)) <= TOL_EXACT * max(1.0, np.max(np.abs(ref)))


def test_correlation_flips_only_the_sign():
    W = RNG.standard_normal((6, 7))
    g_x, _ = scharr_gradient(W)
    corr = correlate2d(W, G_X, mode="same")
    assert np.allclose(corr, -g_x, rtol=0, atol=1e-15)


@pytest.mark.parametrize("shape,axes", [((4, 6), None), ((1, 7), None), ((7,), None),
                                        ((3, 4, 5), (0, 2)), ((3, 4, 5), (2, 0)),
                                        ((3, 4, 5), (0, 1, 2)), ((2, 3, 4, 3), (1, 3))])
def test_vectorised_equals_plain_loop(shape, axes):
    W = RNG.standard_normal(shape)
    fast, slow = scharr_gradient(W, axes), scharr_gradient_loop(W, axes)
    assert len(fast) == len(slow)
    for a, b in zip(fast, slow):
        assert np.max(np.abs(a - b)) <= TOL_EXACT
    comps = tuple(RNG.standard_normal(shape) for _ in fast)
    assert np.max(np.abs(scharr_gradient_adjoint(comps, axes)
                         - scharr_gradient_adjoint_loop(comps, axes))) <= TOL_EXACT


@pytest.mark.parametrize("shape,axes", [((3, 5), None), ((5, 3), None), ((1, 9), None), ((2, 2), None),
                                        ((17, 31), None), ((11,), None), ((4, 5, 6), (0, 2)),
                                        ((4, 5, 6), (0, 1, 2)), ((3, 2, 5, 4), (2, 3))])
def test_adjoint_dot_product(shape, axes):
    for _ in range(3):
        W = RNG.standard_normal(shape)
        u = tuple(RNG.standard_normal(shape) for _ in scharr_gradient(W, axes))
        err = adjoint_check(lambda w: scharr_gradient(w, axes),
                            lambda c: scharr_gradient_adjoint(c, axes), W, u)
        assert err <= TOL_ADJOINT


def test_1d_passes_are_adjoint():
    x, y = RNG.standard_normal(9), RNG.standard_normal(9)
    for k in (DERIVATIVE, SMOOTHING, [0.2, -1.0, 3.0]):
        assert adjoint_check(lambda v: convolve3(v, k, 0), lambda v: correlate3(v, k, 0), x, y) <= 1e-15


def test_step_edge_has_hand_computable_response():
    # W = 0 left of column 3, 1 from column 3 on (5 x 6 matrix). Interior rows: the smoothing along
    # axis 0 sums to 1, so g_x = (W[j+1] - W[j-1]) / 2 = [0, 0, 0.5, 0.5, 0, -0.5] (the last from the
    # zero padding); border rows lose the outer 3/16 tap: 13/16 of that.
    W = np.zeros((5, 6))
    W[:, 3:] = 1.0
    g_x, g_y = scharr_gradient(W)
    row = np.array([0, 0, 0.5, 0.5, 0, -0.5])
    assert np.array_equal(g_x[1:-1], np.tile(row, (3, 1)))
    assert np.allclose(g_x[0], row * 13 / 16, rtol=0, atol=1e-16)
    # g_y: zero in the interior rows; at the top border (W[1] - 0) / 2 = +(smoothed row) / 2 and at
    # the bottom border (0 - W[-2]) / 2 = -(smoothed row) / 2
    assert np.array_equal(g_y[1:-1], np.zeros((3, 6)))
    smoothed = np.array([0, 0, 3, 13, 16, 13]) / 16
    assert np.allclose(g_y[0], smoothed / 2, rtol=0, atol=1e-16)
    assert np.allclose(g_y[-1], -smoothed / 2, rtol=0, atol=1e-16)


def test_constant_matrix_only_has_boundary_response():
    W = np.full((4, 5), 2.0)
    g_x, g_y = scharr_gradient(W)
    # interior columns: equal neighbours cancel; first/last column see one zero-padded neighbour
    assert np.array_equal(g_x[:, 1:-1], np.zeros((4, 3)))
    col = np.array([13, 16, 16, 13]) / 16 * 2.0 / 2   # smoothing of 2 along axis 0, times 1/2
    assert np.allclose(g_x[:, 0], col, rtol=0, atol=1e-15)
    assert np.allclose(g_x[:, -1], -col, rtol=0, atol=1e-15)
    assert np.array_equal(g_y[1:-1], np.zeros((2, 5)))


def test_axes_validation():
    W = RNG.standard_normal((3, 4, 5))
    with pytest.raises(ValueError, match="choose the axes"):
        scharr_gradient(W)
    with pytest.raises(ValueError, match="out of range"):
        scharr_gradient(W, axes=(0, 3))
    with pytest.raises(ValueError, match="repeat"):
        scharr_gradient(W, axes=(1, -2))
    with pytest.raises(ValueError, match="expected 2 components"):
        scharr_gradient_adjoint((W,), axes=(0, 1))
    with pytest.raises(ValueError, match="share one shape"):
        scharr_gradient_adjoint((W, W[:1]), axes=(0, 1))


def test_mapping_to_scipy_ndimage():
    """docs/conventions.md: ndimage.convolve reproduces g, ndimage.correlate gives -g (eq. D3)."""
    from scipy import ndimage

    W = RNG.standard_normal((7, 10))
    g_x, g_y = scharr_gradient(W)
    for g, G in ((g_x, G_X), (g_y, G_Y)):
        assert np.allclose(ndimage.convolve(W, G, mode="constant", cval=0.0), g, rtol=0, atol=1e-15)
        assert np.allclose(ndimage.correlate(W, G, mode="constant", cval=0.0), -g, rtol=0, atol=1e-15)
    # the separable form with scipy's 1-D filters
    sep = ndimage.convolve1d(ndimage.convolve1d(W, SMOOTHING, axis=0, mode="constant"),
                             DERIVATIVE, axis=1, mode="constant")
    assert np.allclose(sep, g_x, rtol=0, atol=1e-15)


def test_axes_as_numpy_array_or_single_int():
    W = RNG.standard_normal((3, 4, 5))
    a = scharr_gradient(W, axes=np.array([2, 0]))
    b = scharr_gradient(W, axes=(2, 0))
    assert all(np.array_equal(p, q) for p, q in zip(a, b))
    assert np.array_equal(scharr_gradient(W, axes=1)[0], scharr_gradient(W, axes=(1,))[0])


@pytest.mark.parametrize("adjoint", [scharr_gradient_adjoint, scharr_gradient_adjoint_loop])
@pytest.mark.parametrize("components,axes,match", [
    ([], None, "components is empty"),
    (np.ones((3, 4)), None, "not a single array"),
    ([np.ones((3, 4)), np.ones((4, 3))], None, "share one shape"),
    ([np.ones((3, 4))], None, "expected 2 components"),
    ([np.ones((3, 4)), np.full((3, 4), np.nan)], None, "non-finite"),
])
def test_adjoint_and_its_loop_twin_validate_alike(adjoint, components, axes, match):
    with pytest.raises((TypeError, ValueError), match=match):
        adjoint(components, axes)


def test_convolve3_computes_integer_input_in_float():
    got = convolve3(np.array([0, 1, 4, 9]), [0.5, 0.0, -0.5], axis=0)   # not rounded to integers
    np.testing.assert_allclose(got, [0.5, 2.0, 4.0, -2.0], rtol=0, atol=0)
    with pytest.raises(ValueError, match="axis 2 is out of range"):
        convolve3(np.ones((2, 2)), [0.5, 0.0, -0.5], axis=2)
