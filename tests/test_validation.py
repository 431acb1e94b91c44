"""The argument checks of ``entropy_ref.validation``, through the public functions: ``out=``
buffers (strided, overlapping an input or each other, wrong containers), weight lists, arrays
(longdouble, masked) and garbage containers get the right answer or a one-line error naming the
argument, before anything is written (docs/robustness.md, 'Library functions')."""

from __future__ import annotations

import numpy as np
import pytest

from entropy_ref import (configuration_entropy, configuration_entropy_grad,
                         configuration_entropy_grad_reference, penalty_sum, sparsity_loss_grad)
from entropy_ref import regularizers
from entropy_ref.gradcheck import rel_error
from entropy_ref.layers import affine_forward
from entropy_ref.optim import adam_init, adam_step
from entropy_ref.scharr import scharr_gradient, scharr_gradient_adjoint
from helpers import standard_normal

TOL = 1e-12          # float64, relative max-norm error against the readable reference
BASIC = ("none", "sparsity", "entropy", "l1", "hoyer")   # one regularizer of each kind of penalty


# ----------------------------------------------------------------- out= buffers


@pytest.mark.parametrize("make_out", [
    lambda s: np.zeros(s, order="F"),
    lambda s: np.zeros((s[0], 2 * s[1]))[:, ::2],
    lambda s: np.zeros((s[1], s[0])).T,
], ids=["fortran", "strided", "transposed"])
@pytest.mark.parametrize("fn,sign", [(configuration_entropy_grad, 1.0), (sparsity_loss_grad, -1.0)])
def test_non_contiguous_out_receives_the_gradient(make_out, fn, sign):
    W = standard_normal()
    _, g_ref = configuration_entropy_grad_reference(W)
    out = make_out(W.shape)
    _, g = fn(W, out=out)
    assert g is out
    assert rel_error(out, sign * g_ref) <= TOL


def test_non_contiguous_out_through_penalty_sum_and_regularizers():
    Ws = [standard_normal((4, 5)), standard_normal((3, 4), 1)]
    want = penalty_sum(Ws, lam=[1.0, 0.5])
    outs = [np.zeros(W.shape, order="F") for W in Ws]
    got = penalty_sum(Ws, lam=[1.0, 0.5], out=outs)
    for g, o, w in zip(got.grads, outs, want.grads):
        assert g is o and rel_error(o, w) <= TOL
    for name in BASIC:
        want = regularizers.get(name)(Ws, 0.5)
        outs = [np.zeros(W.shape, order="F") for W in Ws]
        got = regularizers.get(name)(Ws, 0.5, out=outs)
        for o, w in zip(outs, want[2]):
            assert rel_error(o, w) <= TOL or not np.any(w)


def _overlapping_outs(W):
    yield "W itself", W
    yield "a view of W", W[:, :]
    yield "W reshaped", W.reshape(W.shape)


@pytest.mark.parametrize("fn", [configuration_entropy_grad, sparsity_loss_grad])
def test_out_overlapping_W_is_refused_and_W_is_untouched(fn):
    W = standard_normal()
    keep = W.copy()
    for what, out in _overlapping_outs(W):
        with pytest.raises(ValueError, match="out shares memory with W"):
            fn(W, out=out)
        assert np.array_equal(W, keep), what


def test_penalty_sum_refuses_out_overlapping_any_weight_or_another_out():
    W1, W2 = standard_normal((4, 5)), standard_normal((4, 5), 1)
    keep = [W1.copy(), W2.copy()]
    buf = np.empty_like(W1)
    cases = [([W1, np.empty_like(W2)], r"out\[0\] shares memory with weights\[0\]"),
             ([W2, np.empty_like(W2)], r"out\[0\] shares memory with weights\[1\]"),
             ([buf, buf], r"out\[1\] shares memory with out\[0\]")]
    for out, match in cases:
        with pytest.raises(ValueError, match=match):
            penalty_sum([W1, W2], out=out)
        for name in BASIC:
            with pytest.raises(ValueError, match=match):
                regularizers.get(name)([W1, W2], out=out)
    assert np.array_equal(W1, keep[0]) and np.array_equal(W2, keep[1])


@pytest.mark.parametrize("bad,exc,match", [
    ([[0.0] * 5] * 4, TypeError, r"out\[0\] must be a NumPy array"),
    (np.zeros((4, 5)), TypeError, "out must be a list of arrays"),
    ("buffer", TypeError, "out must be a list of arrays"),
])
def test_bad_out_containers_name_out(bad, exc, match):
    W = standard_normal()
    out = bad if not isinstance(bad, list) else [bad]
    with pytest.raises(exc, match=match):
        penalty_sum([W], out=out)
    for name in BASIC:
        with pytest.raises(exc, match=match):
            regularizers.get(name)([W], out=out)


def test_single_matrix_out_must_be_an_array_and_writeable():
    W = standard_normal()
    with pytest.raises(TypeError, match="out must be a NumPy array"):
        configuration_entropy_grad(W, out=W.tolist())
    ro = np.empty_like(W)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="out is read-only"):
        configuration_entropy_grad(W, out=ro)


def test_single_matrix_regularizer_functions_check_out_too():
    from entropy_ref.regularizers.hoyer import hoyer_square
    from entropy_ref.regularizers.l1 import l1_norm

    W = standard_normal()
    keep = W.copy()
    for fn, who in ((hoyer_square, "hoyer"), (l1_norm, "l1")):
        with pytest.raises(ValueError, match=f"{who}: out shares memory with W"):
            fn(W, out=W)
        assert np.array_equal(W, keep)
        out = np.zeros((4, 5), order="F")
        assert fn(W, out=out)[1] is out and rel_error(out, fn(W)[1]) <= TOL


# ----------------------------------------------------------------- weight lists


@pytest.mark.parametrize("W", [standard_normal((4, 5)), standard_normal((6,))])
def test_penalty_sum_refuses_a_single_array(W):
    with pytest.raises(TypeError, match="list of weight matrices, not a single array"):
        penalty_sum(W)


def test_penalty_sum_refuses_no_matrices():
    with pytest.raises(ValueError, match="at least one weight matrix"):
        penalty_sum([])


# ----------------------------------------------------------------- arrays and containers


@pytest.mark.skipif(np.finfo(np.longdouble).max <= np.finfo(np.float64).max,
                    reason="longdouble is float64 on this platform")
@pytest.mark.parametrize("scale", ["1e400", "1e-400"])
def test_longdouble_outside_float64_range_says_what_is_supported(scale):
    W = standard_normal().astype(np.longdouble) * np.longdouble(scale)
    for fn in (configuration_entropy, configuration_entropy_grad, scharr_gradient):
        with pytest.raises(ValueError, match=r"outside the float64 range.*float32 or float64"):
            fn(W)


def test_longdouble_inside_float64_range_is_computed_in_float64():
    W = standard_normal()
    assert configuration_entropy(W.astype(np.longdouble)) == pytest.approx(
        configuration_entropy(W), rel=1e-15)


def test_masked_arrays_are_refused():
    W = np.ma.masked_array(standard_normal(), mask=np.eye(4, 5, dtype=bool))
    for fn in (configuration_entropy, configuration_entropy_grad,
               configuration_entropy_grad_reference, scharr_gradient):
        with pytest.raises(TypeError, match="masked array"):
            fn(W)
    with pytest.raises(TypeError, match="masked array"):
        penalty_sum([W])
    for name in BASIC:
        with pytest.raises(TypeError, match="masked array"):
            regularizers.get(name)([W])
    with pytest.raises(TypeError, match="affine_forward: x is a masked array"):
        affine_forward(W, np.ones((2, 5)), np.zeros(2))
    with pytest.raises(TypeError, match="out must be a NumPy array"):
        configuration_entropy_grad(W.data, out=np.ma.zeros((4, 5)))


@pytest.mark.parametrize("call,exc,match", [
    (lambda: penalty_sum(None), TypeError, "penalty_sum: weights must be a list"),
    (lambda: penalty_sum([standard_normal()], lam="1"), TypeError, "penalty_sum: lam must be a number"),
    (lambda: penalty_sum([standard_normal()], lam={}), TypeError, "penalty_sum: lam must be a number"),
    (lambda: regularizers.get("l1")(3), TypeError, "l1: weights must be a list"),
    (lambda: regularizers.get("hoyer")([standard_normal()], lam=None), TypeError, "hoyer: lam must be a number"),
    (lambda: scharr_gradient_adjoint(None), TypeError, "components must be a list or tuple"),
    (lambda: adam_step(np.ones(2), np.ones(2), None), TypeError, "state must be the dict"),
    (lambda: adam_step(np.ones(2), np.ones(2), {"t": 0}), TypeError, "state must be the dict"),
    (lambda: adam_step([1.0], np.ones(1), adam_init(np.ones(1))), TypeError, "w must be a NumPy"),
])
def test_garbage_containers_get_one_line_errors(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
