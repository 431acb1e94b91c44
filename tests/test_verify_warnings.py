"""The kit's own arithmetic never lets a floating-point warning escape.

A port that returns huge or non-finite numbers is a *failure with a diagnosis*; it must not turn
into a ``RuntimeWarning`` raised from inside ``check``/``check_file`` in a user's test suite that
runs with warnings as errors (as this project's own ``filterwarnings = error::RuntimeWarning``).
The user's own function keeps the floating-point error state the caller set.
"""

import warnings

import numpy as np
import pytest

from entropy_ref import configuration_entropy_grad
from entropy_ref.verify import check, check_file, save_outputs
from entropy_ref import golden


def _huge_gradient(W, axes=None):
    H, g = configuration_entropy_grad(W, axes)
    with np.errstate(over="ignore"):           # the port's own overflow is not the kit's
        return H, g.astype(np.float64) * 1e300


def _overflowing_value(W, axes=None):
    H, g = configuration_entropy_grad(W, axes)
    return 1e308, np.full(g.shape, 1e308)


@pytest.mark.parametrize("profile", ["float64", "float32"])
@pytest.mark.parametrize("port", [_huge_gradient, _overflowing_value])
def test_check_on_huge_outputs_fails_without_warnings(port, profile):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        report = check(port, profile=profile)
    assert not report.ok
    assert report.failed, "every huge output is a failed case with a diagnosis"


def test_check_file_on_huge_outputs_fails_without_warnings(tmp_path):
    gs = golden.load()
    outputs = {c.name: (1e308, np.full(c.W.shape, 1e308)) for c in gs.values()}
    path = save_outputs(tmp_path / "huge.npz", outputs)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        report = check_file(path)
    assert not report.ok


def test_the_port_keeps_the_callers_floating_point_error_state():
    """check silences only its own arithmetic: inside fn, np.geterr() is what the caller set."""
    seen = []

    def port(W, axes=None):
        seen.append(np.geterr()["over"])
        return configuration_entropy_grad(W, axes)

    with np.errstate(over="raise"):
        report = check(port, cases="tiny_*")
    assert report.ok
    assert seen and set(seen) == {"raise"}
