"""H_C and l_C: values, hand-derived gradient vs finite differences, fast vs reference, bad input."""

import math

import numpy as np
import pytest

from entropy_ref import (
    DegenerateInputError,
    configuration_entropy,
    configuration_entropy_grad,
    configuration_entropy_grad_reference,
    penalty_sum,
    scharr_gradient,
    sparsity_loss,
    sparsity_loss_grad,
)
from entropy_ref.gradcheck import check_gradient, directional_check, rel_error
from helpers import figure1_matrices

RNG = np.random.default_rng(7)
TOL_FD = 1e-6        # central differences vs analytic gradient, relative
TOL_SAME = 1e-12     # fused fast path vs readable reference, float64, relative


def _fd_point(shape):
    # entries bounded away from 0 so that |W| is differentiable within the FD step
    W = RNG.standard_normal(shape)
    return np.where(np.abs(W) < 0.05, 0.05 * np.sign(W) + 0.05, W)


@pytest.mark.parametrize("shape,axes", [((2, 2), None), ((3, 5), None), ((17, 31), None),
                                        ((4, 5, 6), (0, 2)), ((9,), None), ((3, 4, 5), (0, 1, 2))])
def test_gradient_matches_finite_differences(shape, axes):
    W = _fd_point(shape)
    H, grad = configuration_entropy_grad(W, axes)
    err = check_gradient(lambda w: configuration_entropy(w, axes), grad, W, eps=1e-6)
    assert err <= TOL_FD
    assert H == pytest.approx(configuration_entropy(W, axes), rel=1e-14)


def test_directional_check_on_lenet_first_layer_shape():
    W = _fd_point((300, 784))
    _, grad = configuration_entropy_grad(W)
    assert directional_check(configuration_entropy, grad, W, n_directions=4, rng=1) <= TOL_FD


@pytest.mark.parametrize("shape,axes", [((1, 5), None), ((8, 9), None), ((64, 33), None), ((2, 8), None),
                                        ((3, 8), None), ((8, 2), None), ((3, 2), None), ((2, 2), None),
                                        ((5, 6, 7), (2, 0)), ((3, 3, 5, 5), (2, 3)), ((13,), None),
                                        ((4, 1, 6), (0, 1, 2)), ((5, 2, 3), (1,)), ((3, 4, 5), (0, 1, 2))])
def test_fast_path_equals_reference(shape, axes):
    W = RNG.standard_normal(shape)
    H, g = configuration_entropy_grad(W, axes)
    H_ref, g_ref = configuration_entropy_grad_reference(W, axes)
    assert abs(H - H_ref) <= TOL_SAME * max(1.0, abs(H_ref))
    assert rel_error(g, g_ref) <= TOL_SAME


def test_value_matches_equation_3_written_out():
    W = RNG.standard_normal((6, 7))
    g_x, g_y = scharr_gradient(W)
    eq3 = 0.5 * math.log(0.5 * np.sum(g_x * g_x + g_y * g_y)) - math.log(np.sum(np.abs(W)))
    assert configuration_entropy(W) == pytest.approx(eq3, rel=1e-14)
    # the value-only path and the fused path add in different orders: equal to a few ulp, not bits
    assert sparsity_loss(W) == pytest.approx(-configuration_entropy(W), rel=1e-14)


def test_bits_are_nats_over_ln2():
    W = RNG.standard_normal((5, 8))
    H_nats, g_nats = configuration_entropy_grad(W)
    H_bits, g_bits = configuration_entropy_grad(W, unit="bits")
    assert H_bits == pytest.approx(H_nats / math.log(2), rel=1e-14)
    assert rel_error(g_bits, g_nats / math.log(2)) <= 1e-14
    with pytest.raises(ValueError, match="unit"):
        configuration_entropy(W, unit="hartleys")


def test_sparsity_loss_is_negated_entropy():
    W = RNG.standard_normal((4, 9))
    H, g = configuration_entropy_grad(W)
    l_val, dl = sparsity_loss_grad(W)
    # l_C is computed as -H_C on the same fused path; tolerance 1e-15 relative (one ulp)
    assert l_val == pytest.approx(-H, rel=1e-15)
    np.testing.assert_allclose(dl, -g, rtol=1e-15, atol=0)


def test_sign_at_exact_zero_is_zero_subgradient():
    W = np.array([[0.0, 1.0, 2.0], [3.0, 0.0, -1.0], [2.0, 1.0, 0.5]])
    _, g = configuration_entropy_grad(W)
    _, g_ref = configuration_entropy_grad_reference(W)
    # at a zero entry only the smooth (energy) part remains: sign(0) = 0
    H_part = configuration_entropy_grad_reference(W)[1] + np.sign(W) / np.abs(W).sum()
    assert g[0, 0] == pytest.approx(H_part[0, 0], rel=1e-12)
    assert rel_error(g, g_ref) <= TOL_SAME


def test_figure1_pair_same_lp_norms_lower_entropy_when_confined():
    W_D, W_S = figure1_matrices()            # paper: 256 x 256, 1024 ones, centre 64 x 64
    assert W_D.shape == W_S.shape == (256, 256)
    assert np.count_nonzero(W_S[96:160, 96:160]) == 1024
    for p in (0, 1, 2, 3, np.inf):
        assert np.linalg.norm(W_D.ravel(), p) == np.linalg.norm(W_S.ravel(), p)
    assert configuration_entropy(W_S) < configuration_entropy(W_D)


def test_float32_stays_float32_and_is_close():
    W = RNG.standard_normal((30, 40))
    H64, g64 = configuration_entropy_grad(W)
    H32, g32 = configuration_entropy_grad(W.astype(np.float32))
    assert g32.dtype == np.float32
    assert abs(H32 - H64) <= 1e-5 * max(1.0, abs(H64))    # float32 rounding, relative
    assert rel_error(g32, g64) <= 1e-5


@pytest.mark.parametrize("W", [np.arange(12).reshape(3, 4), np.arange(12).reshape(3, 4) % 2 == 0])
def test_int_and_bool_promote_to_float64(W):
    H, g = configuration_entropy_grad(W)
    assert g.dtype == np.float64
    assert H == pytest.approx(configuration_entropy(W.astype(np.float64)), rel=1e-14)


def test_out_buffer_is_used():
    W = RNG.standard_normal((5, 6))
    out = np.empty_like(W)
    _, g = configuration_entropy_grad(W, out=out)
    assert g is out
    with pytest.raises(ValueError, match="out must have"):
        configuration_entropy_grad(W, out=np.empty((6, 5)))


@pytest.mark.parametrize("bad,exc,match", [
    (np.array([[1.0, np.nan], [2.0, 3.0]]), ValueError, r"1 non-finite entries .* index \(0, 1\)"),
    (np.array([[1.0, np.inf], [-np.inf, 3.0]]), ValueError, "2 non-finite"),
    (np.zeros((3, 4)), DegenerateInputError, "all zeros"),
    (np.array([[1.0, 0.0, 1.0]]), DegenerateInputError, "zero gradient energy"),
    (np.array([[5.0]]), DegenerateInputError, "zero gradient energy"),
    (np.zeros((0, 3)), ValueError, "empty"),
    (np.array(1.0), ValueError, "0-d"),
    (np.ones((2, 2), dtype=complex), TypeError, "complex"),
    (np.array([["a", "b"]]), TypeError, "numeric"),
])
def test_bad_input_raises_clear_errors(bad, exc, match):
    with pytest.raises(exc, match=match):
        configuration_entropy(bad)
    with pytest.raises(exc, match=match):
        configuration_entropy_grad(bad)


def test_one_by_n_matrix_has_only_the_x_component():
    W = np.array([[1.0, 2.0, 4.0, 8.0]])
    g_x, g_y = scharr_gradient(W)
    assert np.array_equal(g_y, np.zeros_like(W)) and np.any(g_x != 0)
    assert np.isfinite(configuration_entropy(W))


def test_penalty_sum_weights_and_gradients():
    Ws = [RNG.standard_normal((6, 8)), RNG.standard_normal((3, 6)).astype(np.float32)]
    r = penalty_sum(Ws, lam=[0.5, 2.0], kind="sparsity_loss")
    assert r.values[0] == pytest.approx(sparsity_loss(Ws[0]), rel=1e-14)
    assert r.values[1] == pytest.approx(sparsity_loss(Ws[1]), rel=1e-6)   # float32 rounding
    assert r.total == pytest.approx(0.5 * r.values[0] + 2.0 * r.values[1], rel=1e-15)
    assert rel_error(r.grads[0], 0.5 * sparsity_loss_grad(Ws[0])[1]) <= 1e-15
    assert r.grads[1].dtype == np.float32
    r2 = penalty_sum(Ws, lam=1.0, kind="configuration_entropy")
    assert r2.total == pytest.approx(sum(configuration_entropy(W) for W in Ws), rel=1e-6)  # float32
    with pytest.raises(ValueError, match="kind"):
        penalty_sum(Ws, kind="entropy")
    with pytest.raises(ValueError, match=">= 0"):
        penalty_sum(Ws, lam=-1.0)
    with pytest.raises(ValueError, match="2 weight matrices"):
        penalty_sum(Ws, lam=[1.0, 1.0, 1.0])


# (dtype, exponent e of the scale 2**e, whether the squares leave the range so that the exact
# rescale must run): float64 squares of ~2**e overflow past e ~ 512 and fall below
# tiny/eps = 2**-970 before e ~ -485; float32 past e ~ 64 and below 2**-103 (e ~ -52)
EXTREME_SCALES = ([(np.float64, e, False) for e in (-300, -40, 40, 160, 300)]
                  + [(np.float64, e, True) for e in (-1000, -560, 530, 600, 1021)]
                  + [(np.float32, e, False) for e in (-40, 40)]
                  + [(np.float32, e, True) for e in (-100, -70, 70, 100, 125)])


@pytest.mark.parametrize("dtype,scale_exp,rescales", EXTREME_SCALES)
def test_extreme_scales_are_rescaled_exactly(monkeypatch, dtype, scale_exp, rescales):
    """Entries whose squares under- or overflow: H_C is recomputed on an exactly (power-of-two)
    rescaled copy, so value and gradient follow eq. D6/D14 instead of raising or returning NaN.
    A spy on the rescale proves the path is taken exactly where the squares leave the range."""
    import warnings

    from entropy_ref import scaling

    calls = []
    real = scaling.scale_exponent
    monkeypatch.setattr(scaling, "scale_exponent", lambda W: calls.append(1) or real(W))
    W = RNG.standard_normal((6, 7)).astype(dtype)
    H, g = configuration_entropy_grad(W)
    W_big = np.ldexp(W, scale_exp)
    assert np.isfinite(W_big).all()
    with warnings.catch_warnings():
        warnings.simplefilter("error")       # no RuntimeWarning may escape
        H_big, g_big = configuration_entropy_grad(W_big)
        assert bool(calls) == rescales
        assert H_big == pytest.approx(H, abs=1e-12 if dtype == np.float64 else 1e-5)
        g_back = np.ldexp(g_big.astype(np.float64), scale_exp)
        assert rel_error(g_back, g) <= (1e-12 if dtype == np.float64 else 1e-5)
        calls.clear()
        assert configuration_entropy(W_big) == pytest.approx(H, abs=1e-5)
        H_ref, g_ref = configuration_entropy_grad_reference(W_big)
        assert H_ref == pytest.approx(H, abs=1e-5)
        assert bool(calls) == rescales
