"""Diagnoses of the value: sign, log base, and the constants inside the logs (the gradient right
up to a factor, the value off by a named constant).

One mistake per test in the port of tests/helpers.py; see tests/test_verify_diagnoses.py.
"""

import functools
import math

import numpy as np
import pytest

from entropy_ref.verify import check as _check
from helpers import (diagnosis_messages, diagnosis_names, mistaken_port, wrong_port,
                     wrong_port_value_grad)

#: the golden cases only: the property checks (on by default) are tested in
#: tests/test_verify_properties.py
check = functools.partial(_check, properties=False)
PROFILES = ["float64", "float32"]


MATRICES = ["rect_3x5_f64", "square_6x6_f64", "tall_9x4_f64", "lenet300_fc3_f64"]


# --- sign and units -----------------------------------------------------------------------------------

@pytest.mark.parametrize("case", ["tiny_3x3_f64", "square_6x6_f64", "conv_8x3x5x5_f64"])
def test_sign_flipped_is_named_as_the_papers_l_C(case):
    report = check(wrong_port(loss_sign=-1.0), cases=case)
    assert not report.ok and diagnosis_names(report, case) == {"sign_flipped"}
    assert "l_C" in str(report) and "loss='l_C'" in str(report)
    assert check(wrong_port(loss_sign=-1.0), loss="l_C", cases=case).ok


def test_H_C_checked_as_l_C_is_named_too():
    report = check(wrong_port(), loss="l_C", cases="square_6x6_f64")
    assert diagnosis_names(report, "square_6x6_f64") == {"sign_flipped"}
    assert "not the sparsity loss" in str(report)


def test_value_and_gradient_signs_flipped_separately():
    def grad_flipped(W, axes):
        v, g, _ = mistaken_port(W, axes)
        return v, -g

    def value_flipped(W, axes):
        v, g, _ = mistaken_port(W, axes)
        return -v, g
    case = "tall_9x4_f64"
    assert diagnosis_names(check(grad_flipped, cases=case), case) == {"grad_sign_flipped"}
    assert diagnosis_names(check(value_flipped, cases=case), case) == {"value_sign_flipped"}


def test_bits_instead_of_nats_and_back():
    case = "tall_9x4_f64"
    assert diagnosis_names(check(wrong_port(log=np.log2), cases=case), case) == {"log_base"}
    assert check(wrong_port(log=np.log2), unit="bits", cases=case).ok
    assert diagnosis_names(check(wrong_port(), unit="bits", cases=case), case) == {"log_base"}


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("term", ["log_E", "log_S"])
@pytest.mark.parametrize("case", ["rect_3x5_f64", "lenet300_fc3_f64", "conv_8x3x5x5_f64"])
def test_log2_on_one_term_names_one_over_ln_2(case, term, profile):
    report = check(wrong_port_value_grad(**{term: np.log2}), cases=case, profile=profile)
    assert not report.ok and diagnosis_names(report, case) == {"log_base_mixed"}
    msg = diagnosis_messages(report, case)
    assert "1/ln 2 = 1.4427" in msg and ("energy term" if term == "log_E" else "|W| term") in msg


# --- constants inside the logs ------------------------------------------------------------------------

@pytest.mark.parametrize("scale,offset", [(32.0, math.log(32)), (16.0, math.log(16)), (2.0, math.log(2))])
@pytest.mark.parametrize("case", MATRICES)
def test_kernel_normalisation(case, scale, offset):
    report = check(wrong_port(kernel_scale=scale), cases=case)
    r = report[case]
    assert diagnosis_names(report, case) == {"kernel_normalisation"}
    assert abs(r.value_abs - offset) <= 1e-12       # the value is off by log(scale) ...
    assert r.grad_rel <= 1e-10                       # ... and the gradient is unchanged


def test_kernel_normalisation_on_three_axes():
    case = "volume_4x5x6_f64"
    report = check(wrong_port(kernel_scale=512.0), cases=case)   # integer 3-D kernel: 2 * 16 * 16
    assert diagnosis_names(report, case) == {"kernel_normalisation"}


@pytest.mark.parametrize("profile", PROFILES)
def test_unnormalised_scharr_is_still_kernel_normalisation_without_padding(profile):
    report = check(wrong_port(kernel_scale=32.0), cases="linspace_8x9_f64", profile=profile)
    assert diagnosis_names(report, "linspace_8x9_f64") == {"kernel_normalisation"}


@pytest.mark.parametrize("case", MATRICES + ["conv_8x3x5x5_f64"])
def test_half_inside_the_log_missing(case):
    report = check(wrong_port(energy_div=1.0), cases=case)
    assert diagnosis_names(report, case) == {"half_in_log_missing"}
    assert abs(report[case].value_abs - 0.5 * math.log(2)) <= 1e-12


def test_one_half_instead_of_one_over_k_for_three_axes():
    report = check(wrong_port(energy_div=2.0), cases="volume_4x5x6_f64")
    assert diagnosis_names(report, "volume_4x5x6_f64") == {"energy_normalisation"}


@pytest.mark.parametrize("mistake", [dict(mean_energy=True), dict(mean_abs=True),
                                     dict(mean_energy=True, mean_abs=True)])
@pytest.mark.parametrize("case", ["square_6x6_f64", "lenet300_fc3_f64", "conv_8x3x5x5_f64"])
def test_mean_instead_of_sum(case, mistake):
    report = check(wrong_port(**mistake), cases=case)
    assert diagnosis_names(report, case) == {"mean_instead_of_sum"}


def test_integer_kernel_in_an_l_C_port_names_both_mistakes():
    report = check(wrong_port(loss_sign=-1.0, kernel_scale=32.0), cases="lenet300_fc3_f64")
    assert diagnosis_names(report, "lenet300_fc3_f64") == {"sign_flipped", "kernel_normalisation"}


@pytest.mark.parametrize("profile", PROFILES)
def test_energy_averaged_over_the_batch_names_B(profile):
    report = check(wrong_port_value_grad(batch_mean=True), cases="conv_8x3x5x5_f64", profile=profile)
    assert not report.ok and diagnosis_names(report, "conv_8x3x5x5_f64") == {"batch_mean"}
    assert "energy factor 1/24 = 1/B" in str(report)


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("case", ["batch_5x6x7_f64", "batch_5x6x7_f32"])
def test_batch_mean_of_the_energy_names_B_5(case, profile):
    report = check(wrong_port_value_grad(batch_mean=True), cases=case, profile=profile)
    assert not report.ok and diagnosis_names(report, case) == {"batch_mean"}
    assert "energy factor 1/5 = 1/B" in str(report)


def test_unknown_constant_offset_is_reported_with_its_factors():
    def shifted(W, axes):
        v, g, _ = mistaken_port(W, axes)
        return v + 0.123, g
    report = check(shifted, cases="square_6x6_f64")
    assert diagnosis_names(report, "square_6x6_f64") == {"constant_offset"}
    assert "+0.123000" in str(report)
