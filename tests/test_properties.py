"""Hypothesis properties of H_C (docs/derivation.md eq. D6, D13, D14) and L_p blindness."""

import numpy as np
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from entropy_ref import DegenerateInputError, configuration_entropy, configuration_entropy_grad

shapes = st.tuples(st.integers(2, 12), st.integers(2, 12))
entries = st.floats(-10, 10, allow_nan=False, allow_infinity=False, allow_subnormal=False)
matrices = shapes.flatmap(lambda s: arrays(np.float64, s, elements=entries))
scales = st.one_of(st.floats(1e-3, 1e3), st.floats(-1e3, -1e-3))


def _grad_scale(W, g):
    """Size of the gradient's terms: dH/dW is a difference of two terms, the smaller of norm
    ||sign(W)|| / S, so cancellation is measured against that, not against ||g|| (which can be 0)."""
    return max(np.linalg.norm(g), np.linalg.norm(np.sign(W)) / np.abs(W).sum())


def _value_and_grad(W):
    try:
        return configuration_entropy_grad(W)
    except DegenerateInputError:
        assume(False)


@given(matrices, scales)
def test_scale_invariance(W, a):
    H, _ = _value_and_grad(W)
    # |H| is O(10) at most here; rescaling changes only rounding
    assert abs(configuration_entropy(a * W) - H) <= 1e-10 * max(1.0, abs(H))


@given(matrices)
def test_euler_identity_gradient_orthogonal_to_W(W):
    _, g = _value_and_grad(W)
    # eq. D13: <W, dH/dW> = 0, relative to the Cauchy-Schwarz bound ||W|| ||g||
    assert abs(np.vdot(W, g)) <= 1e-9 * np.linalg.norm(W) * _grad_scale(W, g)


@given(matrices, scales)
def test_gradient_is_homogeneous_of_degree_minus_one(W, a):
    _, g = _value_and_grad(W)
    _, g_a = configuration_entropy_grad(a * W)
    # eq. D14, any a != 0; relative to the size of the gradient's terms at aW
    assert np.linalg.norm(g_a - g / a) <= 1e-9 * _grad_scale(W, g) / abs(a)


@given(matrices, st.integers(0, 2**32 - 1))
def test_permutation_keeps_lp_norms_but_changes_entropy(W, seed):
    assume(len(np.unique(W)) >= 3)
    H, _ = _value_and_grad(W)
    rng = np.random.default_rng(seed)
    changed = False
    for _ in range(8):
        P = rng.permutation(W.ravel()).reshape(W.shape)
        for p in (0.5, 1, 2, 3, np.inf):
            a = np.linalg.norm(W.ravel(), p) if p >= 1 else np.sum(np.abs(W) ** p) ** (1 / p)
            b = np.linalg.norm(P.ravel(), p) if p >= 1 else np.sum(np.abs(P) ** p) ** (1 / p)
            assert abs(a - b) <= 1e-12 * max(a, 1.0)   # same multiset of entries
        assert np.count_nonzero(P) == np.count_nonzero(W)
        try:
            changed |= abs(configuration_entropy(P) - H) > 1e-9
        except DegenerateInputError:
            changed = True
    assert changed
