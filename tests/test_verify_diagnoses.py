"""Each named diagnosis of entropy_ref.verify, triggered by a deliberately wrong NumPy port.

The port below is written from the paper, independently of entropy_ref's code: scipy.ndimage for
the Scharr components and an explicit matrix of the component operator for the exact adjoint
(hence small cases only). Each test turns on one mistake and asserts the diagnosis by name; the
correct port must pass, so no diagnosis test can pass by accident.
"""

import functools
import itertools
import math

import numpy as np
import pytest
from scipy import ndimage

from entropy_ref import golden
from entropy_ref.verify import MATCH
from entropy_ref.verify import check as _check
from entropy_ref.verify.diagnoses.variant_grads import batch_axes
from entropy_ref.verify.diagnoses.variants import offset_candidates

#: the golden cases only: the property checks (on by default) are tested in tests/test_verify.py
check = functools.partial(_check, properties=False)

SMALL = ["tiny_2x2_f64", "tiny_3x3_f64", "rect_3x5_f64", "square_6x6_f64", "tall_9x4_f64",
         "sparse_signed_12x10_f64", "lenet300_fc3_f64", "conv_8x3x5x5_f64", "volume_4x5x6_f64",
         "square_6x6_f32", "conv_8x3x5x5_f32"]
MATRICES = ["rect_3x5_f64", "square_6x6_f64", "tall_9x4_f64", "lenet300_fc3_f64"]
TENSORS = ["conv_8x3x5x5_f64", "volume_4x5x6_f64"]

D = np.array([1.0, 0.0, -1.0]) / 2.0        # central difference, convolution order
S = np.array([3.0, 10.0, 3.0]) / 16.0       # Scharr smoothing


def _kernel(ndim, axes, axis, scale, smooth=S):
    k = np.ones([1] * ndim)
    for ax in range(ndim):
        v = D if ax == axis else (smooth if ax in axes else np.ones(1))
        k = k * v.reshape([-1 if a == ax else 1 for a in range(ndim)])
    return k * scale


def _components(W, axes, *, correlate=False, mode="constant", scale=1.0, smooth=S):
    f = ndimage.correlate if correlate else ndimage.convolve
    comps = []
    for axis in axes:
        kern = _kernel(W.ndim, axes, axis, scale, smooth)
        if mode == "valid":   # zero-padded result restricted to where the kernel fits
            c = ndimage.convolve(W, kern, mode="constant")
            c = c[tuple(slice(1, -1) if a in axes else slice(None) for a in range(W.ndim))]
        else:
            c = f(W, kern, mode=mode, cval=0.0)
        comps.append(c)
    return comps


def _matrix(op, W):
    """Explicit matrix of the linear map ``op`` (W -> one component), column j = op(e_j)."""
    cols = []
    for j in range(W.size):
        e = np.zeros(W.size, dtype=W.dtype)
        e[j] = 1
        cols.append(op(e.reshape(W.shape)).ravel())
    return np.stack(cols, axis=1)


def port(W, axes, *, correlate=False, mode="constant", kernel_scale=1.0, energy_div=None,
         mean_energy=False, mean_abs=False, outer=0.5, loss_sign=1.0, log=np.log, sign0=0.0,
         unflipped_adjoint=False, transpose_grad=False, dtype=np.float64, swap_components=False,
         abs_term=1.0, mantissa_bits=None, smooth=S, eps_E=0.0, eps_S=0.0, log_E=None,
         log_S=None, batch_mean=False, abs_norm=None, only=None):
    """H_C of eq. 3 with optional, one-at-a-time porting mistakes. Returns (value, grad, comps).

    Issue-9 mistakes: ``smooth`` (another edge kernel's smoothing), ``eps_E`` / ``eps_S``
    (additive eps inside the energy / sum|W| log), ``log_E`` / ``log_S`` (another log for one
    term), ``batch_mean`` (energy averaged over the slices outside ``axes``), ``abs_norm``
    (``W -> (N, dN/dW)`` replacing sum|W|), ``only`` (energy of one component only, no 1/k).
    """
    W = np.asarray(W).astype(dtype)
    k = len(axes)
    energy_div = k if energy_div is None else energy_div
    if only is not None:
        energy_div = 1.0
    opts = dict(correlate=correlate, mode=mode, scale=kernel_scale, smooth=smooth)
    comps = _components(W, axes, **opts)
    if mantissa_bits:          # components rounded like TF32 / bfloat16 hardware would
        comps = [np.ldexp(np.round(np.ldexp(m, mantissa_bits)), e - mantissa_bits)
                 for m, e in map(np.frexp, comps)]
    used = range(k) if only is None else [only]
    B = W.size // int(np.prod([W.shape[a] for a in axes])) if batch_mean else 1
    E = sum(float(np.sum(comps[i] * comps[i], dtype=dtype)) for i in used) / (energy_div * B)
    if abs_norm is None:
        Sabs = float(np.sum(np.abs(W), dtype=dtype))
        dN = np.where(W == 0, sign0, np.sign(W))
    else:
        Sabs, dN = abs_norm(W)
    n = W.size
    log_E, log_S = log_E or log, log_S or log
    value = (outer * log_E((E / n if mean_energy else E) + eps_E)
             - log_S((Sabs / n if mean_abs else Sabs) + eps_S))
    dE = np.zeros(W.shape, dtype=dtype)
    for i in used:
        c = comps[i]
        if unflipped_adjoint:      # G_i applied again instead of its adjoint G_i^T
            dE += _components(c, axes, **opts)[i]
        else:
            op = lambda x, i=i: _components(x, axes, **opts)[i]  # noqa: E731
            dE += (_matrix(op, W).T @ c.ravel()).reshape(W.shape)
    f_E = 1.0 / math.log(2.0) if log_E is np.log2 else 1.0
    f_S = 1.0 / math.log(2.0) if log_S is np.log2 else 1.0
    dE_total = 2 * dE / (energy_div * B)                       # d(E)/dW
    grad = (f_E * outer * dE_total / (E + (eps_E * n if mean_energy else eps_E))
            - f_S * abs_term * dN / (Sabs + (eps_S * n if mean_abs else eps_S)))
    if transpose_grad:
        grad = grad.T
    if swap_components:
        comps = comps[::-1]
    return loss_sign * value, loss_sign * grad, [c for c in comps] if mode != "valid" else None


def wrong(**mistakes):
    """A check()-able port with the given mistakes (components returned too)."""
    def fn(W, axes):
        return port(W, axes, **mistakes)
    return fn


def _names(report, case):
    return {d.name for d in report[case].diagnoses}


def test_correct_port_passes_every_small_case():
    report = check(wrong(), cases=SMALL)
    assert report.ok, str(report)
    assert report.diagnosis_names() == set()


@pytest.mark.parametrize("case", ["tiny_3x3_f64", "square_6x6_f64", "conv_8x3x5x5_f64"])
def test_sign_flipped_is_named_as_the_papers_l_C(case):
    report = check(wrong(loss_sign=-1.0), cases=case)
    assert not report.ok and _names(report, case) == {"sign_flipped"}
    assert "l_C" in str(report) and "loss='l_C'" in str(report)
    assert check(wrong(loss_sign=-1.0), loss="l_C", cases=case).ok


def test_H_C_checked_as_l_C_is_named_too():
    report = check(wrong(), loss="l_C", cases="square_6x6_f64")
    assert _names(report, "square_6x6_f64") == {"sign_flipped"}
    assert "not the sparsity loss" in str(report)


@pytest.mark.parametrize("scale,offset", [(32.0, math.log(32)), (16.0, math.log(16)), (2.0, math.log(2))])
@pytest.mark.parametrize("case", MATRICES)
def test_kernel_normalisation(case, scale, offset):
    report = check(wrong(kernel_scale=scale), cases=case)
    r = report[case]
    assert _names(report, case) == {"kernel_normalisation"}
    assert abs(r.value_abs - offset) <= 1e-12       # the value is off by log(scale) ...
    assert r.grad_rel <= 1e-10                       # ... and the gradient is unchanged


def test_kernel_normalisation_on_three_axes():
    case = "volume_4x5x6_f64"
    report = check(wrong(kernel_scale=512.0), cases=case)   # integer 3-D kernel: 2 * 16 * 16
    assert _names(report, case) == {"kernel_normalisation"}


@pytest.mark.parametrize("case", MATRICES + ["conv_8x3x5x5_f64"])
def test_half_inside_the_log_missing(case):
    report = check(wrong(energy_div=1.0), cases=case)
    assert _names(report, case) == {"half_in_log_missing"}
    assert abs(report[case].value_abs - 0.5 * math.log(2)) <= 1e-12


def test_one_half_instead_of_one_over_k_for_three_axes():
    report = check(wrong(energy_div=2.0), cases="volume_4x5x6_f64")
    assert _names(report, "volume_4x5x6_f64") == {"energy_normalisation"}


@pytest.mark.parametrize("mistake", [dict(mean_energy=True), dict(mean_abs=True),
                                     dict(mean_energy=True, mean_abs=True)])
@pytest.mark.parametrize("case", ["square_6x6_f64", "lenet300_fc3_f64", "conv_8x3x5x5_f64"])
def test_mean_instead_of_sum(case, mistake):
    report = check(wrong(**mistake), cases=case)
    assert _names(report, case) == {"mean_instead_of_sum"}


def test_integer_kernel_in_an_l_C_port_names_both_mistakes():
    report = check(wrong(loss_sign=-1.0, kernel_scale=32.0), cases="lenet300_fc3_f64")
    assert _names(report, "lenet300_fc3_f64") == {"sign_flipped", "kernel_normalisation"}


@pytest.mark.parametrize("case", SMALL)
def test_correlation_is_harmless_for_value_and_gradient(case):
    def value_and_grad_only(W, axes):
        v, g, _ = port(W, axes, correlate=True)
        return v, g
    assert check(value_and_grad_only, cases=case).ok


@pytest.mark.parametrize("case", ["tiny_2x2_f64", "square_6x6_f64", "conv_8x3x5x5_f64"])
def test_correlation_negates_components_and_is_named_harmless(case):
    report = check(wrong(correlate=True), cases=case)
    r = report[case]
    assert r.value_abs <= 1e-10 and r.grad_rel <= 1e-10 and r.comp_rel >= 1.0
    assert _names(report, case) == {"correlation"}
    assert all(d.harmless for d in r.diagnoses) and "Harmless" in str(report)
    assert report.ok                        # a harmless convention is not a failure


@pytest.mark.parametrize("mode", ["reflect", "mirror", "nearest", "wrap", "valid"])
@pytest.mark.parametrize("case", ["square_6x6_f64", "tall_9x4_f64", "lenet300_fc3_f64"])
def test_padding_other_than_zeros(case, mode):
    report = check(wrong(mode=mode), cases=case)
    assert _names(report, case) == {"padding"}, str(report)
    msg = " ".join(d.message for d in report[case].diagnoses)
    numpy_name = {"reflect": "'symmetric'", "mirror": "'reflect'", "nearest": "'edge'",
                  "wrap": "'wrap'", "valid": "'valid'"}[mode]
    assert numpy_name in msg                          # the mode is identified from the value ...
    if min(report[case].shape) >= 5:                  # ... and, with an interior, from the gradient
        assert "within one entry of the boundary" in msg


def test_padding_on_a_tiny_case_is_named_from_the_value():
    report = check(wrong(mode="nearest"), cases="tiny_3x3_f64")
    assert _names(report, "tiny_3x3_f64") == {"padding"}


@pytest.mark.parametrize("case", ["rect_3x5_f64", "tall_9x4_f64", "square_6x6_f64"])
def test_transposed_gradient(case):
    report = check(wrong(transpose_grad=True), cases=case)
    assert _names(report, case) == {"transposed"}


def test_swapped_components_are_named_and_harmless():
    report = check(wrong(swap_components=True), cases="rect_3x5_f64")
    r = report["rect_3x5_f64"]
    assert _names(report, "rect_3x5_f64") == {"components_swapped"} and r.diagnoses[0].harmless


@pytest.mark.parametrize("wrong_axes", [(0, 1), "flatten"])
def test_wrong_axes_on_a_conv_tensor(wrong_axes):
    def fn(W, axes):
        if wrong_axes == "flatten":
            v, g, _ = port(W.reshape(W.shape[0], -1), (1, 0))
            return v, g.reshape(W.shape)
        v, g, _ = port(W, wrong_axes)
        return v, g
    report = check(fn, cases="conv_8x3x5x5_f64")
    assert _names(report, "conv_8x3x5x5_f64") == {"wrong_axes"}


@pytest.mark.parametrize("case,twin", [("square_6x6_f64", "square_6x6_f32"),
                                       ("conv_8x3x5x5_f64", "conv_8x3x5x5_f32"),
                                       ("lenet300_fc3_f64", None)])
def test_float32_precision(case, twin):
    report = check(wrong(dtype=np.float32), cases=case)
    r = report[case]
    assert _names(report, case) == {"float32_precision"}
    assert 1e-10 < max(r.value_abs, r.grad_rel) <= 1e-4
    if twin:   # the same float32 port passes the float32 case
        assert check(wrong(dtype=np.float32), cases=twin).ok


@pytest.mark.parametrize("case", ["tiny_3x3_f64", "sparse_signed_12x10_f64"])
def test_sign_at_zero(case):
    report = check(wrong(sign0=1.0), cases=case)
    assert _names(report, case) == {"sign_at_zero"}


def test_adjoint_not_flipped_in_a_hand_written_backward():
    report = check(wrong(unflipped_adjoint=True), cases="square_6x6_f64")
    assert _names(report, "square_6x6_f64") == {"adjoint_not_flipped"}


def test_outer_half_missing():
    report = check(wrong(outer=1.0), cases="tall_9x4_f64")
    assert _names(report, "tall_9x4_f64") == {"outer_half_missing"}


def test_bits_instead_of_nats_and_back():
    assert _names(check(wrong(log=np.log2), cases="tall_9x4_f64"), "tall_9x4_f64") == {"log_base"}
    assert check(wrong(log=np.log2), unit="bits", cases="tall_9x4_f64").ok
    assert _names(check(wrong(), unit="bits", cases="tall_9x4_f64"), "tall_9x4_f64") == {"log_base"}


def test_column_major_reading_of_the_input():
    def fn(W, axes):
        F = np.asarray(W).ravel(order="C").reshape(W.shape, order="F")
        v, g, _ = port(F, axes)
        return v, g.ravel(order="F").reshape(W.shape)   # the gradient written back consistently
    report = check(fn, cases="rect_3x5_f64")
    assert _names(report, "rect_3x5_f64") == {"memory_order"}


def test_noise_is_unexplained():
    rng = np.random.default_rng(0)

    def fn(W, axes):
        v, g, _ = port(W, axes)
        return v + 0.01, g + 0.1 * rng.standard_normal(g.shape) * np.abs(g).max()
    report = check(fn, cases="square_6x6_f64")
    assert _names(report, "square_6x6_f64") == {"unexplained"}


@pytest.mark.parametrize("abs_term,name", [(0.0, "gradient_term_missing"), (2.0, "gradient_terms")])
def test_gradient_with_one_term_dropped_or_scaled(abs_term, name):
    report = check(wrong(abs_term=abs_term), cases="tall_9x4_f64")
    assert _names(report, "tall_9x4_f64") == {name}


def test_value_and_gradient_signs_flipped_separately():
    def grad_flipped(W, axes):
        v, g, _ = port(W, axes)
        return v, -g

    def value_flipped(W, axes):
        v, g, _ = port(W, axes)
        return -v, g
    assert _names(check(grad_flipped, cases="tall_9x4_f64"), "tall_9x4_f64") == {"grad_sign_flipped"}
    assert _names(check(value_flipped, cases="tall_9x4_f64"), "tall_9x4_f64") == {"value_sign_flipped"}


def test_unknown_constant_offset_is_reported_with_its_factors():
    def shifted(W, axes):
        v, g, _ = port(W, axes)
        return v + 0.123, g
    report = check(shifted, cases="square_6x6_f64")
    assert _names(report, "square_6x6_f64") == {"constant_offset"}
    assert "+0.123000" in str(report)


def test_one_component_negated_is_a_harmless_sign_convention():
    def y_up(W, axes):
        v, g, (g_x, g_y) = port(W, axes)
        return v, g, (g_x, -g_y)
    report = check(y_up, cases="rect_3x5_f64")
    r = report["rect_3x5_f64"]
    assert _names(report, "rect_3x5_f64") == {"component_sign"} and r.diagnoses[0].harmless


def test_transposed_components():
    def comps_transposed(W, axes):
        v, g, comps = port(W, axes)
        return v, g, [c.T for c in comps]
    report = check(comps_transposed, cases="square_6x6_f64")
    assert _names(report, "square_6x6_f64") == {"transposed"}


@pytest.mark.parametrize("case", list(golden.load()))
def test_candidate_offsets_are_far_apart_compared_with_the_match_tolerance(case):
    c = golden.load()[case]
    batch = int(np.prod([c.shape[a] for a in batch_axes(c.shape, c.axes)]))
    groups = offset_candidates(len(c.axes), c.W.size, batch=batch,
                               thin=c.W.ndim == 2 and min(c.shape) == 1)
    sums = {round(sum(d for _, _, d in combo), 12)
            for size in range(1, len(groups) + 1)
            for chosen in itertools.combinations(groups, size)
            for combo in itertools.product(*chosen)}
    ordered = sorted(sums)
    assert min(b - a for a, b in zip(ordered, ordered[1:])) > 10 * MATCH


def test_reduced_precision_beyond_float32():
    report = check(wrong(mantissa_bits=11), cases="lenet300_fc3_f64")   # TF32: 10+1 bits
    r = report["lenet300_fc3_f64"]
    assert _names(report, "lenet300_fc3_f64") == {"low_precision"}
    assert 1e-4 < max(r.value_abs, r.grad_rel) <= 1e-3


# --- issue 9: the kit never crashes on components that are not the reference's -----------------

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
    report = check(_sobel_port, cases=case)     # raised ValueError: shapes differ (8, 9) vs (9, 8)
    assert not report.ok and report[case].diagnoses


# --- issue 9: better diagnoses; every wrong port fails under both profiles with its name --------

PROFILES = ["float64", "float32"]
SOBEL, PREWITT = np.array([1.0, 2.0, 1.0]) / 4.0, np.array([1.0, 1.0, 1.0]) / 3.0


def _value_grad_only(**mistakes):
    def fn(W, axes):
        v, g, _ = port(W, axes, **mistakes)
        return v, g
    return fn


def _messages(report, case):
    return " ".join(d.message for d in report[case].diagnoses)


def _induced_1_norm(W):
    """``torch.linalg.norm(W, ord=1)``: the largest column sum of |W|, and its gradient."""
    sums = np.abs(W).sum(axis=0)
    j = int(np.argmax(sums))
    d = np.zeros_like(W)
    d[:, j] = np.sign(W[:, j])
    return float(sums[j]), d


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("case", ["tiny_2x2_f64", "rect_3x5_f64", "linspace_8x9_f64"])
def test_additive_eps_in_the_logs_is_named_with_its_size_not_float32(case, profile):
    report = check(_value_grad_only(eps_E=1e-3, eps_S=1e-3), cases=case, profile=profile)
    assert not report.ok and _names(report, case) == {"additive_eps"}, str(report)
    msg = _messages(report, case)
    assert "eps ~ 0.001" in msg and "NOT harmless at float32" in msg


@pytest.mark.parametrize("case", ["tiny_2x2_f64", "rect_3x5_f64", "lenet300_fc3_f64",
                                  "conv_8x3x5x5_f64", "volume_4x5x6_f64"])
def test_a_tiny_eps_is_named_and_called_harmless_at_training_precision(case):
    # eps = 1e-8 (a common habit) fails the float64 tolerance; it used to be called float32_precision
    report = check(_value_grad_only(eps_E=1e-8, eps_S=1e-8), cases=case)
    assert _names(report, case) == {"additive_eps"}, str(report)
    msg = _messages(report, case)
    assert "eps ~ 1e-08" in msg and "Harmless at float32 training precision" in msg
    assert "NOT harmless" not in msg
    assert check(_value_grad_only(eps_E=1e-8, eps_S=1e-8), cases=case, profile="float32").ok


@pytest.mark.parametrize("profile", PROFILES)
def test_additive_eps_in_one_log_only(profile):
    report = check(_value_grad_only(eps_S=1e-3), cases="tall_9x4_f64", profile=profile)
    assert _names(report, "tall_9x4_f64") == {"additive_eps"}
    msg = _messages(report, "tall_9x4_f64")
    assert "log(sum|W| + eps) with eps ~ 0.001" in msg and "log(E + eps)" not in msg


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("term", ["log_E", "log_S"])
@pytest.mark.parametrize("case", ["rect_3x5_f64", "lenet300_fc3_f64", "conv_8x3x5x5_f64"])
def test_log2_on_one_term_names_one_over_ln_2(case, term, profile):
    report = check(_value_grad_only(**{term: np.log2}), cases=case, profile=profile)
    assert not report.ok and _names(report, case) == {"log_base_mixed"}
    msg = _messages(report, case)
    assert "1/ln 2 = 1.4427" in msg and ("energy term" if term == "log_E" else "|W| term") in msg


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("smooth,scale,needle", [
    (SOBEL, 1.0, "Sobel kernel (normalised as [[1, 0, -1], [2, 0, -2], [1, 0, -1]] / 8)"),
    (SOBEL, 8.0, "Sobel kernel (unnormalised"),
    (PREWITT, 1.0, "Prewitt kernel (normalised"),
    (PREWITT, 6.0, "Prewitt kernel (unnormalised"),
    (np.array([47.0, 162.0, 47.0]) / 256.0, 1.0, "47/162"),
])
@pytest.mark.parametrize("case", ["tiny_2x2_f64", "rect_3x5_f64", "linspace_8x9_f64",
                                  "lenet300_fc3_f64", "conv_8x3x5x5_f64"])
def test_other_edge_kernels_are_named_without_spurious_padding(case, smooth, scale, needle, profile):
    report = check(_value_grad_only(smooth=smooth, kernel_scale=scale), cases=case, profile=profile)
    assert not report.ok and _names(report, case) == {"other_kernel"}, str(report)
    assert needle in _messages(report, case)


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("smooth,scale,needle", [
    (SOBEL, 1.0, "Sobel kernel [[1, 0, -1], [2, 0, -2], [1, 0, -1]] / 8 (on a single row"),
    (SOBEL, 8.0, "Sobel kernel [[1, 0, -1], [2, 0, -2], [1, 0, -1]] without its 1/8"),
    (PREWITT, 1.0, "Prewitt kernel [[1, 0, -1], [1, 0, -1], [1, 0, -1]] / 6"),
    (PREWITT, 6.0, "Prewitt kernel [[1, 0, -1], [1, 0, -1], [1, 0, -1]] without its 1/6"),
    (np.array([47.0, 162.0, 47.0]) / 256.0, 1.0, "[[47, 0, -47], [162, 0, -162], [47, 0, -47]] / 512"),
])
def test_other_edge_kernels_on_a_single_row_act_through_their_centre_weight(smooth, scale, needle,
                                                                           profile):
    # on 1 x n the smoothing sees only its centre tap: the gradient is right, the value off by
    # log(w / (10/16)) - a constant offset that names the kernel
    report = check(_value_grad_only(smooth=smooth, kernel_scale=scale), cases="row_1x8_f64",
                   profile=profile)
    assert not report.ok and _names(report, "row_1x8_f64") == {"other_kernel"}, str(report)
    assert needle in _messages(report, "row_1x8_f64")


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("case", ["rect_3x5_f64", "linspace_8x9_f64", "tall_9x4_f64",
                                  "conv_8x3x5x5_f64"])
def test_other_edge_kernels_are_named_from_the_components_too(case, profile):
    report = check(wrong(smooth=SOBEL, kernel_scale=8.0), cases=case, profile=profile)
    assert not report.ok and _names(report, case) == {"other_kernel"}, str(report)
    assert "integer kernel [[1, 0, -1], [2, 0, -2], [1, 0, -1]] (no 1/8)" in str(report)
    assert "padding" not in str(report)


@pytest.mark.parametrize("profile", PROFILES)
def test_unnormalised_scharr_is_still_kernel_normalisation_without_padding(profile):
    report = check(wrong(kernel_scale=32.0), cases="linspace_8x9_f64", profile=profile)
    assert _names(report, "linspace_8x9_f64") == {"kernel_normalisation"}


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("case", ["tiny_2x2_f64", "rect_3x5_f64", "lenet300_fc3_f64",
                                  "conv_8x3x5x5_f64", "volume_4x5x6_f64"])
def test_energy_from_one_component_only(case, profile):
    report = check(_value_grad_only(only=0), cases=case, profile=profile)
    assert not report.ok and _names(report, case) == {"one_component"}, str(report)
    want = "g_x (axis 1) only" if golden.load()[case].W.ndim == 2 else "g_axis"
    assert want in _messages(report, case)


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("case", ["tiny_2x2_f64", "rect_3x5_f64", "linspace_8x9_f64",
                                  "lenet300_fc3_f64"])
def test_induced_matrix_1_norm_instead_of_sum_abs(case, profile):
    report = check(_value_grad_only(abs_norm=_induced_1_norm), cases=case, profile=profile)
    assert not report.ok and _names(report, case) == {"matrix_norm"}, str(report)
    assert "torch.linalg.norm(W, ord=1)" in _messages(report, case)


def _frobenius(W):
    n = float(np.sqrt(np.sum(W * W)))
    return n, W / n


def _spectral(W):
    U, s, Vt = np.linalg.svd(W, full_matrices=False)
    return float(s[0]), np.outer(U[:, 0], Vt[0])


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("norm,needle", [(_frobenius, "Frobenius"), (_spectral, "spectral")])
def test_other_matrix_norms_instead_of_sum_abs(norm, needle, profile):
    report = check(_value_grad_only(abs_norm=norm), cases="tall_9x4_f64", profile=profile)
    assert _names(report, "tall_9x4_f64") == {"matrix_norm"}
    assert needle in _messages(report, "tall_9x4_f64")


@pytest.mark.parametrize("profile", PROFILES)
def test_energy_averaged_over_the_batch_names_B(profile):
    report = check(_value_grad_only(batch_mean=True), cases="conv_8x3x5x5_f64", profile=profile)
    assert not report.ok and _names(report, "conv_8x3x5x5_f64") == {"batch_mean"}
    assert "energy factor 1/24 = 1/B" in str(report)


def _reshaping_port(back: bool):
    """Meant ``W.T`` (a port written for the (in, out) layout) but wrote ``W.reshape(C, R)``."""
    def fn(W, axes):
        R, C = W.shape
        v, g, _ = port(W.reshape(C, R), axes)
        return v, (g.reshape(R, C) if back else g)
    return fn


def _fixed_port(W, axes):
    """The fix the diagnosis prescribes: W.T, and the gradient transposed back."""
    v, g, _ = port(W.T, axes)
    return v, g.T


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("back", [False, True])
@pytest.mark.parametrize("case", ["rect_3x5_f64", "linspace_8x9_f64", "tall_9x4_f64",
                                  "lenet300_fc3_f64"])
def test_reshape_used_as_a_transpose_is_memory_order_not_transposed(case, back, profile):
    report = check(_reshaping_port(back), cases=case, profile=profile)
    assert not report.ok and _names(report, case) == {"memory_order"}, str(report)
    msg = _messages(report, case)
    assert "a reshape keeps the memory order and is not a transpose" in msg and "W.T" in msg
    assert check(_fixed_port, cases=case, profile=profile).ok      # the fix text works


@pytest.mark.parametrize("profile", PROFILES)
def test_a_transposed_gradient_is_still_transposed_and_its_fix_works(profile):
    def fn(W, axes):
        v, g, _ = port(W, axes)
        return v, g.T
    report = check(fn, cases="rect_3x5_f64", profile=profile)
    assert _names(report, "rect_3x5_f64") == {"transposed"} and "grad.T" in str(report)


def test_near_zero_numbers_print_without_a_minus_sign_so_diagnoses_group():
    from entropy_ref.verify.diagnoses.relations import num
    assert num(-4e-5, ".3f") == num(4e-5, ".3f") == "0.000"
    assert num(-4e-6, "+.4f") == "+0.0000" and num(-0.25, ".3f") == "-0.250"

    def dropped_abs_term(W, axes):             # the lstsq coefficient of the |W| term is ~ +-1e-17
        v, g, _ = port(W, axes, abs_term=0.0)
        return v, g
    report = check(dropped_abs_term, cases=["tall_9x4_f64", "square_6x6_f64", "rect_3x5_f64"])
    heads = {d.message.split(":")[0] for r in report.results for d in r.diagnoses}
    assert all("-0.000" not in h for h in heads)
    assert len(heads) == 1, heads


# --- golden v2 cases: the batch of matrices, the reshape case, the 1 x n row ---------------------

@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("case", ["batch_5x6x7_f64", "batch_5x6x7_f32"])
def test_batch_mean_of_the_energy_names_B_5(case, profile):
    report = check(_value_grad_only(batch_mean=True), cases=case, profile=profile)
    assert not report.ok and _names(report, case) == {"batch_mean"}
    assert "energy factor 1/5 = 1/B" in str(report)


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("how", ["mean", "sum"])
def test_per_matrix_H_C_over_a_batch(how, profile):
    def fn(W, axes):                      # H_C of each matrix, then averaged / summed
        parts = [port(M, (1, 0)) for M in W]
        v = sum(p[0] for p in parts)
        g = np.stack([p[1] for p in parts])
        return (v / len(parts), g / len(parts)) if how == "mean" else (v, g)
    report = check(fn, cases="batch_5x6x7_f64", profile=profile)
    assert not report.ok and _names(report, "batch_5x6x7_f64") == {"per_matrix"}, str(report)
    assert f"the {how} over the B = 5 slices" in str(report)


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("back", [False, True])
def test_reshape_instead_of_transpose_on_the_reshape_case_and_on_a_batch(back, profile):
    report = check(_reshaping_port(back), cases="reshape_4x7_f64", profile=profile)
    assert _names(report, "reshape_4x7_f64") == {"memory_order"}

    def batch_reshape(W, axes):          # W.reshape(B, C, R) meant as W.mT
        B, R, C = W.shape
        v, g, _ = port(W.reshape(B, C, R), axes)
        return v, (g.reshape(B, R, C) if back else g)
    report = check(batch_reshape, cases="batch_5x6x7_f64", profile=profile)
    assert _names(report, "batch_5x6x7_f64") == {"memory_order"}, str(report)
    assert "W.reshape(5, 7, 6)" in str(report)


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("mode", ["reflect", "nearest", "wrap"])
def test_padding_on_the_1_by_n_row(mode, profile):
    report = check(_value_grad_only(mode=mode), cases="row_1x8_f64", profile=profile)
    assert not report.ok and _names(report, "row_1x8_f64") == {"padding"}, str(report)


@pytest.mark.parametrize("profile", PROFILES)
def test_correct_port_passes_the_new_cases(profile):
    report = check(wrong(), cases=["batch_5x6x7_f64", "batch_5x6x7_f32", "reshape_4x7_f64",
                                   "row_1x8_f64", "volume_4x5x6_f32"], profile=profile)
    assert report.ok, str(report)


# --- docs/diagnoses.md lists every name, and every test it cites exists ---------------------------

def _diagnosis_names_in_the_source():
    import re
    from pathlib import Path
    import entropy_ref.verify as verify
    names = set()
    for path in Path(verify.__file__).parent.rglob("*.py"):
        text = path.read_text()
        names |= set(re.findall(r'Diagnosis\(\s*"([a-z_0-9]+)"', text))
        names |= set(re.findall(r'name = "(prop_[a-z_]+)"', text))
    names |= {name for group in offset_candidates(3, 600, batch=24) for name, _, _ in group}
    return names


def test_every_diagnosis_name_is_documented_in_docs_diagnoses():
    from pathlib import Path
    page = (Path(__file__).resolve().parent.parent / "docs" / "diagnoses.md").read_text()
    names = _diagnosis_names_in_the_source()
    assert {"additive_eps", "batch_mean", "other_kernel", "memory_order", "prop_euler"} <= names
    missing = sorted(n for n in names if f"`{n}`" not in page)
    assert not missing, f"not in docs/diagnoses.md: {missing}"


def test_every_test_cited_in_docs_diagnoses_exists():
    import re
    from pathlib import Path
    root = Path(__file__).resolve().parent.parent
    page = (root / "docs" / "diagnoses.md").read_text()
    cited = set(re.findall(r"`(test_[a-z0-9_]+)`", page))
    cited |= set(re.findall(r"`tests/\w+\.py::(test_\w+)`", page))
    source = "".join(p.read_text() for p in (root / "tests").glob("test_*.py"))
    assert len(cited) > 30
    assert not sorted(t for t in cited if f"def {t}(" not in source)


# --- the same mistakes in a real PyTorch port (F.conv2d + autograd), float64 and float32 ----------

def _torch_port(dtype="float64", eps=0.0, log2_energy=False, smooth=(3.0, 10.0, 3.0), norm=None,
                only_x=False, reshape=False, batch_mean=False):
    """``fn(W, axes)`` written the way a PyTorch user would, with one switchable mistake."""
    torch = pytest.importorskip("torch")
    F = torch.nn.functional

    def fn(W, axes):
        shape = W.shape
        t = torch.tensor(np.asarray(W), dtype=getattr(torch, dtype), requires_grad=True)
        x = t.reshape(shape[1], shape[0]) if reshape else t       # meant t.T
        x = x.reshape(-1, 1, *x.shape[-2:])                      # (batch, 1, R, C)
        s = torch.tensor(smooth, dtype=x.dtype)
        kx = torch.outer(s / s.sum(), torch.tensor([1.0, 0.0, -1.0], dtype=x.dtype) / 2)
        gx = F.conv2d(x, kx.reshape(1, 1, 3, 3), padding=1)      # cross-correlation: harmless
        gy = F.conv2d(x, kx.T.reshape(1, 1, 3, 3), padding=1)
        energy = (gx ** 2).sum() if only_x else ((gx ** 2).sum() + (gy ** 2).sum()) / 2
        if batch_mean:
            energy = energy / x.shape[0]
        if norm == "ord1":
            S = torch.linalg.norm(x[0, 0], ord=1)
        else:
            S = t.abs().sum()
        log_e = torch.log2 if log2_energy else torch.log
        value = 0.5 * log_e(energy + eps) - torch.log(S + eps)
        value.backward()
        return value, t.grad
    return fn


TORCH_MISTAKES = [
    (dict(eps=1e-3), "tiny_2x2_f64", "additive_eps"),
    (dict(log2_energy=True), "rect_3x5_f64", "log_base_mixed"),
    (dict(smooth=(1.0, 2.0, 1.0)), "linspace_8x9_f64", "other_kernel"),
    (dict(smooth=(1.0, 1.0, 1.0)), "lenet300_fc3_f64", "other_kernel"),
    (dict(norm="ord1"), "linspace_8x9_f64", "matrix_norm"),
    (dict(only_x=True), "tall_9x4_f64", "one_component"),
    (dict(reshape=True), "reshape_4x7_f64", "memory_order"),
    (dict(batch_mean=True), "batch_5x6x7_f64", "batch_mean"),
]


@pytest.mark.parametrize("dtype,profile", [("float64", "float64"), ("float64", "float32"),
                                           ("float32", "float32")])
@pytest.mark.parametrize("mistake,case,name", TORCH_MISTAKES)
def test_a_pytorch_port_with_each_mistake_gets_its_name(mistake, case, name, dtype, profile):
    assert check(_torch_port(dtype), cases=case, profile=profile).ok        # the correct port
    report = check(_torch_port(dtype, **mistake), cases=case, profile=profile)
    assert not report.ok and _names(report, case) == {name}, str(report)


def test_the_numbers_in_docs_diagnoses_are_the_codes():
    from pathlib import Path
    page = (Path(__file__).resolve().parent.parent / "docs" / "diagnoses.md").read_text()
    assert "`MATCH = 1e-3`" in page and MATCH == 1e-3
    from entropy_ref.verify.diagnoses.eps import FLOAT32_SCALE
    assert "float32 size (below `1e-4` relative)" in page and FLOAT32_SCALE == 1e-4
    from entropy_ref.verify.diagnoses.variant_grads import SVD_MAX_SIZE
    assert "at most 5 000 entries" in page and SVD_MAX_SIZE == 5000
    offsets = {round(d, 4) for group in offset_candidates(2, 100) for _, _, d in group}
    for text, value in [("+log 32 = 3.4657", math.log(32)), ("+log 16 = 2.7726", math.log(16)),
                        ("+log 2 = 0.6931", math.log(2)), ("+½ log 2 = 0.3466", 0.5 * math.log(2))]:
        assert text in page and round(value, 4) in offsets
    assert "1/ln 2 = 1.4427" in page and round(1 / math.log(2), 4) == 1.4427
    assert "1/ln 10 = 0.4343" in page and round(1 / math.log(10), 4) == 0.4343
    scales = golden.load()["batch_5x6x7_f64"].recipe
    assert "matrices of scales 0.5 to 8" in page and "[0.5, 1.0, 2.0, 4.0, 8.0]" in scales


@pytest.mark.parametrize("eps", [1e-8, 1e-7, 1e-6, 1.234e-7])
@pytest.mark.parametrize("case", ["rect_3x5_f64", "conv_8x3x5x5_f64", "lenet300_fc3_f64"])
def test_usual_eps_values_are_named_additive_eps(case, eps):
    report = check(_value_grad_only(eps_E=eps, eps_S=eps), cases=case)
    assert _names(report, case) == {"additive_eps"}, str(report)


def test_an_eps_below_the_float64_tolerance_passes():
    # 3e-9 moves lenet300_fc3 by 1.5e-11 nats and 4.7e-11 (gradient): within 1e-10, no failure
    assert check(_value_grad_only(eps_E=3e-9, eps_S=3e-9), cases="lenet300_fc3_f64").ok
    assert _names(check(_value_grad_only(eps_E=3e-9, eps_S=3e-9), cases="rect_3x5_f64"),
                  "rect_3x5_f64") == {"additive_eps"}


def _float32_sums_port(W, axes):
    """Correct in float64 except E and sum|W| accumulated sequentially in float32."""
    v, g, comps = port(W, axes)
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
    assert not report.ok and _names(report, case) == {"float32_precision"}, str(report)


@pytest.mark.parametrize("case", ["rect_3x5_f64", "tall_9x4_f64", "square_6x6_f64"])
def test_zero_components_are_not_called_padding(case):
    # a case without interior (3 x 5: every entry is within one of the boundary) cannot show that
    # errors are confined to the boundary; the padded components themselves are compared instead
    # (on 2 x 2, reflect padding does give zero components)
    def zero_components(W, axes):
        v, g, comps = port(W, axes)
        return v, g, [np.zeros_like(c) for c in comps]
    report = check(zero_components, cases=case)
    assert not report.ok and _names(report, case) == {"unexplained"}, str(report)


def _np_gradient_port(W, axes, half=0.5):
    """H_C with np.gradient for the two components (no smoothing, one-sided differences at the
    edges instead of zero padding), the gradient through each axis' difference matrix."""
    import scipy.sparse as sp

    if W.ndim != 2:
        raise NotImplementedError("matrices only")
    W = np.asarray(W, dtype=np.float64)

    def D(n):                                  # np.gradient along an axis of length n, as a matrix
        return sp.csr_matrix(np.gradient(np.eye(n), axis=0))

    Dr, Dc = D(W.shape[0]), D(W.shape[1])
    gy, gx = np.gradient(W)                    # what a user writes
    E, S = half * float(np.sum(gx * gx + gy * gy)), float(np.abs(W).sum())
    dE = Dr.T @ gy + (Dc.T @ gx.T).T
    return 0.5 * math.log(E) - math.log(S), half * dE / E - np.sign(W) / S   # d(1/2 log E)


@pytest.mark.parametrize("half", [0.5, 1.0])
@pytest.mark.parametrize("profile", ["float64", "float32"])
def test_np_gradient_instead_of_the_scharr_operator_is_named(profile, half):
    # was 'unexplained' on most cases, 'gradient_terms' on 2 x 2 and 'padding' on 8 x 9
    cases = ["tiny_2x2_f64", "rect_3x5_f64", "linspace_8x9_f64", "sparse_signed_12x10_f64",
             "lenet300_fc3_f64", "square_6x6_f32"]
    report = _check(functools.partial(_np_gradient_port, half=half), cases=cases,
                    profile=profile, properties=False)
    assert sorted(report.failed) == sorted(cases), str(report)
    assert all(_names(report, c) == {"numpy_gradient"} for c in cases), str(report)
    assert "np.gradient" in str(report) and "one-sided" in str(report)


def _smooth_abs_port(W, axes, eps=1e-8):
    """sum sqrt(W**2 + eps) for sum|W| (a 'smooth |w|', differentiable at 0)."""
    W = np.asarray(W, dtype=np.float64)
    v, g, comps = port(W, axes)
    a = np.sqrt(W * W + eps)
    S, S_eps = float(np.abs(W).sum()), float(a.sum())
    R1 = g + np.sign(W) / S                           # the energy term is right
    return v + math.log(S) - math.log(S_eps), R1 - (W / a) / S_eps


@pytest.mark.parametrize("case, profile", [
    (c, p) for c in ("lenet300_fc3_f64", "sparse_signed_12x10_f64", "rect_3x5_f64")
    for p in ("float64", "float32")] + [("tiny_3x3_f64", "float64")])   # 3x3: below float32 bound
def test_smooth_abs_sqrt_w2_plus_eps_is_named_with_its_eps(case, profile):
    # was float32_precision, additive_eps (in the log), memory_order, padding or unexplained
    report = _check(functools.partial(_smooth_abs_port, eps=1e-8), cases=case, profile=profile,
                    properties=False)
    assert not report.ok and _names(report, case) == {"smooth_abs"}, str(report)
    assert "sqrt(W**2 + eps)" in str(report) and "eps ~ 1e-08" in str(report)


def test_a_tiny_smooth_abs_eps_is_named_under_float64_and_harmless_under_float32():
    fn = functools.partial(_smooth_abs_port, eps=1e-14)
    report = _check(fn, cases="lenet300_fc3_f64", properties=False)
    assert _names(report, "lenet300_fc3_f64") == {"smooth_abs"}, str(report)
    assert "Harmless at float32 training precision" in str(report)
    assert _check(fn, cases="lenet300_fc3_f64", profile="float32", properties=False).ok


def _soft_sign_port(W, axes, eps=1e-10):
    """sign(W) computed as W / (|W| + eps) ('safe sign') in the gradient; the value is right."""
    W = np.asarray(W, dtype=np.float64)
    v, g, comps = port(W, axes)
    S = float(np.abs(W).sum())
    return v, g + np.sign(W) / S - (W / (np.abs(W) + eps)) / S


@pytest.mark.parametrize("case", ["lenet300_fc3_f64", "sparse_signed_12x10_f64"])
def test_soft_sign_w_over_abs_w_plus_eps_is_named_with_its_eps(case):
    # was float32_precision ("part of the computation runs in float32")
    report = _check(_soft_sign_port, cases=case, properties=False)
    assert not report.ok and _names(report, case) == {"soft_sign"}, str(report)
    assert "W / (|W| + eps)" in str(report) and "eps ~ 1e-10" in str(report)


def test_a_right_value_is_never_taken_for_another_padding_on_a_large_matrix():
    # on 300 x 784 the reflect-padded H_C is within MATCH of the zero-padded one, so a port with
    # the right value and a float16-rounded gradient was diagnosed 'padding'
    from entropy_ref import configuration_entropy_grad

    def f16_gradient(W, axes):          # (the test port builds dense operators: too big here)
        v, g = configuration_entropy_grad(W, axes)
        return v, g.astype(np.float16).astype(np.float64)
    report = _check(f16_gradient, cases="lenet300_fc1_f64", properties=False)
    # float16 rounding of the gradient (1.0e-3 relative here) sits at the edge of MATCH
    assert _names(report, "lenet300_fc1_f64") <= {"low_precision", "unexplained"}, str(report)
