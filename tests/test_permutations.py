"""H_C under reorderings of rows and columns: entropy_ref.reproduce.permutations."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

from entropy_ref import DegenerateInputError, configuration_entropy
from entropy_ref.reproduce.permutations import (permutation_changes, permutation_study,
                                                sort_rows_by_norm)

TOL = 1e-12   # two evaluations of H_C on the same numbers in a different order (float64)


def test_permutation_invariant_matrix_gives_zero_change():
    # every row equal and every column equal: each permutation returns the same matrix
    (res,) = permutation_study([np.full((5, 6), -0.3)], n_draws=7, seed=1)
    for key in ("rows", "columns"):
        assert res[key]["n"] == 7 and len(res[key]["changes"]) == 7
        assert max(abs(res[key]["min"]), abs(res[key]["max"])) <= TOL
    assert abs(res["sorted_rows"]["change"]) <= TOL
    assert res["H"] == pytest.approx(configuration_entropy(np.ones((5, 6))), rel=TOL)


def test_reversal_never_changes_h_c():
    """Flipping an axis maps each Scharr component to +-(its flip): the energy is unchanged."""
    W = np.random.default_rng(0).standard_normal((7, 9))
    rev0, rev1 = np.arange(7)[::-1], np.arange(9)[::-1]
    assert max(abs(c) for c in permutation_changes(W, [rev0], 0)) <= TOL
    assert max(abs(c) for c in permutation_changes(W, [rev1], 1)) <= TOL


def test_random_draws_on_a_3x3_matrix_hit_every_known_value():
    """A 3 x 3 matrix has 6 row orders; the changes are known by enumeration. 300 seeded draws
    see every one of them, so min and max equal the enumerated extremes, and the mean is the
    average of the draws."""
    W = np.array([[1.0, 2.0, 0.0], [0.0, 0.0, 3.0], [-1.0, 0.0, 2.0]])
    H0 = configuration_entropy(W)
    known = [configuration_entropy(W[list(p)]) - H0 for p in itertools.permutations(range(3))]
    known_cols = [configuration_entropy(W[:, list(p)]) - H0
                  for p in itertools.permutations(range(3))]
    assert max(known) - min(known) > 0.1            # the case is not trivially invariant
    (res,) = permutation_study([W], n_draws=300, seed=0)
    assert res["H"] == pytest.approx(H0, rel=TOL)
    for key, ref in (("rows", known), ("columns", known_cols)):
        r = res[key]
        assert r["min"] == pytest.approx(min(ref), abs=TOL)
        assert r["max"] == pytest.approx(max(ref), abs=TOL)
        assert all(min(abs(c - k) for k in ref) <= TOL for c in r["changes"])
        assert r["mean"] == pytest.approx(np.mean(r["changes"]), abs=TOL)
        assert r["std"] == pytest.approx(np.std(r["changes"]), abs=TOL)
        assert r["mean_abs"] == pytest.approx(np.mean(np.abs(r["changes"])), abs=TOL)


def test_sorted_rows_change_is_computed_by_hand():
    W = np.array([[3.0, 4.0, 0.0, 1.0],    # norm sqrt(26)
                  [0.0, 0.5, 0.0, 0.0],    # 0.5
                  [1.0, -1.0, 1.0, -1.0],  # 2
                  [0.0, 0.0, 0.0, 1.0]])   # 1
    assert sort_rows_by_norm(W).tolist() == [1, 3, 2, 0]
    (res,) = permutation_study([W], n_draws=1)
    by_hand = configuration_entropy(W[[1, 3, 2, 0]])
    assert res["sorted_rows"]["H"] == pytest.approx(by_hand, rel=TOL)
    assert res["sorted_rows"]["change"] == pytest.approx(by_hand - configuration_entropy(W),
                                                         abs=TOL)
    # already sorted: no change
    (again,) = permutation_study([W[[1, 3, 2, 0]]], n_draws=1)
    assert abs(again["sorted_rows"]["change"]) <= TOL


def test_seeded_several_layers_json_ready_and_bits():
    rng = np.random.default_rng(3)
    Ws = [rng.standard_normal((6, 8)).astype(np.float32), rng.standard_normal((4, 6))]
    a = permutation_study(Ws, n_draws=5, seed=42)
    assert a == permutation_study(Ws, n_draws=5, seed=42)            # same seed, same draws
    assert a != permutation_study(Ws, n_draws=5, seed=43)
    assert [r["layer"] for r in a] == [0, 1] and [r["shape"] for r in a] == [[6, 8], [4, 6]]
    assert json.loads(json.dumps(a)) == a
    bits = permutation_study(Ws, n_draws=5, seed=42, unit="bits")
    assert bits[1]["rows"]["mean"] == pytest.approx(a[1]["rows"]["mean"] / np.log(2), rel=1e-12)
    assert Ws[0].dtype == np.float32                               # inputs untouched


def test_bad_inputs_raise_one_clear_error():
    W = np.ones((3, 3))
    with pytest.raises(TypeError, match="list of weight matrices"):
        permutation_study(W)
    with pytest.raises(ValueError, match="at least one"):
        permutation_study([])
    for n in (0, -1, 2.0, True):
        with pytest.raises(ValueError, match="n_draws must be an integer >= 1"):
            permutation_study([W], n_draws=n)
    for seed in (-1, 1.5, None):
        with pytest.raises(ValueError, match="seed must be an integer >= 0"):
            permutation_study([W], seed=seed)
    with pytest.raises(ValueError, match=r"weights\[1\] must be 2-D"):
        permutation_study([W, np.ones(4)])
    with pytest.raises(ValueError, match=r"weights\[0\] has 1 non-finite"):
        permutation_study([np.array([[1.0, np.nan], [0.0, 1.0]])])
    with pytest.raises(DegenerateInputError, match=r"weights\[0\].*all zeros"):
        permutation_study([np.zeros((3, 3))])
    with pytest.raises(ValueError, match="not a permutation"):
        permutation_changes(W, [np.array([0, 0, 1])], 0)
