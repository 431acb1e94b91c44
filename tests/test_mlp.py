"""LeNet300 MLP: PyTorch-style init, forward against a hand composition, gradients, workspaces."""

from __future__ import annotations

import numpy as np
import pytest

from entropy_ref.gradcheck import check_gradient
from entropy_ref.mlp import (LENET300_SIZES, accuracy, backward, check_params, forward, init_mlp,
                             layer_sizes, loss_and_grads, make_workspace, n_weights, predict)
from helpers import standard_normal

GRAD_TOL = 1e-7     # analytic vs central differences, float64, relative max-norm error
SIZES = (7, 6, 5, 4)


def _flat_fn(params, X, y, key, l):
    """CE as a function of one parameter array (others fixed)."""
    def f(v):
        p = {"W": list(params["W"]), "b": list(params["b"])}
        p[key][l] = v
        return loss_and_grads(p, X, y)[0]
    return f


def test_init_shapes_dtype_and_torch_bounds():
    p = init_mlp()
    assert layer_sizes(p) == LENET300_SIZES == (784, 300, 100, 10)
    assert p["W"][0].shape == (300, 784)            # the paper's Figure 2 orientation
    assert [b.shape for b in p["b"]] == [(300,), (100,), (10,)]
    assert n_weights(p) == 784 * 300 + 300 * 100 + 100 * 10
    for W, b in zip(p["W"], p["b"]):
        assert W.dtype == np.float32 and b.dtype == np.float32
        bound = 1.0 / np.sqrt(W.shape[1])          # kaiming_uniform(a=sqrt(5)) == 1/sqrt(fan_in)
        assert np.abs(W).max() <= bound and np.abs(b).max() <= bound
    # U(-B, B): with 235,200 draws the extremes come within 0.1 % of B and the std is B/sqrt(3)
    W0, B = p["W"][0].astype(np.float64), 1 / np.sqrt(784)
    assert np.abs(W0).max() > 0.999 * B
    assert W0.std() == pytest.approx(B / np.sqrt(3), rel=0.01)


def test_init_is_seeded_and_dtype_independent_up_to_rounding():
    a, b, c = init_mlp(seed_or_rng=3), init_mlp(seed_or_rng=3), init_mlp(seed_or_rng=4)
    assert all(np.array_equal(x, y) for x, y in zip(a["W"] + a["b"], b["W"] + b["b"]))
    assert not np.array_equal(a["W"][0], c["W"][0])
    d = init_mlp(seed_or_rng=np.random.default_rng(3), dtype=np.float64)
    for x, y in zip(a["W"] + a["b"], d["W"] + d["b"]):
        np.testing.assert_allclose(x, y, rtol=2 ** -23, atol=0)   # float32 rounding of one draw


def test_init_rejects_bad_sizes():
    with pytest.raises(ValueError, match="sizes"):
        init_mlp((784,))
    with pytest.raises(ValueError, match="sizes"):
        init_mlp((784, 0, 10))


def test_forward_matches_hand_composition():
    rng = np.random.default_rng(0)
    p = init_mlp(SIZES, rng, np.float64)
    X = rng.standard_normal((9, SIZES[0]))
    W, b = p["W"], p["b"]
    relu = lambda v: np.maximum(v, 0)            # noqa: E731
    want = relu(relu(X @ W[0].T + b[0]) @ W[1].T + b[1]) @ W[2].T + b[2]
    logits, cache = forward(p, X)
    np.testing.assert_allclose(logits, want, rtol=1e-13, atol=1e-13)
    assert len(cache) == 3


@pytest.mark.parametrize("key", ["W", "b"])
@pytest.mark.parametrize("l", [0, 1, 2])
def test_loss_gradient_finite_differences(key, l):
    rng = np.random.default_rng(10 + l)
    p = init_mlp(SIZES, rng, np.float64)
    X, y = rng.standard_normal((8, SIZES[0])), rng.integers(0, SIZES[-1], 8)
    ce, grads = loss_and_grads(p, X, y)
    assert ce == pytest.approx(_flat_fn(p, X, y, key, l)(p[key][l]), rel=1e-15)
    assert check_gradient(_flat_fn(p, X, y, key, l), grads[key][l], p[key][l]) < GRAD_TOL


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_workspace_path_is_bit_identical(dtype):
    rng = np.random.default_rng(5)
    p = init_mlp(SIZES, rng, dtype)
    X, y = rng.standard_normal((6, SIZES[0])).astype(dtype), rng.integers(0, 4, 6)
    ce, g = loss_and_grads(p, X, y)
    ws = make_workspace(p, 6)
    for _ in range(2):                            # reusing the buffers changes nothing
        ce2, g2 = loss_and_grads(p, X, y, ws)
        assert ce2 == ce
        for a, b in zip(g["W"] + g["b"], g2["W"] + g2["b"]):
            assert b.dtype == dtype and np.array_equal(a, b)
    assert g2["W"][0] is ws["grads"]["W"][0]
    ce3, _ = loss_and_grads(p, X[:4], y[:4], ws)   # other batch size: falls back to allocating
    assert ce3 == loss_and_grads(p, X[:4], y[:4])[0]


def test_backward_leaves_the_callers_dlogits_alone():
    rng = np.random.default_rng(2)
    p = init_mlp(SIZES, rng, np.float64)
    logits, cache = forward(p, rng.standard_normal((3, SIZES[0])))
    d = rng.standard_normal(logits.shape)
    d_copy = d.copy()
    backward(d, cache)
    assert np.array_equal(d, d_copy)


def test_predict_and_accuracy_on_a_hand_built_network():
    p = {"W": [np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]])], "b": [np.zeros(3)]}
    X = np.array([[2.0, 1.0], [0.0, 3.0], [-1.0, -1.0], [5.0, 0.0]])
    assert predict(p, X).tolist() == [0, 1, 2, 0]
    assert predict(p, X, batch_size=3).tolist() == [0, 1, 2, 0]   # batching changes nothing
    assert accuracy(p, X, np.array([0, 1, 1, 0])) == 0.75
    with pytest.raises(ValueError, match="one label per row"):
        accuracy(p, X, np.array([0, 1]))


def test_check_params_names_the_problem():
    good = init_mlp((4, 3, 2))
    check_params(good)
    bad = {"W": [good["W"][0], np.zeros((2, 5))], "b": good["b"]}
    with pytest.raises(ValueError, match=r"W\[1\] has fan_in 5 but W\[0\] has fan_out 3"):
        check_params(bad)
    with pytest.raises(ValueError, match="exactly the keys"):
        check_params({"W": good["W"]})
    with pytest.raises(ValueError, match=r"X must have shape \(N, 4\)"):
        forward(good, np.zeros((2, 5)))


def test_mlp_workspace_batch_size_and_aliased_gradient_buffers():
    from entropy_ref.mlp import init_mlp, loss_and_grads, make_workspace

    p = init_mlp((4, 3, 2), dtype=np.float64)
    for bad in (0, -3, 2.5, True):
        with pytest.raises(ValueError, match="batch_size must be an integer >= 1"):
            make_workspace(p, bad)
    X, y = standard_normal((5, 4)), np.array([0, 1, 0, 1, 1])
    ws = make_workspace(p, 5, grads=p)          # careless: gradients written over the weights
    keep = [W.copy() for W in p["W"]]
    with pytest.raises(ValueError, match=r"out\[1\] \(dW\) shares memory with W"):
        loss_and_grads(p, X, y, ws)
    assert all(np.array_equal(W, k) for W, k in zip(p["W"], keep))


def test_init_mlp_refuses_integer_dtypes_and_nested_sizes():
    with pytest.raises(ValueError, match="dtype must be a float type"):
        init_mlp((3, 2), dtype=np.int32)                # integer weights would all be zero
    with pytest.raises(TypeError, match="sizes must be a sequence of ints"):
        init_mlp(((3,), 2))
