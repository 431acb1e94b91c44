"""Adam: hand-computed steps, purity, the fused in-place path, whole-dict and packed steps."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from entropy_ref.optim import (AdamHP, adam_init, adam_step, adam_step_inplace, adam_step_params,
                               make_scratch, pack)
from helpers import standard_normal


def _hand_adam(w, grads, lr, b1=0.9, b2=0.999, eps=1e-8):
    """Scalar Adam written out with Python floats, straight from Kingma & Ba / torch docs."""
    m = v = 0.0
    for t, g in enumerate(grads, start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat_step = lr / (1 - b1 ** t)
        w = w - m_hat_step * m / (math.sqrt(v) / math.sqrt(1 - b2 ** t) + eps)
    return w


def test_first_step_by_hand():
    # t = 1: m = 0.1 g, v = 0.001 g^2; m / (1 - 0.9) = g, sqrt(v / (1 - 0.999)) = |g|
    # so w1 = w0 - lr * g / (|g| + eps) = w0 - lr * sign(g) up to eps.
    w, s = adam_step(np.array([1.0, 1.0, 1.0]), np.array([2.0, -0.5, 1e-3]), adam_init(np.zeros(3)),
                     AdamHP(lr=0.1))
    np.testing.assert_allclose(w, [0.9, 1.1, 0.9], rtol=0, atol=1e-6)   # eps/|g| <= 1e-5 * lr
    assert s["t"] == 1
    np.testing.assert_allclose(s["m"], [0.2, -0.05, 1e-4], rtol=1e-15)
    np.testing.assert_allclose(s["v"], [0.004, 0.00025, 1e-9], rtol=1e-12)


def test_two_steps_by_hand_with_explicit_numbers():
    # step 1: g = 2   -> m = 0.2, v = 0.004, denom = 2 + 1e-8, step 0.1/0.1 = 1
    #         w = 1 - 0.2 / (2 + 1e-8)
    # step 2: g = -1  -> m = 0.18 - 0.1 = 0.08, v = 0.003996 + 0.001 = 0.004996
    #         w -= (0.1 / 0.19) * 0.08 / (sqrt(0.004996) / sqrt(0.001999) + 1e-8)
    w1 = 1 - 0.2 / (2 + 1e-8)
    w2 = w1 - (0.1 / 0.19) * 0.08 / (math.sqrt(0.004996) / math.sqrt(0.001999) + 1e-8)
    s = adam_init(np.zeros(1))
    w, s = adam_step(np.array([1.0]), np.array([2.0]), s, AdamHP(lr=0.1))
    assert w[0] == pytest.approx(w1, rel=1e-14)
    w, s = adam_step(w, np.array([-1.0]), s, AdamHP(lr=0.1))
    assert w[0] == pytest.approx(w2, rel=1e-13)
    assert s["m"][0] == pytest.approx(0.08, rel=1e-14) and s["v"][0] == pytest.approx(0.004996,
                                                                                       rel=1e-14)


def test_many_steps_match_the_scalar_hand_formula():
    rng = np.random.default_rng(0)
    grads = rng.standard_normal((25, 4))
    w, s = np.full(4, 0.3), adam_init(np.zeros(4))
    for g in grads:
        w, s = adam_step(w, g, s, {"lr": 0.01, "beta1": 0.8, "beta2": 0.99, "eps": 1e-6})
    want = [_hand_adam(0.3, grads[:, i], 0.01, 0.8, 0.99, 1e-6) for i in range(4)]
    np.testing.assert_allclose(w, want, rtol=1e-13)
    assert s["t"] == 25


def test_adam_step_is_pure():
    w, g = np.array([1.0, 2.0]), np.array([0.5, -0.5])
    s = adam_init(w)
    copies = [w.copy(), g.copy(), s["m"].copy(), s["v"].copy()]
    w2, s2 = adam_step(w, g, s)
    for a, b in zip([w, g, s["m"], s["v"]], copies):
        assert np.array_equal(a, b)
    assert s["t"] == 0 and s2["t"] == 1 and w2 is not w


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_inplace_is_bit_identical_to_pure(dtype):
    rng = np.random.default_rng(1)
    w = rng.standard_normal((5, 7)).astype(dtype)
    wp, sp = w.copy(), adam_init(w)
    wi, si = w.copy(), adam_init(w)
    scratch = make_scratch(w)
    for _ in range(6):
        g = rng.standard_normal(w.shape).astype(dtype)
        wp, sp = adam_step(wp, g, sp, AdamHP(lr=1e-3))
        out, si = adam_step_inplace(wi, g, si, AdamHP(lr=1e-3), scratch)
        assert out is wi
        assert wp.dtype == dtype and np.array_equal(wp, wi)
        assert np.array_equal(sp["m"], si["m"]) and np.array_equal(sp["v"], si["v"])
    assert si["t"] == sp["t"] == 6


def test_params_dict_step_pure_inplace_and_packed_agree_bitwise():
    rng = np.random.default_rng(2)
    params = {"W": [rng.standard_normal((3, 4)).astype(np.float32),
                    rng.standard_normal((2, 3)).astype(np.float32)],
              "b": [rng.standard_normal(3).astype(np.float32), np.zeros(2, np.float32)]}
    pure_p, pure_s = params, adam_init(params)
    inpl_p = {k: [a.copy() for a in v] for k, v in params.items()}
    inpl_s, scratch = adam_init(inpl_p), make_scratch(inpl_p)
    flat_w, packed_p = pack(params)
    flat_s = adam_init(flat_w)
    for _ in range(4):
        grads = {k: [rng.standard_normal(a.shape).astype(np.float32) for a in v]
                 for k, v in params.items()}
        pure_p, pure_s = adam_step_params(pure_p, grads, pure_s, AdamHP(lr=0.01))
        adam_step_params(inpl_p, grads, inpl_s, AdamHP(lr=0.01), inplace=True, scratch=scratch)
        flat_g, _ = pack(grads)
        adam_step_inplace(flat_w, flat_g, flat_s, AdamHP(lr=0.01))
    for k in params:
        for a, b, c, orig in zip(pure_p[k], inpl_p[k], packed_p[k], params[k]):
            assert np.array_equal(a, b) and np.array_equal(a, c)
            assert not np.array_equal(a, orig)          # params itself was never modified
    assert pure_s["t"] == inpl_s["t"] == flat_s["t"] == 4


def test_pack_views_share_memory():
    flat, views = pack({"W": [np.ones((2, 3))], "b": [np.arange(2.0)]})
    assert flat.shape == (8,) and views["W"][0].shape == (2, 3)
    flat[:] = 0.0
    assert not views["W"][0].any() and not views["b"][0].any()


@pytest.mark.parametrize("kwargs, match", [
    ({"lr": 0.0}, "lr must be"), ({"lr": float("nan")}, "lr must be"),
    ({"beta1": 1.0}, r"beta1 must lie in \[0, 1\)"), ({"beta2": -0.1}, "beta2"),
    ({"eps": -1.0}, "eps must be"),
])
def test_bad_hyperparameters_are_rejected(kwargs, match):
    with pytest.raises(ValueError, match=match):
        AdamHP(**kwargs)


def test_shape_mismatch_is_rejected():
    with pytest.raises(ValueError, match="shapes differ"):
        adam_step(np.zeros(3), np.zeros(4), adam_init(np.zeros(3)))
    with pytest.raises(TypeError, match="AdamHP or a dict"):
        adam_step(np.zeros(3), np.zeros(3), adam_init(np.zeros(3)), hp=0.1)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_adam_refuses_a_gradient_whose_square_overflows_before_any_write(dtype):
    from entropy_ref.optim import adam_init, adam_step, adam_step_inplace

    w, dw = np.ones(3, dtype), np.array([1.0, -1.0, 1.0], dtype)
    dw[1] = -np.sqrt(np.finfo(dtype).max) * 2
    s = adam_init(w)
    s["m"][:] = 0.5
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for step in (adam_step, adam_step_inplace):
            with pytest.raises(ValueError, match="second moment v\\) overflows"):
                step(w, dw, s)
    assert s["t"] == 0 and np.all(w == 1) and np.all(s["m"] == 0.5) and np.all(s["v"] == 0)


def test_adam_inplace_refuses_aliased_buffers_before_touching_state():
    w, dw = standard_normal((5,)), standard_normal((5,), 1)
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


def test_adam_params_inplace_refuses_before_stepping_any_array():
    from entropy_ref.optim import adam_step_params, make_scratch, pack

    p = {"W": [standard_normal((3, 2)), standard_normal((2, 3), 1)], "b": [np.zeros(3), np.zeros(2)]}
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
