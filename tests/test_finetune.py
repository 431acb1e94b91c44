"""Prune-then-fine-tune (entropy_ref.prune.finetune): masked weights stay exactly zero, the fast
path equals its plain twin, the survivors and biases learn, and bad input is refused."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, strategies as st

from entropy_ref import prune
from entropy_ref.mlp import init_mlp, loss_and_grads
from entropy_ref.optim import AdamHP, adam_init
from entropy_ref.prune.finetune import finetune, finetune_reference, keep_masks
from entropy_ref.regularizers import get as get_regularizer
from entropy_ref.train.step import pack_state, run_epoch


def _problem(seed=0, n=60, sizes=(6, 5, 3), dtype=np.float64):
    rng = np.random.default_rng(seed)
    params = init_mlp(sizes, rng, dtype)
    X = rng.random((n, sizes[0])).astype(dtype)
    y = rng.integers(0, sizes[-1], n)
    return params, X, y


def _masks(params, X, y, j, step=10.0):
    plan = prune.make_plan(params, prune.sensitivity(params, X, y), step)
    return plan, keep_masks(params, plan, j)


@pytest.mark.parametrize("eps", [1e-8, 1e-30])
def test_pruned_weights_stay_exactly_zero(eps):
    params, X, y = _problem()
    _, masks = _masks(params, X, y, 7)                                   # 70% removed
    out, _ = finetune(params, masks, X, y, epochs=3, lr=1e-2, batch_size=7,
                      hp=AdamHP(lr=1e-2, eps=eps))
    for W, W0, m in zip(out["W"], params["W"], masks):
        assert np.all(W[~m] == 0)                  # exact zeros (not a tolerance question)
        assert np.all(np.isfinite(W))
        assert np.any(W[m] != W0[m])               # the survivors moved
    assert any(np.any(b != b0) for b, b0 in zip(out["b"], params["b"]))   # biases train too


def test_keep_masks_match_the_plan():
    params, X, y = _problem(1)
    plan, masks = _masks(params, X, y, 4)
    assert sum(int((~m).sum()) for m in masks) == int(plan.n_pruned[4])
    ref = prune.masked_params(params, plan, 4)
    for m, W in zip(masks, ref["W"]):
        assert np.all(W[~m] == 0)


@given(seed=st.integers(0, 50), j=st.integers(0, 10), batch=st.integers(1, 25))
def test_fast_path_equals_its_plain_twin(seed, j, batch):
    params, X, y = _problem(seed, n=30)
    _, masks = _masks(params, X, y, j)
    fast, ce_fast = finetune(params, masks, X, y, epochs=2, lr=3e-3, batch_size=batch, seed=seed)
    ref, ce_ref = finetune_reference(params, masks, X, y, epochs=2, lr=3e-3, batch_size=batch,
                                     seed=seed)
    for key in ("W", "b"):
        for a, b in zip(fast[key], ref[key]):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)   # float64 rounding only
    np.testing.assert_allclose(ce_fast, ce_ref, rtol=1e-10)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_nothing_pruned_is_plain_cross_entropy_training(dtype):
    """With every weight kept, fine-tuning is the trainer's epoch without a penalty, bit for bit."""
    params, X, y = _problem(6, n=45, dtype=dtype)
    masks = [np.ones(W.shape, bool) for W in params["W"]]
    out, history = finetune(params, masks, X, y, epochs=3, lr=3e-3, batch_size=8, seed=6)
    state = pack_state(params, adam_init(params), 8)
    rng = np.random.default_rng(6)
    plain = [run_epoch(state, X, y, rng, get_regularizer("none"), [0.0, 0.0], AdamHP(lr=3e-3))[0]
             / len(X) for _ in range(3)]
    assert history == plain                        # same operations in the same order: exact
    for key in ("W", "b"):
        for a, b in zip(out[key], state.params[key]):
            assert a.dtype == dtype and np.array_equal(a, b)


def test_fine_tuning_recovers_the_loss_of_a_pruned_network():
    params, X, y = _problem(3, n=200)
    plan, masks = _masks(params, X, y, 8)
    pruned = prune.masked_params(params, plan, 8)
    before, _ = loss_and_grads(pruned, X, y)
    out, history = finetune(params, masks, X, y, epochs=20, lr=1e-2, batch_size=20)
    after, _ = loss_and_grads(out, X, y)
    assert after < before                          # strictly better on its training data
    assert len(history) == 20


def test_zero_epochs_returns_the_pruned_network_and_input_is_untouched():
    params, X, y = _problem(4)
    copy = {k: [a.copy() for a in v] for k, v in params.items()}
    plan, masks = _masks(params, X, y, 5)
    out, history = finetune(params, masks, X, y, epochs=0)
    assert history == []
    for a, b in zip(out["W"], prune.masked_params(params, plan, 5)["W"]):
        assert np.array_equal(a, b)
    for key in ("W", "b"):
        for a, b in zip(params[key], copy[key]):
            assert np.array_equal(a, b)


def test_float32_training_keeps_float32():
    params, X, y = _problem(5, dtype=np.float32)
    _, masks = _masks(params, X.astype(np.float64), y, 5)
    out, _ = finetune(params, masks, X, y, epochs=1)
    assert all(W.dtype == np.float32 for W in out["W"])


@pytest.mark.parametrize("change, message", [
    (lambda p, m, X, y: (p, m[:1], X, y, {}), "one keep-mask per weight matrix"),
    (lambda p, m, X, y: (p, [a.astype(float) for a in m], X, y, {}), "boolean"),
    (lambda p, m, X, y: (p, m, X[:, :3], y, {}), "need X of shape"),
    (lambda p, m, X, y: (p, m, X, y[:-1], {}), "need X of shape"),
    (lambda p, m, X, y: (p, m, np.where(X > 0.5, np.nan, X), y, {}), "NaN or infinite"),
    (lambda p, m, X, y: (p, m, X, y, {"epochs": -1}), "epochs must be"),
    (lambda p, m, X, y: (p, m, X, y, {"batch_size": 0}), "batch_size must be"),
    (lambda p, m, X, y: (p, m, X, y, {"lr": float("nan")}), "lr must be"),
    (lambda p, m, X, y: (p, m, X, y, {"hp": AdamHP(eps=0.0)}), "eps must be > 0"),
])
def test_bad_input_is_refused_with_a_message(change, message):
    params, X, y = _problem()
    _, masks = _masks(params, X, y, 5)
    p, m, X2, y2, kw = change(params, masks, X, y)
    for fn in (finetune, finetune_reference):
        with pytest.raises(ValueError, match=message):
            fn(p, m, X2, y2, **kw)
