"""What the pruning curve refuses: a corrupt ``curve.csv`` or cached ``curve.json`` read back (one
line naming the file) and a percentile step below the bound of ``entropy_ref.prune.plan``."""

from __future__ import annotations

import json

import numpy as np
import pytest

from entropy_ref.errors import CorruptFileError
from entropy_ref.prune import read_curve_csv
from entropy_ref.prune.plan import MAX_POINTS, n_points
from helpers import one_line_naming


@pytest.mark.parametrize("text, needle", [
    ("percentile,threshold,nonzero,test_accuracy\n0.0,nan,3\n", "line 2 has 3 fields"),
    ("percentile,threshold,nonzero,test_accuracy\n0.0,nan,x,0.5\n", "corrupt curve file"),
    ("percentile,threshold,nonzero,test_accuracy\n0.0,nan,3,nan\n", "accuracy outside"),
    ("percentile,threshold,nonzero,test_accuracy\n0.0,nan,3,1e999999\n", "accuracy outside"),
    ("percentile,threshold,nonzero,test_accuracy\n0.0,nan,99999999999999999999999,0.5\n",
     "corrupt curve file"),
])
def test_corrupt_curve_csv(tmp_path, text, needle):
    path = tmp_path / "curve.csv"
    path.write_text(text)
    with pytest.raises(CorruptFileError) as info:
        read_curve_csv(path)
    assert needle in one_line_naming(info, path)


def test_curve_csv_not_utf8(tmp_path):
    path = tmp_path / "curve.csv"
    path.write_bytes(b"\xff\xfe" * 10)
    with pytest.raises(CorruptFileError) as info:
        read_curve_csv(path)
    one_line_naming(info, path)


def test_corrupt_cached_curve_metadata(tmp_path):
    from entropy_ref.prune import Curve
    from entropy_ref.reproduce.curves import load_cached_curve, save_curve

    params = {"W": [np.ones((2, 3))], "b": [np.zeros(2)]}
    curve = Curve(np.array([0.0, 100.0]), np.array([np.nan, 1.0]), np.array([6, 0]),
                  np.array([9, 1]), 10)
    meta = save_curve(tmp_path, curve, params, step=100)
    assert load_cached_curve(tmp_path, params, step=100) is not None
    meta["n_eval"] = "ten"
    (tmp_path / "curve.json").write_text(json.dumps(meta))
    with pytest.raises(CorruptFileError) as info:
        load_cached_curve(tmp_path, params, step=100)
    one_line_naming(info, tmp_path / "curve.json")


@pytest.mark.parametrize("step", [1e-9, 1e-4, 0.0009])
def test_step_below_the_bound_is_refused(step):
    with pytest.raises(ValueError, match="step must be >= 0.001"):
        n_points(step)


def test_step_at_the_bound_is_accepted():
    assert n_points(100 / MAX_POINTS) == MAX_POINTS
