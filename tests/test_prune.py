"""Sensitivity pruning: sensitivities, the plan, the fast curve against the naive reference, and
the ``prune-curve`` command.

Equality of curves is exact (``np.array_equal`` on integer counts): the fast path is certified to
reproduce the naive float64 predictions bit for bit, not approximately.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from entropy_ref import prune
from entropy_ref.cli import main
from entropy_ref.gradcheck import numerical_gradient
from entropy_ref.mlp import accuracy, init_mlp, loss_and_grads
from entropy_ref.train import TrainConfig, train


def _data(n, n_in, n_classes, seed):
    rng = np.random.default_rng(seed)
    X = rng.random((n, n_in)) * (rng.random((n, n_in)) < 0.4)   # sparse, non-negative "pixels"
    X[:, 0] = 0.0                                                # a column never lit, like MNIST
    return X, rng.integers(0, n_classes, n)


def _model(sizes, seed):
    return init_mlp(sizes, seed_or_rng=seed, dtype=np.float64)


def _curves(params, X_sens, y_sens, X, y, step):
    plan = prune.make_plan(params, prune.sensitivity(params, X_sens, y_sens), step)
    return plan, prune.fast_curve(params, plan, X, y), prune.naive_curve(params, plan, X, y)


# --------------------------------------------------------------------------- sensitivity
def test_sensitivity_is_abs_w_times_full_set_mean_gradient():
    params = _model((7, 5, 3), 0)
    X, y = _data(23, 7, 3, 1)
    sens = prune.sensitivity(params, X, y, batch_size=4)       # chunking must not matter
    _, grads = loss_and_grads(params, X, y)
    for s, W, g in zip(sens, params["W"], grads["W"]):
        np.testing.assert_allclose(s, np.abs(W * g), rtol=1e-12, atol=1e-15)


def test_mean_gradient_matches_finite_differences():
    params = _model((4, 3, 2), 2)
    X, y = _data(9, 4, 2, 3)
    g = prune.mean_gradients(params, X, y, batch_size=2)[1]

    def ce(W1):
        p = {"W": [params["W"][0], W1], "b": params["b"]}
        return loss_and_grads(p, X, y)[0]

    np.testing.assert_allclose(g, numerical_gradient(ce, params["W"][1].copy()), rtol=1e-6,
                               atol=1e-9)


def test_sensitivity_rejects_non_finite_weights():
    params = _model((3, 2), 0)
    params["W"][0][0, 0] = np.nan
    with pytest.raises(ValueError, match="non-finite"):
        prune.sensitivity(params, np.ones((2, 3)), np.zeros(2, int))


# --------------------------------------------------------------------------- plan
def test_plan_counts_are_monotone_and_cover_both_ends():
    params = _model((6, 5, 4), 0)
    params["W"][0][1, :3] = 0.0                               # exactly-zero weights
    sens = [np.random.default_rng(1).random(W.shape) * (W != 0) for W in params["W"]]
    plan = prune.make_plan(params, sens, step=2.5)
    assert plan.percentile.tolist() == [2.5 * j for j in range(41)]
    assert plan.n_pruned[0] == 0 and plan.n_pruned[-1] == 50
    assert np.all(np.diff(plan.n_pruned) >= 0) and np.all(np.diff(plan.nonzero) <= 0)
    assert plan.nonzero[0] == 47 and plan.nonzero[-1] == 0
    assert np.isnan(plan.threshold[0]) and np.all(np.diff(plan.threshold[1:]) >= 0)
    assert (plan.n_biases, plan.nonzero_biases) == (9, 9)


def test_plan_threshold_separates_pruned_from_kept():
    params = _model((8, 6, 3), 4)
    sens = prune.sensitivity(params, *_data(30, 8, 3, 5))
    plan = prune.make_plan(params, sens, step=10)
    flat = np.concatenate([s.ravel() for s in sens])
    for j in range(1, plan.n_pruned.size - 1):
        k = plan.n_pruned[j]
        pruned, kept = flat[plan.order[:k]], flat[plan.order[k:]]
        assert pruned.max() == plan.threshold[j] <= kept.min()


def test_masked_params_zeroes_exactly_the_least_sensitive_weights():
    params = _model((5, 4, 3), 6)
    sens = [np.abs(W) for W in params["W"]]
    plan = prune.make_plan(params, sens, step=20)
    for j in range(plan.n_pruned.size):
        masked = prune.masked_params(params, plan, j)
        n_zero = sum(int(np.count_nonzero(W == 0)) for W in masked["W"])
        assert n_zero == plan.n_pruned[j]
        kept = np.concatenate([W[W != 0] for W in masked["W"]])
        cut = np.concatenate([np.abs(W).ravel() for W in params["W"]])[plan.order]
        if kept.size and plan.n_pruned[j]:
            assert np.abs(kept).min() >= cut[plan.n_pruned[j] - 1]
        assert all(np.array_equal(a, b) for a, b in zip(masked["b"], params["b"]))


@pytest.mark.parametrize("step", [0.0, -1.0, 0.3, 101.0, float("nan")])
def test_plan_rejects_steps_that_do_not_divide_100(step):
    with pytest.raises(ValueError, match="step"):
        prune.n_points(step)


# --------------------------------------------------------------------------- curves
def test_fast_equals_naive_on_a_small_trained_like_model():
    params = _model((20, 12, 8, 4), 7)
    X, y = _data(150, 20, 4, 8)
    plan, fast, naive = _curves(params, X[:100], y[:100], X[100:], y[100:], step=1.0)
    assert np.array_equal(fast.nonzero, naive.nonzero)
    assert np.array_equal(fast.n_correct, naive.n_correct)
    assert np.array_equal(fast.test_accuracy, naive.test_accuracy)
    assert fast.stats["evaluated"] + fast.stats["reused"] == plan.n_pruned.size


@settings(max_examples=15)
@given(seed=st.integers(0, 10_000), h1=st.integers(1, 9), h2=st.integers(1, 6),
       n_classes=st.integers(2, 5), step=st.sampled_from([2.0, 5.0, 12.5, 50.0]))
def test_fast_equals_naive_on_random_networks(seed, h1, h2, n_classes, step):
    params = _model((6, h1, h2, n_classes), seed)
    X, y = _data(40, 6, n_classes, seed + 1)
    _, fast, naive = _curves(params, X, y, X, y, step)
    assert np.array_equal(fast.nonzero, naive.nonzero)
    assert np.array_equal(fast.n_correct, naive.n_correct)


@pytest.mark.parametrize("sizes", [(9, 4), (9, 5, 4), (9, 6, 5, 4, 3)])
def test_fast_equals_naive_for_any_depth(sizes):
    params = _model(sizes, 21)
    X, y = _data(50, sizes[0], sizes[-1], 22)
    _, fast, naive = _curves(params, X, y, X, y, step=2.0)
    assert np.array_equal(fast.n_correct, naive.n_correct)
    assert np.array_equal(fast.nonzero, naive.nonzero)


def test_exact_ties_fall_back_to_the_reference_and_still_agree():
    # Classes 0 and 1 have identical weights and biases, and a bias that makes them the top two:
    # their logits tie exactly for every image until pruning treats the two rows differently.
    # The certificate cannot separate tied classes, so those points (at least the unpruned one)
    # must be recomputed with the reference call.
    params = _model((10, 6, 3), 9)
    params["W"][1][1] = params["W"][1][0]
    params["b"][1][:2] = 5.0
    X, y = _data(60, 10, 3, 10)
    _, fast, naive = _curves(params, X, y, X, y, step=5.0)
    assert np.array_equal(fast.n_correct, naive.n_correct)
    assert fast.stats["full_fallback_points"] >= 1


def test_near_ties_are_resolved_in_float64():
    # Class 1 differs from class 0 by 1e-9 relative: float32 cannot decide, float64 can.
    params = _model((10, 6, 3), 11)
    params["W"][1][1] = params["W"][1][0] * (1 + 1e-9)
    params["b"][1][:2] = [5.0, 5.0 + 1e-9]
    X, y = _data(60, 10, 3, 12)
    _, fast, naive = _curves(params, X, y, X, y, step=5.0)
    assert np.array_equal(fast.n_correct, naive.n_correct)
    assert fast.stats["float64_points"] > 0


def test_curve_end_points_are_the_unpruned_and_the_bias_only_networks():
    params = _model((12, 7, 5), 13)
    X, y = _data(80, 12, 5, 14)
    plan, fast, _ = _curves(params, X, y, X, y, step=10.0)
    assert fast.n_correct[0] == round(accuracy(params, X, y) * len(y))
    # all weights pruned: every image gets the logits b_L, i.e. the class argmax(b_L)
    assert fast.n_correct[-1] == np.count_nonzero(y == np.argmax(params["b"][-1]))
    assert fast.nonzero[-1] == 0 and fast.nonzero[0] == sum(W.size for W in params["W"])


def test_accuracy_targets_pick_the_sparsest_point_reaching_each_level():
    c = prune.Curve(np.array([0.0, 25.0, 50.0, 75.0]), np.full(4, np.nan),
                    np.array([100, 60, 30, 5]), np.array([90, 96, 92, 40]), 100)
    got = prune.accuracy_targets(c, (0.9, 0.95, 0.97))
    assert got == {0.9: (30, 0.92), 0.95: (60, 0.96), 0.97: None}


def test_curve_csv_round_trip(tmp_path):
    params = _model((6, 4, 3), 15)
    X, y = _data(30, 6, 3, 16)
    _, fast, _ = _curves(params, X, y, X, y, step=20.0)
    path = tmp_path / "curve.csv"
    prune.write_curve_csv(fast, path)
    back = prune.read_curve_csv(path)
    assert path.read_text().splitlines()[0] == "percentile,threshold,nonzero,test_accuracy"
    assert np.array_equal(back["nonzero"], fast.nonzero)
    assert np.array_equal(back["test_accuracy"], fast.test_accuracy)
    assert np.array_equal(back["percentile"], fast.percentile)
    assert np.array_equal(np.isnan(back["threshold"]), np.isnan(fast.threshold))


def test_read_curve_csv_rejects_other_files(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="not a curve file"):
        prune.read_curve_csv(path)


def test_fast_curve_rejects_a_plan_for_another_network():
    params = _model((6, 4, 3), 0)
    plan = prune.make_plan(params, [np.abs(W) for W in params["W"]], step=50)
    other = _model((6, 5, 3), 0)
    with pytest.raises(ValueError, match="different shape"):
        prune.fast_curve(other, plan, np.zeros((2, 6)), np.zeros(2, int))


# ---------------------------------------------------------------- the prune-curve command

def test_prune_curve_cli_fast_and_naive_agree(synthetic_mnist_dir, tmp_path, capsys):
    config = TrainConfig(reg="sparsity", epochs=2, hidden=(16, 8), lr=3e-3, batch_size=20,
                         data_dir=str(synthetic_mnist_dir), out=str(tmp_path / "run"))
    train(config, log=lambda *a: None)
    base = ["prune-curve", str(tmp_path / "run"), "--step", "5"]
    assert main(base) == 0
    printed = capsys.readouterr().out
    assert "test accuracy >= 90%" in printed and "curve.csv" in printed
    fast = (tmp_path / "run" / "curve.csv").read_text()
    assert len(fast.splitlines()) == 1 + 21
    assert main(base + ["--method", "naive"]) == 0
    assert (tmp_path / "run" / "curve.csv").read_text() == fast
    meta = json.loads((tmp_path / "run" / "curve.json").read_text())
    assert meta["sensitivity_data"] == "train" and meta["n_biases"] == 16 + 8 + 10


def test_prune_curve_cli_reports_a_missing_run(tmp_path, capsys):
    assert main(["prune-curve", str(tmp_path / "nothing")]) == 2
    assert "config.json" in capsys.readouterr().err
