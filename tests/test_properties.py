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


def _normalised(W, g):
    """``W`` and ``g`` divided by their natural sizes, so the checks below neither over- nor
    underflow for extreme entries: ``max |W|`` for ``W``, and for the gradient, which is a
    difference of two terms, the per-entry size ``1/S`` of its sign term (``||g||`` can be 0)."""
    w_scale = np.abs(W).max()
    g_scale = max(np.abs(g).max(), 1.0 / np.abs(W / w_scale).sum() / w_scale)
    return W / w_scale, g / g_scale, g_scale


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
    Wn, gn, _ = _normalised(W, g)
    # eq. D13: <W, dH/dW> = 0, relative to the Cauchy-Schwarz bound ||W|| ||g|| (normalised)
    assert abs(np.vdot(Wn, gn)) <= 1e-9 * np.linalg.norm(Wn) * max(np.linalg.norm(gn), 1.0)


@given(matrices, scales)
def test_gradient_is_homogeneous_of_degree_minus_one(W, a):
    _, g = _value_and_grad(W)
    _, g_a = _value_and_grad(a * W)          # (a tiny aW can make the gradient overflow: skipped)
    # eq. D14, any a != 0; relative to the size of the gradient's terms
    _, gn, g_scale = _normalised(W, g)
    assert np.linalg.norm(g_a * a / g_scale - gn) <= 1e-9 * np.sqrt(W.size)


@given(matrices, st.integers(0, 2**32 - 1))
def test_permutation_keeps_lp_norms_but_changes_entropy(W, seed):
    # at least three distinct values among entries that are not negligible (a 1e-185 entry next
    # to a 1 leaves a single spike, whose H_C is the same wherever it sits in a 2 x 2 matrix)
    flat = W.ravel()
    values = np.where(np.abs(flat) > 1e-6 * np.abs(flat).max(), flat, 0.0) if W.any() else flat
    assume(len(np.unique(values)) >= 3)
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
