"""Values near the ends of the float range: the right answer with no escaping RuntimeWarning (the
exact power-of-two rescale of ``entropy_ref.scaling`` really runs where it must), or a one-line
error when the answer is not representable (docs/robustness.md, 'Library functions')."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from entropy_ref import (configuration_entropy, configuration_entropy_grad,
                         configuration_entropy_grad_reference, penalty_sum, sparsity_loss_grad)
from entropy_ref import regularizers
from entropy_ref.scharr import (scharr_gradient, scharr_gradient_adjoint,
                                scharr_gradient_adjoint_loop)
from helpers import standard_normal


def _extremes():
    """(dtype, target max |W|): tiny, huge, and next to the largest finite number."""
    f64 = np.finfo(np.float64).max
    f32 = float(np.finfo(np.float32).max)
    return ([(np.float64, s) for s in (1e-300, 1e-170, 1e160, 1e307, f64 / 2, f64)]
            + [(np.float32, s) for s in (1e-30, 1e25, 4e37, f32 / 2, f32)])


@pytest.mark.parametrize("dtype,top", _extremes())
def test_no_warning_escapes_near_the_float_range_limits(dtype, top):
    W0 = standard_normal((6, 7), 3)
    W = (W0 / np.abs(W0).max() * top).astype(dtype)
    assert np.isfinite(W).all() and float(np.abs(W).max()) == pytest.approx(top, rel=1e-6)
    H = configuration_entropy(W0)
    tol = 1e-12 if dtype == np.float64 else 1e-5
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert configuration_entropy(W) == pytest.approx(H, abs=tol)
        assert configuration_entropy_grad(W)[0] == pytest.approx(H, abs=tol)
        assert configuration_entropy_grad_reference(W)[0] == pytest.approx(H, abs=1e-5)
        assert sparsity_loss_grad(W)[0] == pytest.approx(-H, abs=tol)
        assert penalty_sum([W, W], lam=[1.0, 0.5]).total == pytest.approx(-1.5 * H, abs=2 * tol)
        scharr_gradient(W)
        for name in ("none", "sparsity", "entropy", "hoyer"):
            total, _, grads = regularizers.get(name)([W], lam=0.5)
            assert np.isfinite(total) and np.isfinite(grads[0]).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_results_that_do_not_fit_the_dtype_raise_clear_errors(dtype):
    top = float(np.finfo(dtype).max)
    W = np.full((3, 4), top / 2, dtype=dtype)
    W[0, 0] = -top / 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        if dtype == np.float64:
            with pytest.raises(ValueError, match=r"l1: sum \|W\| overflows float64"):
                regularizers.get("l1")([W])
        else:                                # summed in float64: 6 * float32 max fits
            assert regularizers.get("l1")([W])[0] == pytest.approx(6 * top, rel=1e-6)
        # G_x^T c_x + G_y^T c_y: each term fits, the sum reaches 2 * 0.9 * max at some entries
        s = np.array([1, 1, -1, -1, 1, 1, -1, -1], dtype=dtype)
        c_x = np.tile(s, (8, 1)) * dtype(0.9 * top)
        for adjoint in (scharr_gradient_adjoint, scharr_gradient_adjoint_loop):
            with pytest.raises(ValueError, match=f"the result overflows {np.dtype(dtype)}"):
                adjoint([c_x, c_x.T.copy()])
        for lam in (top, 1e300)[:2 if dtype == np.float32 else 1]:   # |grad| ~ 1e2 here
            with pytest.raises(ValueError, match="lam = .* overflows"):
                penalty_sum([(standard_normal() * 1e-3).astype(dtype)], lam=lam)
        if dtype == np.float32:              # sign(W) times a lam beyond float32's range
            with pytest.raises(ValueError, match="l1: lam = 1e[+]300 .* overflows float32"):
                regularizers.get("l1")([W], lam=1e300)


def _spy_rescale(monkeypatch):
    from entropy_ref import scaling

    calls = []
    real = scaling.scale_exponent

    def spy(W):
        calls.append(W.shape)
        return real(W)
    monkeypatch.setattr(scaling, "scale_exponent", spy)
    return calls


@pytest.mark.parametrize("scale", [1e-170, 1e160, 1e307])
@pytest.mark.parametrize("fn", [configuration_entropy, configuration_entropy_grad,
                                configuration_entropy_grad_reference])
def test_float64_extremes_really_take_the_rescaled_path(monkeypatch, fn, scale):
    calls = _spy_rescale(monkeypatch)
    W0 = standard_normal((6, 7), 4)
    W = W0 / np.abs(W0).max() * scale
    r = fn(W)
    H = r[0] if isinstance(r, tuple) else r
    assert calls, "the exact power-of-two rescale was not used"
    assert H == pytest.approx(configuration_entropy(W0), abs=1e-12)
