"""Global one-shot and iterative pruning (entropy_ref.prune.iterative): the counts removed, the
levels landed on exactly, pruned weights staying zero, the two rankings, determinism, and the
per-epoch snapshots of fine-tuning that let one long fine-tune report several lengths."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, strategies as st

from entropy_ref import prune
from entropy_ref.mlp import accuracy, init_mlp
from entropy_ref.prune.finetune import finetune, keep_masks
from entropy_ref.prune.iterative import (iterative_prune, n_kept, oneshot_masks, prune_masks,
                                         ranking_scores, schedule)

LEVELS = (90.0, 95.0, 97.0, 98.0, 99.0, 99.5)


def _problem(seed=0, n=80, sizes=(10, 8, 4)):
    rng = np.random.default_rng(seed)
    params = init_mlp(sizes, rng, np.float64)
    X = rng.random((n, sizes[0]))
    y = rng.integers(0, sizes[-1], n)
    return params, X, y


def _n(params):
    return sum(W.size for W in params["W"])


# ------------------------------------------------------------------------------ counts, schedule

def test_the_lenet300_schedule_halves_and_lands_on_every_level():
    steps = schedule(266200, LEVELS)
    assert [k for k, _ in steps] == [133100, 66550, 33275, 26620, 13310, 7986, 5324, 2662, 1331]
    assert [lv for _, lv in steps if lv is not None] == list(LEVELS)
    # kept shares 50, 25, 12.5, 10, 5, 3, 2, 1, 0.5 %
    assert [round(100 * k / 266200, 3) for k, _ in steps] == [50, 25, 12.5, 10, 5, 3, 2, 1, 0.5]


@given(n=st.integers(200, 100000), fraction=st.sampled_from([0.25, 0.5, 0.75]))
def test_each_cycle_removes_its_share_of_the_survivors_or_stops_on_a_level(n, fraction):
    levels = (50.0, 90.0, 99.0)
    kept = n
    goals = {lv: n_kept(n, lv) for lv in levels}
    for k, level in schedule(n, levels, fraction):
        share = kept - int(kept * fraction + 0.5)            # exact for these n (no ties at .5)
        assert k < kept
        if level is None:
            assert k == min(kept - 1, share)
            assert k > max(g for g in goals.values() if g < kept)   # the next level
        else:
            assert k == goals[level] and k >= share       # clipped onto the level, never past it
        kept = k
    assert kept == goals[99.0]


@pytest.mark.parametrize("n", [1, 7, 1000, 266200])
@pytest.mark.parametrize("step", [0.1, 0.5, 10.0])
def test_n_kept_is_the_count_of_the_sweep_point(n, step):
    W = np.arange(1, n + 1, dtype=np.float64).reshape(1, n)
    plan = prune.make_plan({"W": [W], "b": [np.zeros(1)]}, [W], step)
    for j, p in enumerate(plan.percentile):
        assert n_kept(n, float(p)) == n - plan.n_pruned[j]


def test_oneshot_sensitivity_masks_are_the_sweep_points_masks():
    params, X, y = _problem(1)
    sens = prune.sensitivity(params, X, y)
    plan = prune.make_plan(params, sens, 0.5)
    for level in (50.0, 90.0, 99.5):
        j = round(level / 0.5)
        for a, b in zip(oneshot_masks(sens, level), keep_masks(params, plan, j)):
            np.testing.assert_array_equal(a, b)


def test_prune_masks_rank_only_the_kept_weights_and_break_ties_by_position():
    scores = [np.array([[5.0, 0.0, 1.0, 1.0]]), np.array([[1.0, 9.0]])]
    keep = [np.array([[True, False, True, True]]), np.array([[True, True]])]
    out = prune_masks(scores, keep, 3)
    # kept: 5, 1, 1, 1, 9 -> the three 1s tie: the lowest positions go first
    assert [m.tolist() for m in out] == [[[True, False, False, False]], [[True, True]]]
    assert all(not (o & ~k).any() for o, k in zip(out, keep))      # never brings one back


@pytest.mark.parametrize("call, message", [
    (lambda: schedule(100, (90, 50)), "levels must be increasing"),
    (lambda: schedule(100, (99.0, 99.4)), "do not each remove more"),
    (lambda: schedule(100, (0.1,)), "do not each remove more"),
    (lambda: schedule(100, (50,), 1.0), "fraction must be in"),
    (lambda: schedule(100, (50,), True), "fraction must be a finite number"),
    (lambda: schedule(100, (50,), float("nan")), "fraction must be a finite number"),
    (lambda: n_kept(100, 101), "level must be a percentage"),
    (lambda: prune_masks([np.ones((1, 2))], [np.ones((1, 2), bool)], 3), "cannot keep 3 of 2"),
    (lambda: prune_masks([np.full((1, 2), np.nan)], [np.ones((1, 2), bool)], 1),
     "must be finite"),
    (lambda: ranking_scores(_problem()[0], "random"), "ranking must be one of"),
    (lambda: ranking_scores(_problem()[0], "sensitivity"), "needs the data"),
])
def test_bad_arguments_are_refused_in_one_line(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# ------------------------------------------------------------------------- iterative pruning

def test_iterative_pruning_keeps_the_counts_and_the_zeros():
    params, X, y = _problem(2)
    n = _n(params)
    levels = (50.0, 90.0)
    out, masks, cycles = iterative_prune(params, X, y, levels, "magnitude", 0.5, epochs=2,
                                         lr=1e-2, batch_size=10, seed=3,
                                         evaluate=lambda p: accuracy(p, X, y))
    assert [c["n_kept"] for c in cycles] == [k for k, _ in schedule(n, levels)]
    assert [c["retrain_epochs"] for c in cycles] == [2 * (i + 1) for i in range(len(cycles))]
    assert [c["level"] for c in cycles if c["level"] is not None] == list(levels)
    assert sum(int(m.sum()) for m in masks) == n_kept(n, 90.0)
    for W, m in zip(out["W"], masks):
        assert np.all(W[~m] == 0)                            # exact zeros
    assert all(0 <= c["accuracy"] <= 1 and len(c["train_ce"]) == 2 for c in cycles)


def test_each_cycle_prunes_the_smallest_surviving_magnitudes():
    params, X, y = _problem(3)
    levels = (50.0,)
    kept_mask = oneshot_masks(ranking_scores(params, "magnitude"), 50.0)
    _, masks, _ = iterative_prune(params, X, y, levels, "magnitude", 0.5, epochs=1, lr=1e-2,
                                  batch_size=10)
    for a, b in zip(masks, kept_mask):                   # one cycle: the one-shot magnitude cut
        np.testing.assert_array_equal(a, b)


def test_the_two_rankings_prune_differently_and_the_masks_shrink():
    params, X, y = _problem(4)
    masks = {}
    for ranking in ("magnitude", "sensitivity"):
        seen = []
        iterative_prune(params, X, y, (50.0, 90.0), ranking, 0.5, epochs=1, lr=1e-2,
                        batch_size=10, evaluate=lambda p: seen.append(
                            np.concatenate([W.ravel() != 0 for W in p["W"]])) or 0.0)
        nested = seen[1::2]                          # after each cycle's retraining
        assert all(not (b & ~a).any() for a, b in zip(nested, nested[1:]))
        masks[ranking] = nested[-1]
    assert (masks["magnitude"] != masks["sensitivity"]).any()


def test_iterative_pruning_is_deterministic():
    params, X, y = _problem(5)
    runs = [iterative_prune(params, X, y, (50.0, 90.0), "sensitivity", 0.5, epochs=1, lr=1e-2,
                            batch_size=10, seed=7) for _ in range(2)]
    for a, b in zip(runs[0][0]["W"] + runs[0][0]["b"], runs[1][0]["W"] + runs[1][0]["b"]):
        np.testing.assert_array_equal(a, b)               # same command, same numbers
    assert runs[0][2] == runs[1][2]


def test_the_input_network_is_not_modified():
    params, X, y = _problem(6)
    before = [W.copy() for W in params["W"]]
    iterative_prune(params, X, y, (90.0,), "magnitude", 0.5, epochs=1, lr=1e-2, batch_size=10)
    for W, W0 in zip(params["W"], before):
        np.testing.assert_array_equal(W, W0)


# ------------------------------------------------------------------ fine-tune snapshots

@given(seed=st.integers(0, 30), short=st.integers(1, 3))
def test_a_snapshot_of_a_long_fine_tune_is_the_short_fine_tune(seed, short):
    """Tolerance zero: the first ``short`` epochs of a 4-epoch fine-tune are the same operations
    in the same order as a ``short``-epoch fine-tune."""
    params, X, y = _problem(seed, n=40)
    masks = oneshot_masks(ranking_scores(params, "magnitude"), 80.0)
    snaps = {}
    long_params, long_ce = finetune(params, masks, X, y, epochs=4, lr=3e-3, batch_size=7,
                                    seed=seed, after_epoch=lambda e, p: snaps.__setitem__(e, p))
    short_params, short_ce = finetune(params, masks, X, y, epochs=short, lr=3e-3, batch_size=7,
                                      seed=seed)
    assert sorted(snaps) == [1, 2, 3, 4] and short_ce == long_ce[:short]
    for key in ("W", "b"):
        for a, b in zip(snaps[short][key], short_params[key]):
            np.testing.assert_array_equal(a, b)
        for a, b in zip(snaps[4][key], long_params[key]):
            np.testing.assert_array_equal(a, b)
