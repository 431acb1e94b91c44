"""Layers: vectorised vs plain-loop twins, finite-difference gradients, stability, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.special import log_softmax, logsumexp

from entropy_ref.gradcheck import check_gradient, rel_error
from entropy_ref.layers import (affine_backward, affine_backward_loop, affine_forward,
                                affine_forward_loop, relu_backward, relu_backward_loop,
                                relu_forward, relu_forward_loop, softmax_cross_entropy_backward,
                                softmax_cross_entropy_forward, softmax_cross_entropy_loop)
from helpers import standard_normal

GRAD_TOL = 1e-7       # max relative error of analytic vs central-difference gradients (float64)
TWIN_TOL = 1e-12      # vectorised vs loop twin (float64, different summation order)
OUT_TOL = 1e-12       # results written into out= buffers of any layout vs fresh arrays (float64)


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


# ------------------------------------------------------------------------------------ affine
def test_affine_matches_loop_twin(rng):
    x, W, b = rng.standard_normal((4, 6)), rng.standard_normal((5, 6)), rng.standard_normal(5)
    y, cache = affine_forward(x, W, b)
    y_loop, cache_loop = affine_forward_loop(x, W, b)
    np.testing.assert_allclose(y, y_loop, rtol=TWIN_TOL, atol=TWIN_TOL)
    dy = rng.standard_normal(y.shape)
    for got, want in zip(affine_backward(dy, cache), affine_backward_loop(dy, cache_loop)):
        np.testing.assert_allclose(got, want, rtol=TWIN_TOL, atol=TWIN_TOL)


def test_affine_gradients_finite_differences(rng):
    x, W, b = rng.standard_normal((3, 5)), rng.standard_normal((4, 5)), rng.standard_normal(4)
    R = rng.standard_normal((3, 4))          # L = sum(R * y) makes dL/dy = R
    dx, dW, db = affine_backward(R, affine_forward(x, W, b)[1])
    assert check_gradient(lambda v: float(np.sum(R * affine_forward(v, W, b)[0])), dx, x) < GRAD_TOL
    assert check_gradient(lambda v: float(np.sum(R * affine_forward(x, v, b)[0])), dW, W) < GRAD_TOL
    assert check_gradient(lambda v: float(np.sum(R * affine_forward(x, W, v)[0])), db, b) < GRAD_TOL


def test_affine_out_buffers_give_identical_results(rng):
    x = rng.standard_normal((7, 5)).astype(np.float32)
    W, b = rng.standard_normal((3, 5)).astype(np.float32), rng.standard_normal(3).astype(np.float32)
    y, cache = affine_forward(x, W, b)
    buf = np.full((7, 3), np.nan, np.float32)
    y2, _ = affine_forward(x, W, b, out=buf)
    assert y2 is buf and np.array_equal(y, y2)
    dy = rng.standard_normal((7, 3)).astype(np.float32)
    outs = (np.empty((7, 5), np.float32), np.empty((3, 5), np.float32), np.empty(3, np.float32))
    got = affine_backward(dy, cache, out=outs)
    for g, o, want in zip(got, outs, affine_backward(dy, cache)):
        assert g is o and g.dtype == np.float32 and np.array_equal(g, want)


def test_affine_need_dx_false_skips_input_gradient(rng):
    x, W = rng.standard_normal((2, 3)), rng.standard_normal((4, 3))
    dx, dW, db = affine_backward(np.ones((2, 4)), affine_forward(x, W, np.zeros(4))[1],
                                 need_dx=False)
    assert dx is None and dW.shape == (4, 3) and db.shape == (4,)


def test_affine_rejects_mismatched_shapes(rng):
    with pytest.raises(ValueError, match="shapes do not fit"):
        affine_forward(np.ones((2, 3)), np.ones((4, 5)), np.ones(4))
    with pytest.raises(ValueError, match="shapes do not fit"):
        affine_forward(np.ones((2, 3)), np.ones((4, 3)), np.ones(3))


# ------------------------------------------------------------------------------------ ReLU
def test_relu_matches_loop_twin_and_subgradient_at_zero():
    x = np.array([[-2.0, 0.0, 3.0], [0.5, -0.0, -1e-300]])
    y, cache = relu_forward(x)
    assert np.array_equal(y, relu_forward_loop(x)[0])
    assert np.array_equal(y, [[0.0, 0.0, 3.0], [0.5, 0.0, 0.0]])
    dy = np.arange(1.0, 7.0).reshape(2, 3)
    dx = relu_backward(dy, cache)
    assert np.array_equal(dx, relu_backward_loop(dy, cache))
    assert np.array_equal(dx, [[0.0, 0.0, 3.0], [4.0, 0.0, 0.0]])   # 0 at x == 0, like torch


def test_relu_gradient_finite_differences(rng):
    x = rng.standard_normal((4, 5))
    x[np.abs(x) < 1e-3] = 0.5                  # keep the kink out of the difference stencil
    R = rng.standard_normal(x.shape)
    dx = relu_backward(R, relu_forward(x)[1])
    assert check_gradient(lambda v: float(np.sum(R * relu_forward(v)[0])), dx, x) < GRAD_TOL


def test_relu_in_place():
    x = np.array([-1.0, 2.0])
    y, _ = relu_forward(x, out=x)
    assert y is x and np.array_equal(x, [0.0, 2.0])
    d = np.array([5.0, 5.0])
    assert relu_backward(d, y, out=d) is d and np.array_equal(d, [0.0, 5.0])


# ------------------------------------------------------------------------- softmax + CE
def test_cross_entropy_matches_scipy_and_loop_twin(rng):
    z, y = rng.standard_normal((6, 4)) * 3, rng.integers(0, 4, 6)
    loss, cache = softmax_cross_entropy_forward(z, y)
    want = -np.mean(log_softmax(z, axis=1)[np.arange(6), y])
    assert loss == pytest.approx(want, rel=1e-14)
    loss_loop, d_loop = softmax_cross_entropy_loop(z, y)
    assert loss_loop == pytest.approx(want, rel=1e-14)
    np.testing.assert_allclose(softmax_cross_entropy_backward(1.0, cache), d_loop, rtol=TWIN_TOL,
                               atol=1e-15)


def test_cross_entropy_gradient_finite_differences(rng):
    z, y = rng.standard_normal((5, 3)), rng.integers(0, 3, 5)
    _, cache = softmax_cross_entropy_forward(z, y)
    d = softmax_cross_entropy_backward(2.5, cache)       # upstream gradient scales the result
    assert check_gradient(lambda v: 2.5 * softmax_cross_entropy_forward(v, y)[0], d, z) < GRAD_TOL


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_is_stable_for_huge_logits(dtype):
    z = np.array([[1e4, 0.0, -1e4], [-3e4, -3e4, -3e4]], dtype=dtype)   # exp overflows naively
    loss, cache = softmax_cross_entropy_forward(z, np.array([1, 2]))
    # row 0: logsumexp = 1e4 (to rounding), loss 1e4 - 0; row 1: log(3)
    assert np.isfinite(loss)
    assert loss == pytest.approx((1e4 + np.log(3.0)) / 2, rel=1e-6)
    d = softmax_cross_entropy_backward(1.0, cache)
    assert np.all(np.isfinite(d)) and d.dtype == dtype


@given(shift=st.floats(-1e3, 1e3), seed=st.integers(0, 2**16))
def test_cross_entropy_invariant_to_a_constant_added_per_row(shift, seed):
    r = np.random.default_rng(seed)
    z, y = r.standard_normal((3, 5)), r.integers(0, 5, 3)
    a, _ = softmax_cross_entropy_forward(z, y)
    b, _ = softmax_cross_entropy_forward(z + shift, y)
    assert b == pytest.approx(a, rel=1e-9, abs=1e-9 * (1 + abs(shift)))
    assert a >= 0.0 and a == pytest.approx(np.mean(logsumexp(z, axis=1) - z[np.arange(3), y]),
                                           rel=1e-12)


@pytest.mark.parametrize("labels, match", [
    (np.array([0, 3]), r"labels must lie in \[0, 3\)"),
    (np.array([0, -1]), r"labels must lie"),
    (np.array([0.0, 1.0]), "labels must be integers"),
    (np.array([0]), r"need logits \(N, C\)"),
])
def test_cross_entropy_rejects_bad_labels(labels, match):
    with pytest.raises(ValueError, match=match):
        softmax_cross_entropy_forward(np.zeros((2, 3)), labels)


def test_affine_outputs_must_not_overlap_inputs():
    x, W, b = standard_normal((3, 3)), standard_normal((3, 3), 1), standard_normal((3,), 2)
    with pytest.raises(ValueError, match="out shares memory with W"):
        affine_forward(x, W, b, out=W)
    with pytest.raises(ValueError, match="out shares memory with x"):
        affine_forward(x, W, b, out=x)
    _, cache = affine_forward(x, W, b)
    dy = standard_normal((3, 3), 3)
    want = affine_backward(dy, cache)
    for out, match in [((None, dy, None), r"out\[1\] \(dW\) shares memory with dy"),
                       ((None, x, None), r"out\[1\] \(dW\) shares memory with x"),
                       ((W, None, None), r"out\[0\] \(dx\) shares memory with W")]:
        with pytest.raises(ValueError, match=match):
            affine_backward(dy.copy() if out[1] is not dy else dy, cache, out=out)
    buf = np.empty((3, 3))
    with pytest.raises(ValueError, match="shares memory with"):
        affine_backward(dy, cache, out=(buf, buf, None))
    got = affine_backward(dy, cache, out=(np.empty((3, 3), order="F"), np.empty((3, 3), order="F"),
                                          np.empty(6)[::2]))
    for g, w in zip(got, want):
        assert rel_error(g, w) <= OUT_TOL


@pytest.mark.parametrize("call,match", [
    (lambda: affine_forward(np.ones((2, 3)), np.ones((4, 3)), np.ones(4), out=[[0.0] * 4] * 2),
     "affine_forward: out must be a NumPy array"),
    (lambda: affine_forward(np.ones((2, 3)), np.ones((4, 3)), np.ones(4), out=np.empty((4, 2))),
     "affine_forward: out must have shape"),
    (lambda: affine_backward(np.ones((2, 4)), (np.ones((2, 3)), np.ones((4, 3))), out=[1, 2, 3]),
     "affine_backward: out must be a tuple"),
    (lambda: affine_backward(np.ones((2, 5)), (np.ones((2, 3)), np.ones((4, 3)))),
     "affine_backward: dy has shape"),
    (lambda: affine_backward_loop(np.ones((2, 5)), (np.ones((2, 3)), np.ones((4, 3)))),
     "affine_backward: dy has shape"),
    (lambda: affine_forward_loop(np.ones((2, 3)), np.ones((4, 2)), np.ones(4)),
     "affine_forward: shapes do not fit"),
    (lambda: relu_backward(np.ones(3), np.ones((2, 3))), "relu_backward: dy has shape"),
    (lambda: relu_backward_loop(np.ones(3), np.ones((2, 3))), "relu_backward: dy has shape"),
])
def test_layer_inputs_and_outs_are_checked_by_fast_and_loop_twins(call, match):
    with pytest.raises((TypeError, ValueError), match=match):
        call()
