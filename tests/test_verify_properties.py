"""Property checks on the port (entropy_ref.verify.properties): each caught by a deliberately wrong port.

Every wrong port here passes all the golden cases it is given (or fails them for an unrelated
reason that is asserted), so what fails is the property check named in the test.
"""

import math

import numpy as np
import pytest
from scipy.signal import convolve2d

import entropy_ref
from entropy_ref import golden
from entropy_ref.scharr import scharr_gradient, scharr_gradient_adjoint
from entropy_ref.verify import check, check_properties
from entropy_ref.verify.properties import draw_inputs

GS = golden.load()
GX = np.array([[3.0, 0.0, -3.0], [10.0, 0.0, -10.0], [3.0, 0.0, -3.0]]) / 32


def _hc(W, axes, comps=None, *, eps=0.0):
    comps = scharr_gradient(W, axes) if comps is None else comps
    k = len(axes)
    E_sum = sum(np.sum(c * c) for c in comps)
    S = np.sum(np.abs(W))
    H = 0.5 * np.log(E_sum / k + eps) - np.log(S + eps)
    grad = scharr_gradient_adjoint(comps, axes) / (E_sum + k * eps) - np.sign(W) / (S + eps)
    return H, grad


def reference(W, axes):
    return entropy_ref.configuration_entropy_grad(W, axes)


def test_correct_port_passes_every_property_in_both_profiles():
    for profile in ("float64", "float32"):
        results = check_properties(reference, profile=profile)
        assert results and all(r.status == "pass" for r in results), profile
        names = {r.name for r in results}
        assert names == {"value", "gradient", "euler", "scale_invariance", "homogeneity",
                         "finite_differences"}


def test_shapes_and_scales_cover_vectors_odd_sizes_a_batch_and_both_ends_of_the_range():
    for seed in range(5):
        draws = draw_inputs(seed, "float64", True)
        shapes = [W.shape for W, _, _ in draws]
        assert shapes[0][0] == 1 and shapes[1][1] == 1                 # 1 x n, n x 1
        assert shapes[2][0] % 2 == 1 and shapes[2][1] % 2 == 1           # odd sizes
        assert len(shapes[4]) == 3 and draws[4][1] == (1, 2)            # a batch, axes (1, 2)
        scales = sorted(c for _, _, c in draws)
        assert scales[0] == 2.0 ** -66 and scales[-1] == 2.0 ** 66      # ~1e-20 .. ~1e20
        f32 = draw_inputs(seed, "float32", False)
        assert all(W.dtype == np.float32 and W.ndim == 2 for W, _, _ in f32) and len(f32) == 4
        assert max(c for _, _, c in f32) == 2.0 ** 50                   # ~1e15


def test_seed_makes_the_properties_repeatable():
    a = check(reference, cases="tiny_2x2_f64", seed=7)
    b = check(reference, cases="tiny_2x2_f64", seed=7)
    c = check(reference, cases="tiny_2x2_f64", seed=8)
    key = [(p.name, p.shape, p.scale, p.measured) for p in a.properties]
    assert key == [(p.name, p.shape, p.scale, p.measured) for p in b.properties]
    assert key != [(p.name, p.shape, p.scale, p.measured) for p in c.properties]
    assert "seed 7" in str(a)


def test_properties_false_turns_them_off_and_fn_without_axes_gets_matrices_only():
    assert check(reference, properties=False).properties == []
    seen = []

    def matrices(W):
        seen.append(W.shape)
        return entropy_ref.configuration_entropy_grad(W)
    report = check(matrices, cases="tiny_*")
    assert report.ok and report.properties and all(len(s) == 2 for s in seen)


def float32_internal_naive(W, axes):
    """A port that computes in float32 whatever it is given (torch's default dtype) and sums
    the squares naively: right to float32 precision, but sum(g**2) overflows near |W| ~ 1e19."""
    W32 = np.asarray(W, dtype=np.float32)
    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        return _hc(W32, axes)


def test_a_port_that_overflows_at_large_scale_is_caught():
    report = check(float32_internal_naive)
    assert "float32_precision" in report.diagnosis_names()      # the golden float64 cases
    assert "prop_non_finite" in report.property_names()
    text = str(report)
    assert "[prop_non_finite]" in text and "overflow" in text and "1e19" in text
    bad = [p for p in report.failed_properties if p.diagnoses[0].name == "prop_non_finite"]
    assert {p.scale for p in bad} >= {2.0 ** 66}
    # inside float32's range it is a correct float32 port: the float32 profile certifies it
    assert check(float32_internal_naive, profile="float32").ok


def squeezing_port(W, axes):
    """Squeezes size-1 axes 'to be safe' and then assumes a matrix: breaks on 1 x n and n x 1."""
    if W.ndim != 2:
        raise NotImplementedError("matrices only")
    W = np.squeeze(W)
    g_x, g_y = convolve2d(W, GX, mode="same"), convolve2d(W, GX.T, mode="same")
    H, grad = _hc(W, (1, 0), comps=(g_x, g_y))
    return H, grad.astype(W.dtype)


def vector_special_case_port(W, axes):
    """Special-cases vectors with a plain central difference [1, 0, -1] / 2 (no smoothing row):
    silently wrong value on 1 x n and n x 1, right on every golden case."""
    if W.ndim == 2 and 1 in W.shape:
        v = W.ravel()
        d = np.convolve(v, [0.5, 0.0, -0.5], mode="same")
        H = 0.5 * np.log(np.sum(d * d) / 2) - np.log(np.sum(np.abs(v)))
        g = np.convolve(d, [-0.5, 0.0, 0.5], mode="same") / np.sum(d * d) - np.sign(v) / np.sum(np.abs(v))
        return H, g.reshape(W.shape)
    return reference(W, axes)


def test_a_port_that_mishandles_1xn_is_caught():
    matrices = [n for n in GS if GS[n].W.ndim == 2 and 1 not in GS[n].shape]  # (v2 has a 1 x n)
    for port in (squeezing_port, vector_special_case_port):
        report = check(port, cases=matrices)
        assert not report.failed and not report.errored, port.__name__   # golden cases all pass
        assert not report.ok
        bad = {p.shape for p in report.failed_properties}
        assert bad and all(1 in s for s in bad), (port.__name__, bad)
    assert "prop_errored" in check(squeezing_port, cases="tiny_*").property_names()
    assert "ValueError" in str(check(squeezing_port, cases="tiny_*"))
    assert "prop_value" in check(vector_special_case_port, cases="tiny_*").property_names()


def eps_in_logs(W, axes):
    """eps = 1e-8 inside both logs (a common habit): harmless at scale 1, wrong at small scales."""
    return _hc(np.asarray(W, dtype=np.float64), axes, eps=1e-8)


@pytest.mark.parametrize("profile", ["float64", "float32"])
def test_additive_eps_in_the_logs_breaks_scale_invariance(profile):
    report = check(eps_in_logs, profile=profile, cases="lenet300_fc3_f64")
    names = report.property_names()
    assert {"prop_scale_invariance", "prop_homogeneity"} <= names, str(report)


def test_a_gradient_that_does_not_belong_to_the_value_fails_finite_differences():
    def inconsistent(W, axes):       # right value, gradient of the energy term with the wrong sign
        comps = scharr_gradient(np.asarray(W, np.float64), axes)
        H, _ = _hc(W, axes, comps)
        E_sum = sum(np.sum(c * c) for c in comps)
        return H, -scharr_gradient_adjoint(comps, axes) / E_sum - np.sign(W) / np.sum(np.abs(W))
    names = check(inconsistent, cases="tiny_2x2_f64").property_names()
    assert "prop_finite_differences" in names and "prop_euler" in names

    def consistent_but_reflect(W, axes):    # value and gradient of the same (wrong) function
        if W.ndim != 2:
            raise NotImplementedError
        from scipy import ndimage
        comps = [ndimage.convolve(W, GX, mode="reflect"), ndimage.convolve(W, GX.T, mode="reflect")]
        k, E_sum, S = 2, sum(np.sum(c * c) for c in comps), np.sum(np.abs(W))
        H = 0.5 * np.log(E_sum / k) - np.log(S)
        # exact gradient of this H by brute force through the linear operator's matrix
        n = W.size
        cols = []
        for j in range(n):
            e = np.zeros(n)
            e[j] = 1.0
            e = e.reshape(W.shape)
            cols.append(np.concatenate([ndimage.convolve(e, GX, mode="reflect").ravel(),
                                        ndimage.convolve(e, GX.T, mode="reflect").ravel()]))
        M = np.array(cols).T
        g = (M.T @ np.concatenate([c.ravel() for c in comps])).reshape(W.shape) / E_sum
        return H, g - np.sign(W) / S
    report = check(consistent_but_reflect, cases="tiny_2x2_f64")
    names = report.property_names()
    assert "prop_value" in names and "prop_finite_differences" not in names


def test_a_gradient_without_the_abs_term_breaks_euler():
    def no_abs_term(W, axes):
        comps = scharr_gradient(np.asarray(W, np.float64), axes)
        H, _ = _hc(W, axes, comps)
        return H, scharr_gradient_adjoint(comps, axes) / sum(np.sum(c * c) for c in comps)
    assert "prop_euler" in check(no_abs_term, cases="tiny_2x2_f64").property_names()


def test_a_batch_port_that_averages_over_the_batch_is_caught_on_the_3d_draw():
    def batch_mean(W, axes):
        W = np.asarray(W)
        if W.ndim == 3 and tuple(axes) == (1, 2):    # mean of per-matrix H_C: not the convention
            outs = [entropy_ref.configuration_entropy_grad(m) for m in W]
            return (float(np.mean([h for h, _ in outs])),
                    np.stack([g for _, g in outs]) / len(outs))
        return reference(W, axes)
    report = check(batch_mean, cases=[n for n in GS if GS[n].W.ndim == 2])
    assert not report.failed and not report.ok
    assert {len(p.shape) for p in report.failed_properties} == {3}


def test_a_crash_inside_the_property_checks_is_reported_not_raised():
    def crashes_on_odd(W, axes):
        if W.shape[0] % 2 and W.shape[0] > 1:
            raise RuntimeError("odd sizes unsupported")
        return reference(W, axes)
    report = check(crashes_on_odd, cases="tiny_2x2_f64")
    assert "prop_errored" in report.property_names()
    assert "RuntimeError: odd sizes unsupported" in str(report)


def test_l_C_and_bits_are_converted_before_the_properties():
    assert check(lambda W, axes: entropy_ref.sparsity_loss_grad(W, axes), loss="l_C",
                 cases="tiny_*").ok
    assert check(lambda W, axes: entropy_ref.configuration_entropy_grad(W, axes, unit="bits"),
                 unit="bits", cases="tiny_*").ok
    assert math.isfinite(check(reference, cases="tiny_*").properties[0].measured)


# ---------------------------------------------------------------- the arguments, skipped inputs, magnitudes

@pytest.mark.parametrize("kwargs, error, needle", [
    (dict(loss="H"), ValueError, "loss must be one of"),       # not run as l_C
    (dict(unit="bit"), ValueError, "unit must be"),             # not run as bits
    (dict(profile="float16"), ValueError, "profile must be"),   # not KeyError 'float16'
    (dict(seed=-1), ValueError, "seed must be a non-negative integer"),
    (dict(seed=1.5), ValueError, "seed must be a non-negative integer"),
    (dict(skip_on=5), TypeError, "skip_on must be an exception class"),
    (dict(with_axes="yes"), TypeError, "with_axes must be True or False"),
])
def test_check_properties_refuses_bad_arguments_in_one_line(kwargs, error, needle):
    with pytest.raises(error, match=needle):
        check_properties(entropy_ref.configuration_entropy_grad, **kwargs)


def test_check_properties_refuses_a_non_callable():
    with pytest.raises(TypeError, match="fn must be callable"):
        check_properties(5)


def _golden_shapes_only():
    shapes = {c.shape for c in golden.load().values()}

    def port(W, axes=None):   # declares every input but the golden ones unsupported
        if W.shape not in shapes:
            raise NotImplementedError("only the shapes I was tested on")
        return entropy_ref.configuration_entropy_grad(W, axes)
    return port


def test_skipping_every_property_input_is_not_a_pass():
    # not "PASS: ...; properties: 10 of 10 hold" with not one property checked
    report = check(_golden_shapes_only())
    assert not report.ok
    assert "properties: 0 of 10 hold, 10 skipped" in report.summary()
    assert "NotImplementedError on every general matrix of the property" in report.summary()
    assert check(_golden_shapes_only(), properties=False).ok     # the explicit opt-out


def test_a_port_skipping_few_property_inputs_still_passes():
    def no_vectors(W, axes=None):
        if W.ndim == 2 and 1 in W.shape:
            raise NotImplementedError("no vectors")
        return entropy_ref.configuration_entropy_grad(W, axes)
    report = check(no_vectors, exclude="row_1x8_f64")
    assert report.ok and ", 4 skipped" in report.summary()

    def matrices_only(W, axes=None):      # no vectors, no batch: 3 of the 5 inputs skipped
        if W.ndim != 2 or 1 in W.shape:
            raise NotImplementedError("general matrices only")
        return entropy_ref.configuration_entropy_grad(W, axes)
    report = check(matrices_only)
    assert report.ok and ", 6 skipped" in report.summary()


def _relative_threshold_port(W, axes=None):
    """Zeroes entries below 1e-6 max|W| before computing ('numerically zero'): right on every
    golden case, wrong on trained matrices, whose small weights span many decades (their
    |W|-term gradient is dropped)."""
    W = np.array(W)
    return entropy_ref.configuration_entropy_grad(
        np.where(np.abs(W) < 1e-6 * np.abs(W).max(), 0, W), axes)


@pytest.mark.parametrize("profile", ["float64", "float32"])
def test_a_port_dropping_relatively_tiny_weights_fails_the_property_checks(profile):
    report = check(_relative_threshold_port, profile=profile)
    assert not report.ok and "prop_gradient" in report.property_names()
    assert check(entropy_ref.configuration_entropy_grad, profile=profile).ok


def test_one_property_input_spans_twelve_decades_of_magnitude():
    for profile in ("float64", "float32"):
        spans = [float(np.log10(np.abs(W).max() / np.abs(W).min()))
                 for W, _, _ in draw_inputs(0, profile, True)]
        assert max(spans) > 10 and sorted(spans)[-2] < 3
