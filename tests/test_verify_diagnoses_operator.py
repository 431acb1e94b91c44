"""Diagnoses of the operator: another edge kernel, np.gradient, one component only, a matrix
norm for sum|W|, another padding, and the Scharr components (conventions, shapes, mistakes).

One mistake per test in the port of tests/helpers.py; see tests/test_verify_diagnoses.py.
"""

import functools
import math

import numpy as np
import pytest
from scipy import ndimage

from entropy_ref import golden
from entropy_ref.verify import check as _check
from helpers import (PREWITT_SMOOTHING, SMALL_CASES, SOBEL_SMOOTHING, diagnosis_messages,
                     diagnosis_names, mistaken_port, wrong_port, wrong_port_value_grad)

#: the golden cases only: the property checks (on by default) are tested in
#: tests/test_verify_properties.py
check = functools.partial(_check, properties=False)
PROFILES = ["float64", "float32"]


# --- the kernel ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("smooth,scale,needle", [
    (SOBEL_SMOOTHING, 1.0, "Sobel kernel (normalised as [[1, 0, -1], [2, 0, -2], [1, 0, -1]] / 8)"),
    (SOBEL_SMOOTHING, 8.0, "Sobel kernel (unnormalised"),
    (PREWITT_SMOOTHING, 1.0, "Prewitt kernel (normalised"),
    (PREWITT_SMOOTHING, 6.0, "Prewitt kernel (unnormalised"),
    (np.array([47.0, 162.0, 47.0]) / 256.0, 1.0, "47/162"),
])
@pytest.mark.parametrize("case", ["tiny_2x2_f64", "rect_3x5_f64", "linspace_8x9_f64",
                                  "lenet300_fc3_f64", "conv_8x3x5x5_f64"])
def test_other_edge_kernels_are_named_without_spurious_padding(case, smooth, scale, needle, profile):
    report = check(wrong_port_value_grad(smooth=smooth, kernel_scale=scale), cases=case, profile=profile)
    assert not report.ok and diagnosis_names(report, case) == {"other_kernel"}, str(report)
    assert needle in diagnosis_messages(report, case)


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("smooth,scale,needle", [
    (SOBEL_SMOOTHING, 1.0, "Sobel kernel [[1, 0, -1], [2, 0, -2], [1, 0, -1]] / 8 (on a single row"),
    (SOBEL_SMOOTHING, 8.0, "Sobel kernel [[1, 0, -1], [2, 0, -2], [1, 0, -1]] without its 1/8"),
    (PREWITT_SMOOTHING, 1.0, "Prewitt kernel [[1, 0, -1], [1, 0, -1], [1, 0, -1]] / 6"),
    (PREWITT_SMOOTHING, 6.0, "Prewitt kernel [[1, 0, -1], [1, 0, -1], [1, 0, -1]] without its 1/6"),
    (np.array([47.0, 162.0, 47.0]) / 256.0, 1.0, "[[47, 0, -47], [162, 0, -162], [47, 0, -47]] / 512"),
])
def test_other_edge_kernels_on_a_single_row_act_through_their_centre_weight(smooth, scale, needle,
                                                                           profile):
    # on 1 x n the smoothing sees only its centre tap: the gradient is right, the value off by
    # log(w / (10/16)) - a constant offset that names the kernel
    report = check(wrong_port_value_grad(smooth=smooth, kernel_scale=scale), cases="row_1x8_f64",
                   profile=profile)
    assert not report.ok and diagnosis_names(report, "row_1x8_f64") == {"other_kernel"}, str(report)
    assert needle in diagnosis_messages(report, "row_1x8_f64")


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("case", ["rect_3x5_f64", "linspace_8x9_f64", "tall_9x4_f64",
                                  "conv_8x3x5x5_f64"])
def test_other_edge_kernels_are_named_from_the_components_too(case, profile):
    report = check(wrong_port(smooth=SOBEL_SMOOTHING, kernel_scale=8.0), cases=case, profile=profile)
    assert not report.ok and diagnosis_names(report, case) == {"other_kernel"}, str(report)
    assert "integer kernel [[1, 0, -1], [2, 0, -2], [1, 0, -1]] (no 1/8)" in str(report)
    assert "padding" not in str(report)


def _np_gradient_port(W, axes, half=0.5):
    """H_C with np.gradient for the two components (no smoothing, one-sided differences at the
    edges instead of zero padding), the gradient through each axis' difference matrix."""
    import scipy.sparse as sp

    if W.ndim != 2:
        raise NotImplementedError("matrices only")
    dtype, W = W.dtype, np.asarray(W, dtype=np.float64)

    def D(n):                                  # np.gradient along an axis of length n, as a matrix
        return sp.csr_matrix(np.gradient(np.eye(n), axis=0))

    Dr, Dc = D(W.shape[0]), D(W.shape[1])
    gy, gx = np.gradient(W)                    # what a user writes
    E, S = half * float(np.sum(gx * gx + gy * gy)), float(np.abs(W).sum())
    dE = Dr.T @ gy + (Dc.T @ gx.T).T
    grad = half * dE / E - np.sign(W) / S                                   # d(1/2 log E)
    return 0.5 * math.log(E) - math.log(S), grad.astype(dtype)


@pytest.mark.parametrize("half", [0.5, 1.0])
@pytest.mark.parametrize("profile", ["float64", "float32"])
def test_np_gradient_instead_of_the_scharr_operator_is_named(profile, half):
    # not 'unexplained' (most cases), 'gradient_terms' (2 x 2) or 'padding' (8 x 9)
    cases = ["tiny_2x2_f64", "rect_3x5_f64", "linspace_8x9_f64", "sparse_signed_12x10_f64",
             "lenet300_fc3_f64", "square_6x6_f32"]
    report = _check(functools.partial(_np_gradient_port, half=half), cases=cases,
                    profile=profile, properties=False)
    assert sorted(report.failed) == sorted(cases), str(report)
    assert all(diagnosis_names(report, c) == {"numpy_gradient"} for c in cases), str(report)
    assert "np.gradient" in str(report) and "one-sided" in str(report)


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("case", ["tiny_2x2_f64", "rect_3x5_f64", "lenet300_fc3_f64",
                                  "conv_8x3x5x5_f64", "volume_4x5x6_f64"])
def test_energy_from_one_component_only(case, profile):
    report = check(wrong_port_value_grad(only=0), cases=case, profile=profile)
    assert not report.ok and diagnosis_names(report, case) == {"one_component"}, str(report)
    want = "g_x (axis 1) only" if golden.load()[case].W.ndim == 2 else "g_axis"
    assert want in diagnosis_messages(report, case)


# --- sum |W| computed with a matrix norm --------------------------------------------------------------

def _induced_1_norm(W):
    """``torch.linalg.norm(W, ord=1)``: the largest column sum of |W|, and its gradient."""
    sums = np.abs(W).sum(axis=0)
    j = int(np.argmax(sums))
    d = np.zeros_like(W)
    d[:, j] = np.sign(W[:, j])
    return float(sums[j]), d


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("case", ["tiny_2x2_f64", "rect_3x5_f64", "linspace_8x9_f64",
                                  "lenet300_fc3_f64"])
def test_induced_matrix_1_norm_instead_of_sum_abs(case, profile):
    report = check(wrong_port_value_grad(abs_norm=_induced_1_norm), cases=case, profile=profile)
    assert not report.ok and diagnosis_names(report, case) == {"matrix_norm"}, str(report)
    assert "torch.linalg.norm(W, ord=1)" in diagnosis_messages(report, case)


def _frobenius(W):
    n = float(np.sqrt(np.sum(W * W)))
    return n, W / n


def _spectral(W):
    U, s, Vt = np.linalg.svd(W, full_matrices=False)
    return float(s[0]), np.outer(U[:, 0], Vt[0])


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("norm,needle", [(_frobenius, "Frobenius"), (_spectral, "spectral")])
def test_other_matrix_norms_instead_of_sum_abs(norm, needle, profile):
    report = check(wrong_port_value_grad(abs_norm=norm), cases="tall_9x4_f64", profile=profile)
    assert diagnosis_names(report, "tall_9x4_f64") == {"matrix_norm"}
    assert needle in diagnosis_messages(report, "tall_9x4_f64")


# --- padding ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("mode", ["reflect", "mirror", "nearest", "wrap", "valid"])
@pytest.mark.parametrize("case", ["square_6x6_f64", "tall_9x4_f64", "lenet300_fc3_f64"])
def test_padding_other_than_zeros(case, mode):
    report = check(wrong_port(mode=mode), cases=case)
    assert diagnosis_names(report, case) == {"padding"}, str(report)
    msg = " ".join(d.message for d in report[case].diagnoses)
    numpy_name = {"reflect": "'symmetric'", "mirror": "'reflect'", "nearest": "'edge'",
                  "wrap": "'wrap'", "valid": "'valid'"}[mode]
    assert numpy_name in msg                          # the mode is identified from the value ...
    if min(report[case].shape) >= 5:                  # ... and, with an interior, from the gradient
        assert "within one entry of the boundary" in msg


def test_padding_on_a_tiny_case_is_named_from_the_value():
    report = check(wrong_port(mode="nearest"), cases="tiny_3x3_f64")
    assert diagnosis_names(report, "tiny_3x3_f64") == {"padding"}


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("mode", ["reflect", "nearest", "wrap"])
def test_padding_on_the_1_by_n_row(mode, profile):
    report = check(wrong_port_value_grad(mode=mode), cases="row_1x8_f64", profile=profile)
    assert not report.ok and diagnosis_names(report, "row_1x8_f64") == {"padding"}, str(report)


def test_a_right_value_is_never_taken_for_another_padding_on_a_large_matrix():
    # on 300 x 784 the reflect-padded H_C is within MATCH of the zero-padded one: a port with the
    # right value and a float16-rounded gradient must not be diagnosed 'padding' from its value
    from entropy_ref import configuration_entropy_grad

    def f16_gradient(W, axes):          # (the test port builds dense operators: too big here)
        v, g = configuration_entropy_grad(W, axes)
        return v, g.astype(np.float16).astype(np.float64)
    report = _check(f16_gradient, cases="lenet300_fc1_f64", properties=False)
    # float16 rounding of the gradient (1.0e-3 relative here) sits at the edge of MATCH
    assert diagnosis_names(report, "lenet300_fc1_f64") <= {"low_precision", "unexplained"}, str(report)


# --- the Scharr components ----------------------------------------------------------------------------

@pytest.mark.parametrize("case", SMALL_CASES)
def test_correlation_is_harmless_for_value_and_gradient(case):
    def value_and_grad_only(W, axes):
        v, g, _ = mistaken_port(W, axes, correlate=True)
        return v, g
    assert check(value_and_grad_only, cases=case).ok


@pytest.mark.parametrize("case", ["tiny_2x2_f64", "square_6x6_f64", "conv_8x3x5x5_f64"])
def test_correlation_negates_components_and_is_named_harmless(case):
    report = check(wrong_port(correlate=True), cases=case)
    r = report[case]
    assert r.value_abs <= 1e-10 and r.grad_rel <= 1e-10 and r.comp_rel >= 1.0
    assert diagnosis_names(report, case) == {"correlation"}
    assert all(d.harmless for d in r.diagnoses) and "Harmless" in str(report)
    assert report.ok                        # a harmless convention is not a failure


def test_swapped_components_are_named_and_harmless():
    report = check(wrong_port(swap_components=True), cases="rect_3x5_f64")
    r = report["rect_3x5_f64"]
    assert diagnosis_names(report, "rect_3x5_f64") == {"components_swapped"} and r.diagnoses[0].harmless


def test_one_component_negated_is_a_harmless_sign_convention():
    def y_up(W, axes):
        v, g, (g_x, g_y) = mistaken_port(W, axes)
        return v, g, (g_x, -g_y)
    report = check(y_up, cases="rect_3x5_f64")
    r = report["rect_3x5_f64"]
    assert diagnosis_names(report, "rect_3x5_f64") == {"component_sign"} and r.diagnoses[0].harmless


def test_transposed_components():
    def comps_transposed(W, axes):
        v, g, comps = mistaken_port(W, axes)
        return v, g, [c.T for c in comps]
    report = check(comps_transposed, cases="square_6x6_f64")
    assert diagnosis_names(report, "square_6x6_f64") == {"transposed"}


@pytest.mark.parametrize("case", ["rect_3x5_f64", "tall_9x4_f64", "square_6x6_f64"])
def test_zero_components_are_not_called_padding(case):
    # a case without interior (3 x 5: every entry is within one of the boundary) cannot show that
    # errors are confined to the boundary; the padded components themselves are compared instead
    # (on 2 x 2, reflect padding does give zero components)
    def zero_components(W, axes):
        v, g, comps = mistaken_port(W, axes)
        return v, g, [np.zeros_like(c) for c in comps]
    report = check(zero_components, cases=case)
    assert not report.ok and diagnosis_names(report, case) == {"unexplained"}, str(report)


def _sobel_port(W, axes):
    """A port with the Sobel [1, 2, 1] smoothing instead of Scharr's [3, 10, 3] (normalised /8)."""
    W = np.asarray(W, dtype=np.float64)
    K = np.outer([1.0, 2.0, 1.0], [1.0, 0.0, -1.0]) / 8.0
    comps = [ndimage.convolve(W, K, mode="constant"), ndimage.convolve(W, K.T, mode="constant")]
    E = 0.5 * sum(float(np.sum(c * c)) for c in comps)
    Sabs = float(np.sum(np.abs(W)))
    dE = sum(ndimage.correlate(c, k, mode="constant") for c, k in zip(comps, (K, K.T)))
    return 0.5 * math.log(E) - math.log(Sabs), 0.5 * dE / E - np.sign(W) / Sabs, comps


@pytest.mark.parametrize("case", ["linspace_8x9_f64", "rect_3x5_f64", "tall_9x4_f64"])
def test_components_of_another_kernel_on_a_non_square_case_do_not_crash_the_kit(case):
    report = check(_sobel_port, cases=case)     # no ValueError: shapes differ (8, 9) vs (9, 8)
    assert not report.ok and report[case].diagnoses


def test_tied_padding_modes_are_all_named_and_the_gradient_decides():
    report = check(wrong_port_value_grad(mode="wrap"), cases="tiny_3x3_f64")
    msg = diagnosis_messages(report, "tiny_3x3_f64")
    assert diagnosis_names(report, "tiny_3x3_f64") == {"padding"} and "circular" in msg, msg
    assert "replicate" not in msg or "same value" in msg


@pytest.mark.parametrize("negated,word", [(0, "y pointing up"), (1, "x pointing left")])
def test_the_component_sign_note_names_the_negated_direction(negated, word):
    def port(W, axes):
        v, g, comps = mistaken_port(W, axes)
        comps = list(comps)
        comps[1 - negated] = -comps[1 - negated]     # comps = (g_x, g_y)
        return v, g, comps
    report = check(port, cases="rect_3x5_f64")
    msg = diagnosis_messages(report, "rect_3x5_f64")
    assert diagnosis_names(report, "rect_3x5_f64") == {"component_sign"} and word in msg, msg
