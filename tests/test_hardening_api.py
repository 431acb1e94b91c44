"""Issue 10, library side: no silent wrong answer from an ``out=`` buffer, no escaping warning, a
clear one-line error for every bad input (the table in docs/robustness.md, 'Library functions')."""

from __future__ import annotations

import numpy as np
import pytest

from entropy_ref import (configuration_entropy, configuration_entropy_grad,
                         configuration_entropy_grad_reference, penalty_sum, sparsity_loss_grad)
from entropy_ref import regularizers
from entropy_ref.gradcheck import rel_error
from entropy_ref.layers import (affine_backward, affine_backward_loop, affine_forward,
                                affine_forward_loop, relu_backward, relu_backward_loop)
from entropy_ref.optim import AdamHP, adam_init, adam_step, adam_step_inplace
from entropy_ref.scharr import (scharr_gradient, scharr_gradient_adjoint,
                                scharr_gradient_adjoint_loop)

TOL = 1e-12          # float64, relative max-norm error against the readable reference
BASIC = ("none", "sparsity", "entropy", "l1", "hoyer")   # the regularizers of this work package


def _W(shape=(4, 5), seed=0, dtype=np.float64):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


# ----------------------------------------------------------------- item 1: strided out=
@pytest.mark.parametrize("make_out", [
    lambda s: np.zeros(s, order="F"),
    lambda s: np.zeros((s[0], 2 * s[1]))[:, ::2],
    lambda s: np.zeros((s[1], s[0])).T,
], ids=["fortran", "strided", "transposed"])
@pytest.mark.parametrize("fn,sign", [(configuration_entropy_grad, 1.0), (sparsity_loss_grad, -1.0)])
def test_non_contiguous_out_receives_the_gradient(make_out, fn, sign):
    W = _W()
    _, g_ref = configuration_entropy_grad_reference(W)
    out = make_out(W.shape)
    _, g = fn(W, out=out)
    assert g is out
    assert rel_error(out, sign * g_ref) <= TOL


def test_non_contiguous_out_through_penalty_sum_and_regularizers():
    Ws = [_W((4, 5)), _W((3, 4), 1)]
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


# ----------------------------------------------------------------- item 2: out overlapping W
def _overlapping_outs(W):
    yield "W itself", W
    yield "a view of W", W[:, :]
    yield "W reshaped", W.reshape(W.shape)


@pytest.mark.parametrize("fn", [configuration_entropy_grad, sparsity_loss_grad])
def test_out_overlapping_W_is_refused_and_W_is_untouched(fn):
    W = _W()
    keep = W.copy()
    for what, out in _overlapping_outs(W):
        with pytest.raises(ValueError, match="out shares memory with W"):
            fn(W, out=out)
        assert np.array_equal(W, keep), what


def test_penalty_sum_refuses_out_overlapping_any_weight_or_another_out():
    W1, W2 = _W((4, 5)), _W((4, 5), 1)
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
    W = _W()
    out = bad if not isinstance(bad, list) else [bad]
    with pytest.raises(exc, match=match):
        penalty_sum([W], out=out)
    for name in BASIC:
        with pytest.raises(exc, match=match):
            regularizers.get(name)([W], out=out)


def test_single_matrix_out_must_be_an_array_and_writeable():
    W = _W()
    with pytest.raises(TypeError, match="out must be a NumPy array"):
        configuration_entropy_grad(W, out=W.tolist())
    ro = np.empty_like(W)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="out is read-only"):
        configuration_entropy_grad(W, out=ro)


# ----------------------------------------------------------------- item 3: penalty_sum(W)
@pytest.mark.parametrize("W", [_W((4, 5)), _W((6,))])
def test_penalty_sum_refuses_a_single_array(W):
    with pytest.raises(TypeError, match="list of weight matrices, not a single array"):
        penalty_sum(W)


def test_penalty_sum_refuses_no_matrices():
    with pytest.raises(ValueError, match="at least one weight matrix"):
        penalty_sum([])


# ----------------------------------------------------------------- model room: layers, Adam
def test_affine_outputs_must_not_overlap_inputs():
    x, W, b = _W((3, 3)), _W((3, 3), 1), _W((3,), 2)
    with pytest.raises(ValueError, match="out shares memory with W"):
        affine_forward(x, W, b, out=W)
    with pytest.raises(ValueError, match="out shares memory with x"):
        affine_forward(x, W, b, out=x)
    _, cache = affine_forward(x, W, b)
    dy = _W((3, 3), 3)
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
        assert rel_error(g, w) <= TOL


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


def test_adam_inplace_refuses_aliased_buffers_before_touching_state():
    w, dw = _W((5,)), _W((5,), 1)
    s = adam_init(w)
    s["m"][:] = 0.25
    cases = [({"scratch": w}, "scratch shares memory with w"),
             ({"dw": s["m"]}, "m shares memory with dw"),
             ({"scratch": s["v"]}, "scratch shares memory with v"),
             ({"scratch": [0.0] * 5}, "scratch must be a NumPy array")]
    for kw, match in cases:
        w0, m0 = w.copy(), s["m"].copy()
        with pytest.raises((TypeError, ValueError), match=match):
            adam_step_inplace(w, kw.get("dw", dw), s, AdamHP(lr=0.1), kw.get("scratch"))
        assert np.array_equal(w, w0) and np.array_equal(s["m"], m0) and s["t"] == 0
    ro = w.copy()
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="w is read-only"):
        adam_step_inplace(ro, dw, s)
    assert s["t"] == 0 and np.array_equal(s["m"], m0)


@pytest.mark.parametrize("hp,exc,match", [
    ({"eps": "x"}, TypeError, "eps must be a real number"),
    ({"lr": "1e-3"}, TypeError, "lr must be a real number"),
    ({"beta1": 5}, ValueError, r"beta1 must lie in \[0, 1\)"),
    ({"beta2": None}, TypeError, "beta2 must be a real number"),
    ({"lr": True}, TypeError, "lr must be a real number"),
    ({"betas": 5}, TypeError, "unknown hyper-parameter 'betas'"),
    ({"lr": float("nan")}, ValueError, "lr must be a finite number"),
])
def test_adam_hyper_parameter_errors_name_the_field(hp, exc, match):
    with pytest.raises(exc, match=match):
        adam_step(np.ones(2), np.ones(2), adam_init(np.ones(2)), hp)


@pytest.mark.parametrize("t", [-1, -5, 1.5, "3", None])
def test_adam_step_count_must_be_a_non_negative_integer(t):
    s = adam_init(np.ones(2))
    s["t"] = t
    for step in (adam_step, adam_step_inplace):
        with pytest.raises((TypeError, ValueError), match=r"state\['t'\]"):
            step(np.ones(2), np.ones(2), s)


# ----------------------------------------------------------------- item 9: odd inputs
@pytest.mark.skipif(np.finfo(np.longdouble).max <= np.finfo(np.float64).max,
                    reason="longdouble is float64 on this platform")
@pytest.mark.parametrize("scale", ["1e400", "1e-400"])
def test_longdouble_outside_float64_range_says_what_is_supported(scale):
    W = _W().astype(np.longdouble) * np.longdouble(scale)
    for fn in (configuration_entropy, configuration_entropy_grad, scharr_gradient):
        with pytest.raises(ValueError, match=r"outside the float64 range.*float32 or float64"):
            fn(W)


def test_longdouble_inside_float64_range_is_computed_in_float64():
    W = _W()
    assert configuration_entropy(W.astype(np.longdouble)) == pytest.approx(
        configuration_entropy(W), rel=1e-15)


def test_masked_arrays_are_refused():
    W = np.ma.masked_array(_W(), mask=np.eye(4, 5, dtype=bool))
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


def test_mlp_workspace_batch_size_and_aliased_gradient_buffers():
    from entropy_ref.mlp import init_mlp, loss_and_grads, make_workspace

    p = init_mlp((4, 3, 2), dtype=np.float64)
    for bad in (0, -3, 2.5, True):
        with pytest.raises(ValueError, match="batch_size must be an integer >= 1"):
            make_workspace(p, bad)
    X, y = _W((5, 4)), np.array([0, 1, 0, 1, 1])
    ws = make_workspace(p, 5, grads=p)          # careless: gradients written over the weights
    keep = [W.copy() for W in p["W"]]
    with pytest.raises(ValueError, match=r"out\[1\] \(dW\) shares memory with W"):
        loss_and_grads(p, X, y, ws)
    assert all(np.array_equal(W, k) for W, k in zip(p["W"], keep))


def test_integer_inputs_that_used_to_round_to_zero():
    from entropy_ref.mlp import init_mlp
    from entropy_ref.scharr import convolve3

    got = convolve3(np.array([0, 1, 4, 9]), [0.5, 0.0, -0.5], axis=0)   # was [0 0 0 0]
    np.testing.assert_allclose(got, [0.5, 2.0, 4.0, -2.0], rtol=0, atol=0)
    with pytest.raises(ValueError, match="axis 2 is out of range"):
        convolve3(np.ones((2, 2)), [0.5, 0.0, -0.5], axis=2)
    with pytest.raises(ValueError, match="dtype must be a float type"):
        init_mlp((3, 2), dtype=np.int32)                                 # was all-zero weights
    with pytest.raises(TypeError, match="sizes must be a sequence of ints"):
        init_mlp(((3,), 2))


@pytest.mark.parametrize("call,exc,match", [
    (lambda: penalty_sum(None), TypeError, "penalty_sum: weights must be a list"),
    (lambda: penalty_sum([_W()], lam="1"), TypeError, "penalty_sum: lam must be a number"),
    (lambda: penalty_sum([_W()], lam={}), TypeError, "penalty_sum: lam must be a number"),
    (lambda: regularizers.get("l1")(3), TypeError, "l1: weights must be a list"),
    (lambda: regularizers.get("hoyer")([_W()], lam=None), TypeError, "hoyer: lam must be a number"),
    (lambda: scharr_gradient_adjoint(None), TypeError, "components must be a list or tuple"),
    (lambda: adam_step(np.ones(2), np.ones(2), None), TypeError, "state must be the dict"),
    (lambda: adam_step(np.ones(2), np.ones(2), {"t": 0}), TypeError, "state must be the dict"),
    (lambda: adam_step([1.0], np.ones(1), adam_init(np.ones(1))), TypeError, "w must be a NumPy"),
])
def test_garbage_containers_get_one_line_errors(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_adam_params_inplace_refuses_before_stepping_any_array():
    from entropy_ref.optim import adam_step_params, make_scratch, pack

    p = {"W": [_W((3, 2)), _W((2, 3), 1)], "b": [np.zeros(3), np.zeros(2)]}
    g = {"W": [np.ones((3, 2)), np.ones((2, 3))], "b": [np.ones(3), np.ones(2)]}
    s = adam_init(p)
    scratch = make_scratch(p)
    scratch["b"][1] = p["b"][1]                 # the last buffer aliases a parameter
    keep = [W.copy() for W in p["W"]]
    with pytest.raises(ValueError, match="scratch shares memory with w"):
        adam_step_params(p, g, s, AdamHP(lr=0.1), inplace=True, scratch=scratch)
    assert s["t"] == 0 and all(np.array_equal(W, k) for W, k in zip(p["W"], keep))
    with pytest.raises(ValueError, match=r"grads has keys \['W'\]"):
        adam_step_params(p, {"W": g["W"]}, s)
    with pytest.raises(TypeError, match="pack: tree must be a dict"):
        pack(p["W"])


def test_single_matrix_regularizer_functions_check_out_too():
    from entropy_ref.regularizers.hoyer import hoyer_square
    from entropy_ref.regularizers.l1 import l1_norm

    W = _W()
    keep = W.copy()
    for fn, who in ((hoyer_square, "hoyer"), (l1_norm, "l1")):
        with pytest.raises(ValueError, match=f"{who}: out shares memory with W"):
            fn(W, out=W)
        assert np.array_equal(W, keep)
        out = np.zeros((4, 5), order="F")
        assert fn(W, out=out)[1] is out and rel_error(out, fn(W)[1]) <= TOL
