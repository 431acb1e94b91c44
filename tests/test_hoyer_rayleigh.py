"""The two halves of l_C (docs/ablation.md eq. A1-A7): loghoyer and rayleigh.

Values and hand-derived gradients against finite differences, the readable and plain-loop twins,
the identity sparsity = loghoyer + rayleigh (value and gradient), hypothesis properties (scale
invariance, Euler identity, homogeneity of the gradient), float32, and hostile inputs.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from entropy_ref import DegenerateInputError, sparsity_loss_grad
from entropy_ref.gradcheck import check_gradient, directional_check, rel_error
from entropy_ref.hoyer_rayleigh import (loghoyer, loghoyer_grad, loghoyer_grad_loop,
                                        loghoyer_grad_reference, rayleigh, rayleigh_grad,
                                        rayleigh_grad_reference)
from entropy_ref.regularizers import get
from entropy_ref.scharr import scharr_gradient_adjoint_loop, scharr_gradient_loop

GRAD_TOL = 1e-6     # analytic vs central differences, float64, relative max-norm error
TWIN_TOL = 1e-12    # two float64 implementations of the same formula
SUM_TOL = 1e-12     # sparsity vs loghoyer + rayleigh in float64 (relative to the gradient's size)
F32_TOL = 2e-6      # float32 fast path vs float64 reference, relative max-norm error (measured ~2e-7)

CASES = [  # (shape, axes)
    ((6, 7), None), ((1, 9), None), ((9,), None), ((4, 5, 6), (1, 2)), ((3, 4, 5), (0, 1, 2)),
    ((5, 4, 4), (1, 2)),
]
FAST = {"loghoyer": lambda W, axes: loghoyer_grad(W), "rayleigh": rayleigh_grad}
REF = {"loghoyer": lambda W, axes: loghoyer_grad_reference(W), "rayleigh": rayleigh_grad_reference}


def _w(shape, seed=0, dtype=np.float64):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def _rayleigh_loop(W, axes=None):
    """Plain-loop twin of rayleigh: the Scharr loops of scharr.py, then eq. A3/A4 by hand."""
    W = np.asarray(W, dtype=np.float64)
    g = scharr_gradient_loop(W, axes)
    k = len(g)
    E = Q = 0.0
    for c in g:
        for idx in np.ndindex(*c.shape):
            E += c[idx] * c[idx] / k
    for idx in np.ndindex(*W.shape):
        Q += W[idx] * W[idx]
    KtKW = scharr_gradient_adjoint_loop(g, axes)
    grad = np.zeros_like(W)
    for idx in np.ndindex(*W.shape):
        grad[idx] = -KtKW[idx] / (k * E) + W[idx] / Q
    return -0.5 * math.log(E) + 0.5 * math.log(Q), grad


@pytest.mark.parametrize("shape, axes", CASES)
@pytest.mark.parametrize("half", ["loghoyer", "rayleigh"])
@pytest.mark.parametrize("impl", [FAST, REF], ids=["fast", "reference"])
def test_gradient_matches_finite_differences(shape, axes, half, impl):
    W = _w(shape, seed=len(shape))
    f = {"loghoyer": loghoyer, "rayleigh": lambda v: rayleigh(v, axes)}[half]
    _, grad = impl[half](W, axes)
    assert check_gradient(f, grad, W) < GRAD_TOL


@pytest.mark.parametrize("shape, axes", CASES)
def test_fast_reference_and_loop_twins_agree(shape, axes):
    W = _w(shape, seed=7)
    W.flat[3] = 0.0                                   # an exact zero: sign(0) = 0 everywhere
    for half in ("loghoyer", "rayleigh"):
        v, g = FAST[half](W, axes)
        v_ref, g_ref = REF[half](W, axes)
        assert abs(v - v_ref) <= TWIN_TOL * max(1.0, abs(v_ref))
        assert rel_error(g, g_ref) < TWIN_TOL
    v_loop, g_loop = loghoyer_grad_loop(W)
    assert abs(v_loop - loghoyer(W)) <= TWIN_TOL and rel_error(g_loop, loghoyer_grad(W)[1]) < TWIN_TOL
    v_loop, g_loop = _rayleigh_loop(W, axes)
    v_ref, g_ref = rayleigh_grad_reference(W, axes)
    assert abs(v_loop - v_ref) <= TWIN_TOL and rel_error(g_loop, g_ref) < TWIN_TOL


@pytest.mark.parametrize("shape, axes", CASES + [((300, 784), None)])
def test_sparsity_equals_loghoyer_plus_rayleigh(shape, axes):
    """Eq. A1/A6 with independent implementations: the fused l_C kernel on one side, the
    reference halves (built from scharr_gradient and its adjoint, no H_C) on the other."""
    W = _w(shape, seed=11)
    l, dl = sparsity_loss_grad(W, axes)
    v1, g1 = loghoyer_grad_reference(W)
    v2, g2 = rayleigh_grad_reference(W, axes)
    assert abs(l - (v1 + v2)) <= SUM_TOL * max(1.0, abs(l))
    assert rel_error(dl, g1 + g2) < SUM_TOL * 10


def test_sparsity_equals_the_sum_of_the_regularizers_in_float32():
    """The trainer's path: float32 regularizers loghoyer + rayleigh against sparsity."""
    Ws = [_w((300, 784), 1, np.float32) * 0.05, _w((100, 300), 2, np.float32) * 0.1]
    lam = [1.0, 0.5]
    t_s, v_s, g_s = get("sparsity")(Ws, lam)
    t_h, v_h, g_h = get("loghoyer")(Ws, lam)
    t_r, v_r, g_r = get("rayleigh")(Ws, lam)
    assert abs(t_s - (t_h + t_r)) <= 1e-6 * abs(t_s)              # values: float64 sums of logs
    for a, b, c in zip(g_s, g_h, g_r):
        assert a.dtype == b.dtype == c.dtype == np.float32
        assert rel_error(a, b + c) < F32_TOL


@pytest.mark.parametrize("half", ["loghoyer", "rayleigh"])
def test_float32_fast_path_matches_float64_reference(half):
    W64 = _w((300, 784), 5) * 0.05
    W32 = W64.astype(np.float32)
    v32, g32 = FAST[half](W32, None)
    v64, g64 = REF[half](W32.astype(np.float64), None)
    assert g32.dtype == np.float32 and g32.shape == W32.shape
    assert abs(v32 - v64) <= 1e-5 * max(1.0, abs(v64))
    assert rel_error(g32, g64) < F32_TOL


def test_directional_check_on_a_layer_sized_matrix():
    W = _w((300, 784), 3)
    # entries at least 0.05 from 0, so |W| is smooth within the step (at an exact zero the central
    # difference of sum|W| is exact but log(sum|W|) picks up an error linear in the step)
    W = np.where(np.abs(W) < 0.05, np.where(W < 0, -0.05, 0.05), W)
    for half, f in (("loghoyer", loghoyer), ("rayleigh", rayleigh)):
        # eps 1e-5: f is O(5) while its directional derivative is O(1e-6), so the default step
        # is rounding-limited at about 1e-6
        assert directional_check(f, FAST[half](W, None)[1], W, rng=0, eps=1e-5) < 1e-6


def test_known_values():
    # loghoyer: 0 for a single spike, 1/2 log n for constant magnitude (its range)
    assert loghoyer(np.array([0.0, 5.0, 0.0])) == pytest.approx(0.0, abs=1e-15)
    assert loghoyer(-np.ones((3, 4))) == pytest.approx(0.5 * math.log(12), rel=1e-14)
    # rayleigh of an interior spike: E / Q = sum of G_x's squared taps = 236 / 1024
    W = np.zeros((5, 5))
    W[2, 2] = -3.0
    assert rayleigh(W) == pytest.approx(-0.5 * math.log(236 / 1024), rel=1e-13)
    # bits divide by ln 2
    V = _w((4, 5))
    assert rayleigh(V, unit="bits") == pytest.approx(rayleigh(V) / math.log(2), rel=1e-13)
    assert loghoyer(V, unit="bits") == pytest.approx(loghoyer(V) / math.log(2), rel=1e-13)


@pytest.mark.parametrize("scale", [1e-200, 1e-30, 1e30, 1e200])
def test_extreme_scales_are_rescaled_exactly(scale):
    W = _w((6, 7), 4)
    for f in (loghoyer_grad, rayleigh_grad, loghoyer_grad_reference, rayleigh_grad_reference):
        v, g = f(W)
        v_s, g_s = f(W * scale)
        assert abs(v_s - v) <= 1e-12 * max(1.0, abs(v))
        assert rel_error(g_s * scale, g) < 1e-12                 # eq. A5: grad(aW) = grad(W)/a


@pytest.mark.parametrize("scale", [2.0 ** -70, 2.0 ** -20, 2.0 ** 20, 2.0 ** 70])
def test_extreme_scales_in_float32(scale):
    """float32 squares under/overflow beyond about 2**-63 and 2**64: rescaled exactly, too."""
    W = _w((6, 7), 4, np.float32)
    Ws = (W.astype(np.float64) * scale).astype(np.float32)     # exact: a power of two
    for f in (loghoyer_grad, rayleigh_grad):
        v, g = f(W)
        v_s, g_s = f(Ws)
        assert g_s.dtype == np.float32 and np.isfinite(g_s).all()
        assert abs(v_s - v) <= 1e-5 * max(1.0, abs(v))
        assert rel_error(g_s.astype(np.float64) * scale, g) < F32_TOL


def test_hostile_inputs_raise_one_clear_error():
    for f in (loghoyer, loghoyer_grad, loghoyer_grad_reference, loghoyer_grad_loop):
        with pytest.raises(DegenerateInputError, match="loghoyer: W is all zeros"):
            f(np.zeros((3, 3)))
    for f in (rayleigh, rayleigh_grad, rayleigh_grad_reference):
        with pytest.raises(DegenerateInputError, match="all zeros"):
            f(np.zeros((3, 3)))
        with pytest.raises(DegenerateInputError, match="zero gradient energy"):
            f(np.array([[1.0, 0.0, 1.0]]))                     # both Scharr components vanish
        with pytest.raises(ValueError, match="choose the axes"):
            f(np.ones((2, 3, 4)))
    for f in (loghoyer, rayleigh):
        with pytest.raises(ValueError, match="non-finite"):
            f(np.array([[1.0, np.nan], [0.0, 1.0]]))
        with pytest.raises(TypeError, match="real"):
            f(np.ones((2, 2), dtype=complex))
        with pytest.raises(ValueError, match="empty"):
            f(np.zeros((0, 3)))
    with pytest.raises(ValueError, match="out must have shape"):
        loghoyer_grad(np.ones((2, 2)), out=np.empty((2, 2), np.float32))
    with pytest.raises(ValueError, match="out must have shape"):
        rayleigh_grad(np.ones((2, 2)), out=np.empty((3, 2)))
    for f in (loghoyer_grad, rayleigh_grad):
        W = _w((4, 5))
        with pytest.raises(ValueError, match="out shares memory with W"):
            f(W, out=W)


def test_out_buffer_is_used():
    W = _w((5, 6), 9, np.float32)
    for f in (loghoyer_grad, rayleigh_grad):
        buf = np.full_like(W, np.nan)
        v, g = f(W, out=buf)
        assert g is buf and rel_error(g, f(W)[1]) == 0.0


# ---- hypothesis properties ------------------------------------------------------------------

shapes = st.tuples(st.integers(2, 10), st.integers(2, 10))
entries = st.floats(-10, 10, allow_nan=False, allow_infinity=False, allow_subnormal=False)
matrices = shapes.flatmap(lambda s: arrays(np.float64, s, elements=entries))
scales = st.one_of(st.floats(1e-3, 1e3), st.floats(-1e3, -1e-3))
halves = st.sampled_from(["loghoyer", "rayleigh"])


def _vg(half, W):
    try:
        v, g = FAST[half](W, None)
    except DegenerateInputError:
        assume(False)
    # skip matrices with a vanishing but nonzero energy or norm: there 1/E is ill-conditioned
    assume(np.abs(W).max() > 1e-6)
    return v, g


@given(halves, matrices, scales)
def test_scale_invariance(half, W, a):
    v, _ = _vg(half, W)
    assert abs(FAST[half](a * W, None)[0] - v) <= 1e-10 * max(1.0, abs(v))


@given(halves, matrices)
def test_euler_identity(half, W):
    """<W, grad> = 0 (eq. A5): both halves are homogeneous of degree 0."""
    _, g = _vg(half, W)
    w = W / np.abs(W).max()
    gn = g * np.abs(W).max()                         # grad(W / m) = m grad(W)
    scale = np.linalg.norm(w) * max(np.linalg.norm(gn), 1.0 / np.abs(w).sum())
    assert abs(np.vdot(w, gn)) <= 1e-9 * scale


@given(halves, matrices, scales)
def test_gradient_is_homogeneous_of_degree_minus_one(half, W, a):
    _, g = _vg(half, W)
    _, g_a = FAST[half](a * W, None)
    # eq. A5; relative to the size 1/S of the gradient's terms (the gradient itself can be 0)
    size = max(np.abs(g).max(), 1.0 / np.abs(W).sum())
    assert np.abs(a * g_a - g).max() <= 1e-9 * size


@given(matrices)
def test_sum_identity_holds_for_arbitrary_matrices(W):
    try:
        l, dl = sparsity_loss_grad(W)
    except DegenerateInputError:
        assume(False)
    assume(np.abs(W).max() > 1e-6)
    v1, g1 = loghoyer_grad_reference(W)
    v2, g2 = rayleigh_grad_reference(W)
    assert abs(l - (v1 + v2)) <= 1e-10 * max(1.0, abs(l))
    # the gradient is a difference of terms of size ~1/S: compare relative to that size
    size = max(np.abs(dl).max(), 1.0 / np.abs(W).sum())
    assert np.abs(dl - (g1 + g2)).max() <= 1e-9 * size
