"""Diagnoses of the gradient: its two terms (scaled, dropped, negated, the derivative of |w| at
0), an eps where H_C has none (in a log, in a smoothed |w|, in a soft sign), and precision.

One mistake per test in the port of tests/helpers.py; see tests/test_verify_diagnoses.py.
"""

import functools
import math

import numpy as np
import pytest

from entropy_ref import golden
from entropy_ref.verify import check as _check
from entropy_ref.verify.diagnoses.relations import num
from helpers import (diagnosis_messages, diagnosis_names, fast_port, mistaken_port, wrong_port,
                     wrong_port_value_grad)

#: the golden cases only: the property checks (on by default) are tested in
#: tests/test_verify_properties.py
check = functools.partial(_check, properties=False)
PROFILES = ["float64", "float32"]


# --- the two terms of the gradient --------------------------------------------------------------------

def test_adjoint_not_flipped_in_a_hand_written_backward():
    report = check(wrong_port(unflipped_adjoint=True), cases="square_6x6_f64")
    assert diagnosis_names(report, "square_6x6_f64") == {"adjoint_not_flipped"}


def test_outer_half_missing():
    report = check(wrong_port(outer=1.0), cases="tall_9x4_f64")
    assert diagnosis_names(report, "tall_9x4_f64") == {"outer_half_missing"}


@pytest.mark.parametrize("abs_term,name", [(0.0, "gradient_term_missing"), (2.0, "gradient_terms")])
def test_gradient_with_one_term_dropped_or_scaled(abs_term, name):
    report = check(wrong_port(abs_term=abs_term), cases="tall_9x4_f64")
    assert diagnosis_names(report, "tall_9x4_f64") == {name}


@pytest.mark.parametrize("case", ["tiny_3x3_f64", "sparse_signed_12x10_f64"])
def test_sign_at_zero(case):
    report = check(wrong_port(sign0=1.0), cases=case)
    assert diagnosis_names(report, case) == {"sign_at_zero"}


def test_near_zero_numbers_print_without_a_minus_sign_so_diagnoses_group():
    assert num(-4e-5, ".3f") == num(4e-5, ".3f") == "0.000"
    assert num(-4e-6, "+.4f") == "+0.0000" and num(-0.25, ".3f") == "-0.250"

    def dropped_abs_term(W, axes):             # the lstsq coefficient of the |W| term is ~ +-1e-17
        v, g, _ = mistaken_port(W, axes, abs_term=0.0)
        return v, g
    report = check(dropped_abs_term, cases=["tall_9x4_f64", "square_6x6_f64", "rect_3x5_f64"])
    heads = {d.message.split(":")[0] for r in report.results for d in r.diagnoses}
    assert all("-0.000" not in h for h in heads)
    assert len(heads) == 1, heads


# --- an eps inside the logs ---------------------------------------------------------------------------

@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("case", ["tiny_2x2_f64", "rect_3x5_f64", "linspace_8x9_f64"])
def test_additive_eps_in_the_logs_is_named_with_its_size_not_float32(case, profile):
    report = check(wrong_port_value_grad(eps_E=1e-3, eps_S=1e-3), cases=case, profile=profile)
    assert not report.ok and diagnosis_names(report, case) == {"additive_eps"}, str(report)
    msg = diagnosis_messages(report, case)
    assert "eps ~ 0.001" in msg and "NOT harmless at float32" in msg


@pytest.mark.parametrize("case", ["tiny_2x2_f64", "rect_3x5_f64", "lenet300_fc3_f64",
                                  "conv_8x3x5x5_f64", "volume_4x5x6_f64"])
def test_a_tiny_eps_is_named_and_called_harmless_at_training_precision(case):
    # eps = 1e-8 (a common habit) fails the float64 tolerance; it is an eps, not float32_precision
    report = check(wrong_port_value_grad(eps_E=1e-8, eps_S=1e-8), cases=case)
    assert diagnosis_names(report, case) == {"additive_eps"}, str(report)
    msg = diagnosis_messages(report, case)
    assert "eps ~ 1e-08" in msg and "Harmless at float32 training precision" in msg
    assert "NOT harmless" not in msg
    assert check(wrong_port_value_grad(eps_E=1e-8, eps_S=1e-8), cases=case, profile="float32").ok


@pytest.mark.parametrize("profile", PROFILES)
def test_additive_eps_in_one_log_only(profile):
    report = check(wrong_port_value_grad(eps_S=1e-3), cases="tall_9x4_f64", profile=profile)
    assert diagnosis_names(report, "tall_9x4_f64") == {"additive_eps"}
    msg = diagnosis_messages(report, "tall_9x4_f64")
    assert "log(sum|W| + eps) with eps ~ 0.001" in msg and "log(E + eps)" not in msg


@pytest.mark.parametrize("eps", [1e-8, 1e-7, 1e-6, 1.234e-7])
@pytest.mark.parametrize("case", ["rect_3x5_f64", "conv_8x3x5x5_f64", "lenet300_fc3_f64"])
def test_usual_eps_values_are_named_additive_eps(case, eps):
    report = check(wrong_port_value_grad(eps_E=eps, eps_S=eps), cases=case)
    assert diagnosis_names(report, case) == {"additive_eps"}, str(report)


def test_an_eps_below_the_float64_tolerance_passes():
    # 3e-9 moves lenet300_fc3 by 1.5e-11 nats and 4.7e-11 (gradient): within 1e-10, no failure
    assert check(wrong_port_value_grad(eps_E=3e-9, eps_S=3e-9), cases="lenet300_fc3_f64").ok
    report = check(wrong_port_value_grad(eps_E=3e-9, eps_S=3e-9), cases="rect_3x5_f64")
    assert diagnosis_names(report, "rect_3x5_f64") == {"additive_eps"}


def _float32_sums_port(W, axes):
    """Correct in float64 except E and sum|W| accumulated sequentially in float32."""
    v, g, comps = mistaken_port(W, axes)
    E = float(np.cumsum(sum(c * c for c in comps).astype(np.float32).ravel(),
                        dtype=np.float32)[-1]) / len(axes)
    S_ = float(np.cumsum(np.abs(W).astype(np.float32).ravel(), dtype=np.float32)[-1])
    E64 = sum(float(np.vdot(c, c)) for c in comps) / len(axes)
    S64 = float(np.abs(W).sum())
    R2 = -np.sign(W) / S64
    R1 = g - R2
    return 0.5 * math.log(E) - math.log(S_), (E64 / E) * R1 + (S64 / S_) * R2


@pytest.mark.parametrize("case", ["conv_8x3x5x5_f64", "lenet300_fc3_f64", "sparse_signed_12x10_f64"])
def test_sums_rounded_to_float32_are_float32_precision_not_an_eps(case):
    # the same structure as an eps (each gradient term scaled by a factor near 1), but the implied
    # eps values are neither equal nor round numbers: rounding, not an eps
    report = check(_float32_sums_port, cases=case)
    assert not report.ok and diagnosis_names(report, case) == {"float32_precision"}, str(report)


# --- an eps in the absolute value: smooth |w|, soft sign ----------------------------------------------

def _smooth_abs_port(W, axes, eps=1e-8):
    """sum sqrt(W**2 + eps) for sum|W| (a 'smooth |w|', differentiable at 0)."""
    dtype, W = W.dtype, np.asarray(W, dtype=np.float64)
    v, g, comps = mistaken_port(W, axes)
    a = np.sqrt(W * W + eps)
    S, S_eps = float(np.abs(W).sum()), float(a.sum())
    R1 = g + np.sign(W) / S                           # the energy term is right
    return v + math.log(S) - math.log(S_eps), (R1 - (W / a) / S_eps).astype(dtype)


@pytest.mark.parametrize("case, profile", [
    (c, p) for c in ("lenet300_fc3_f64", "sparse_signed_12x10_f64", "rect_3x5_f64")
    for p in ("float64", "float32")] + [("tiny_3x3_f64", "float64")])   # 3x3: below float32 bound
def test_smooth_abs_sqrt_w2_plus_eps_is_named_with_its_eps(case, profile):
    # not float32_precision, additive_eps (in the log), memory_order, padding or unexplained
    report = _check(functools.partial(_smooth_abs_port, eps=1e-8), cases=case, profile=profile,
                    properties=False)
    assert not report.ok and diagnosis_names(report, case) == {"smooth_abs"}, str(report)
    assert "sqrt(W**2 + eps)" in str(report) and "eps ~ 1e-08" in str(report)


def test_a_tiny_smooth_abs_eps_is_named_under_float64_and_harmless_under_float32():
    fn = functools.partial(_smooth_abs_port, eps=1e-14)
    report = _check(fn, cases="lenet300_fc3_f64", properties=False)
    assert diagnosis_names(report, "lenet300_fc3_f64") == {"smooth_abs"}, str(report)
    assert "Harmless at float32 training precision" in str(report)
    assert _check(fn, cases="lenet300_fc3_f64", profile="float32", properties=False).ok


def _soft_sign_port(W, axes, eps=1e-10):
    """sign(W) computed as W / (|W| + eps) ('safe sign') in the gradient; the value is right."""
    W = np.asarray(W, dtype=np.float64)
    v, g, comps = mistaken_port(W, axes)
    S = float(np.abs(W).sum())
    return v, g + np.sign(W) / S - (W / (np.abs(W) + eps)) / S


@pytest.mark.parametrize("case", ["lenet300_fc3_f64", "sparse_signed_12x10_f64"])
def test_soft_sign_w_over_abs_w_plus_eps_is_named_with_its_eps(case):
    # not float32_precision ("part of the computation runs in float32")
    report = _check(_soft_sign_port, cases=case, properties=False)
    assert not report.ok and diagnosis_names(report, case) == {"soft_sign"}, str(report)
    assert "W / (|W| + eps)" in str(report) and "eps ~ 1e-10" in str(report)


# --- precision ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("case,twin", [("square_6x6_f64", "square_6x6_f32"),
                                       ("conv_8x3x5x5_f64", "conv_8x3x5x5_f32"),
                                       ("lenet300_fc3_f64", None)])
def test_float32_precision(case, twin):
    report = check(wrong_port(dtype=np.float32), cases=case)
    r = report[case]
    assert diagnosis_names(report, case) == {"float32_precision"}
    assert 1e-10 < max(r.value_abs, r.grad_rel) <= 1e-4
    if twin:   # the same float32 port passes the float32 case
        assert check(wrong_port(dtype=np.float32), cases=twin).ok


def test_reduced_precision_beyond_float32():
    report = check(wrong_port(mantissa_bits=11), cases="lenet300_fc3_f64")   # TF32: 10+1 bits
    r = report["lenet300_fc3_f64"]
    assert diagnosis_names(report, "lenet300_fc3_f64") == {"low_precision"}
    assert 1e-4 < max(r.value_abs, r.grad_rel) <= 1e-3


# --- a gradient not computed exactly, and intermediates in bfloat16 / float16 ------------------------

#: every golden case but the 2 x 2 one, on which a circular shift is the identity (E = 0)
ALL_CASES = [c for c in golden.load() if c != "tiny_2x2_f64"]


def test_a_finite_difference_gradient_is_an_inexact_gradient_not_float32():
    fn = functools.partial(fast_port, fd_step=1e-3)
    report = check(fn)
    assert not report.ok and report.failed
    for name in report.failed:
        assert diagnosis_names(report, name) == {"inexact_gradient"}, (name, str(report))
    text = str(report)
    assert "prop_finite_differences" in text and "finite differences" in text
    assert "jax_enable_x64" not in text


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("fmt", ["bfloat16", "float16"])
def test_low_precision_intermediates_are_named_on_every_failing_case(fmt, profile):
    report = check(functools.partial(fast_port, fmt=fmt), profile=profile)
    assert not report.ok and len(report.failed) >= 10, str(report)
    for name in report.failed:
        assert diagnosis_names(report, name) == {"low_precision"}, (name, str(report))
    assert ("bfloat16" if fmt == "bfloat16" else "float16") in str(report)


@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
def test_a_pytorch_port_with_half_precision_convolutions_is_low_precision(dtype):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    half = getattr(torch, dtype)
    gx = torch.tensor([[3.0, 0, -3], [10, 0, -10], [3, 0, -3]], dtype=torch.float64) / 32

    def port(W, axes):                    # autocast-like: the convolution in half precision
        if W.ndim != 2:
            raise NotImplementedError
        w = torch.tensor(W, requires_grad=True)
        kernels = torch.stack([gx, gx.T]).flip(-1, -2)[:, None].to(half)
        g = F.conv2d(w.to(half)[None, None], kernels, padding=1).float()
        H = 0.5 * torch.log(0.5 * (g * g).sum()) - torch.log(w.abs().sum())
        H.backward()
        return H, w.grad
    try:
        port(np.ones((3, 3)), (1, 0))
    except RuntimeError as exc:           # a CPU build without half-precision convolutions
        pytest.skip(f"no {dtype} conv2d here: {exc}")
    report = check(port, properties=False)
    assert not report.ok and report.failed
    for name in report.failed:
        assert diagnosis_names(report, name) == {"low_precision"}, (name, str(report))


def test_a_gradient_off_by_a_global_factor_is_not_called_one_term_scaled():
    def port(W, axes):
        v, g, _ = mistaken_port(W, axes)
        return v, 0.991 * g
    report = check(port, cases="tiny_2x2_f64")
    assert "gradient_terms" not in diagnosis_names(report, "tiny_2x2_f64")
    assert "0.991 x the reference" in diagnosis_messages(report, "tiny_2x2_f64")
