"""Diagnoses of the layout: a transposed gradient, a reshape or a column-major reading used for a
transpose, the wrong axes of a tensor, and per-matrix H_C over a batch.

One mistake per test in the port of tests/helpers.py; see tests/test_verify_diagnoses.py.
"""

import functools

import numpy as np
import pytest

from entropy_ref.verify import check as _check
from helpers import diagnosis_messages, diagnosis_names, fast_port, mistaken_port, wrong_port

#: the golden cases only: the property checks (on by default) are tested in
#: tests/test_verify_properties.py
check = functools.partial(_check, properties=False)
PROFILES = ["float64", "float32"]


# --- transposes and memory order ----------------------------------------------------------------------

@pytest.mark.parametrize("case", ["rect_3x5_f64", "tall_9x4_f64", "square_6x6_f64"])
def test_transposed_gradient(case):
    report = check(wrong_port(transpose_grad=True), cases=case)
    assert diagnosis_names(report, case) == {"transposed"}


@pytest.mark.parametrize("profile", PROFILES)
def test_a_transposed_gradient_is_still_transposed_and_its_fix_works(profile):
    def fn(W, axes):
        v, g, _ = mistaken_port(W, axes)
        return v, g.T
    report = check(fn, cases="rect_3x5_f64", profile=profile)
    assert diagnosis_names(report, "rect_3x5_f64") == {"transposed"} and "grad.T" in str(report)


def _reshaping_port(back: bool):
    """Meant ``W.T`` (a port written for the (in, out) layout) but wrote ``W.reshape(C, R)``."""
    def fn(W, axes):
        R, C = W.shape
        v, g, _ = mistaken_port(W.reshape(C, R), axes)
        return v, (g.reshape(R, C) if back else g)
    return fn


def _fixed_port(W, axes):
    """The fix the diagnosis prescribes: W.T, and the gradient transposed back."""
    v, g, _ = mistaken_port(W.T, axes)
    return v, g.T


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("back", [False, True])
@pytest.mark.parametrize("case", ["rect_3x5_f64", "linspace_8x9_f64", "tall_9x4_f64",
                                  "lenet300_fc3_f64"])
def test_reshape_used_as_a_transpose_is_memory_order_not_transposed(case, back, profile):
    report = check(_reshaping_port(back), cases=case, profile=profile)
    assert not report.ok and diagnosis_names(report, case) == {"memory_order"}, str(report)
    msg = diagnosis_messages(report, case)
    assert "a reshape keeps the memory order and is not a transpose" in msg and "W.T" in msg
    assert check(_fixed_port, cases=case, profile=profile).ok      # the fix text works


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("back", [False, True])
def test_reshape_instead_of_transpose_on_the_reshape_case_and_on_a_batch(back, profile):
    report = check(_reshaping_port(back), cases="reshape_4x7_f64", profile=profile)
    assert diagnosis_names(report, "reshape_4x7_f64") == {"memory_order"}

    def batch_reshape(W, axes):          # W.reshape(B, C, R) meant as W.mT
        B, R, C = W.shape
        v, g, _ = mistaken_port(W.reshape(B, C, R), axes)
        return v, (g.reshape(B, R, C) if back else g)
    report = check(batch_reshape, cases="batch_5x6x7_f64", profile=profile)
    assert diagnosis_names(report, "batch_5x6x7_f64") == {"memory_order"}, str(report)
    assert "W.reshape(5, 7, 6)" in str(report)


def test_column_major_reading_of_the_input():
    def fn(W, axes):
        F = np.asarray(W).ravel(order="C").reshape(W.shape, order="F")
        v, g, _ = mistaken_port(F, axes)
        return v, g.ravel(order="F").reshape(W.shape)   # the gradient written back consistently
    report = check(fn, cases="rect_3x5_f64")
    assert diagnosis_names(report, "rect_3x5_f64") == {"memory_order"}


# --- axes and batches ---------------------------------------------------------------------------------

@pytest.mark.parametrize("wrong_axes", [(0, 1), "flatten"])
def test_wrong_axes_on_a_conv_tensor(wrong_axes):
    def fn(W, axes):
        if wrong_axes == "flatten":
            v, g, _ = mistaken_port(W.reshape(W.shape[0], -1), (1, 0))
            return v, g.reshape(W.shape)
        v, g, _ = mistaken_port(W, wrong_axes)
        return v, g
    report = check(fn, cases="conv_8x3x5x5_f64")
    assert diagnosis_names(report, "conv_8x3x5x5_f64") == {"wrong_axes"}


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("how", ["mean", "sum"])
def test_per_matrix_H_C_over_a_batch(how, profile):
    def fn(W, axes):                      # H_C of each matrix, then averaged / summed
        parts = [mistaken_port(M, (1, 0)) for M in W]
        v = sum(p[0] for p in parts)
        g = np.stack([p[1] for p in parts])
        return (v / len(parts), g / len(parts)) if how == "mean" else (v, g)
    report = check(fn, cases="batch_5x6x7_f64", profile=profile)
    assert not report.ok and diagnosis_names(report, "batch_5x6x7_f64") == {"per_matrix"}, str(report)
    assert f"the {how} over the B = 5 slices" in str(report)


# --- memory order only when the reshape explains the error --------------------------------------------

def _transposed_gradient(W, axes):
    v, g = fast_port(W, axes)
    return v, g.T


PORTS_NOT_MEMORY_ORDER = {
    "circular padding": functools.partial(fast_port, mode="wrap"),
    "reflect padding": functools.partial(fast_port, mode="reflect"),
    "bfloat16": functools.partial(fast_port, fmt="bfloat16"),
    "float16": functools.partial(fast_port, fmt="float16"),
    "finite differences": functools.partial(fast_port, fd_step=1e-3),
    "transposed gradient": _transposed_gradient,
}


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("port", list(PORTS_NOT_MEMORY_ORDER))
def test_memory_order_is_named_only_when_the_reshape_explains_the_error(port, profile):
    # on these cases W.reshape(C, R) has nearly the value of W (a 1 x n row: it *is* W.T)
    cases = ["lenet300_fc1_f64", "lenet300_fc2_f64", "lenet300_fc2_f32", "row_1x8_f64"]
    report = check(PORTS_NOT_MEMORY_ORDER[port], cases=cases, profile=profile)
    for case in cases:
        assert "memory_order" not in diagnosis_names(report, case), (case, str(report))


@pytest.mark.parametrize("case", ["lenet300_fc1_f64", "lenet300_fc2_f64", "row_1x8_f64"])
def test_a_transposed_gradient_of_a_large_matrix_or_a_row_is_transposed(case):
    report = check(_transposed_gradient, cases=case)
    assert diagnosis_names(report, case) == {"transposed"}, str(report)
    assert "grad.T" in str(report)
