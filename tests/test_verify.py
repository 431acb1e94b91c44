"""entropy_ref.verify.check(fn): calling the port, skipping, errors, the report, the arguments.

Files (check_file, save_outputs, ``entropy-ref verify THEIRS.npz``): tests/test_verify_files.py."""

import re

import numpy as np
import pytest

import entropy_ref
from entropy_ref import golden
from entropy_ref.verify import check

GS = golden.load()
MATRIX_CASES = [c.name for c in GS.values() if c.W.ndim == 2]
TENSOR_CASES = [c.name for c in GS.values() if c.W.ndim != 2]


def reference(W, axes):
    return entropy_ref.configuration_entropy_grad(W, axes)


# ---------------------------------------------------------------- check(fn)

def test_reference_passes_every_case_and_the_report_is_a_table():
    report = check(reference)
    assert report.ok and report.passed == list(GS) and not report.failed and not report.skipped
    text = str(report)
    assert "value abs" in text and "grad max rel" in text and f"PASS: {len(list(GS))} passed, 0 failed, 0 errored, 0 skipped" in text
    assert "float64: value abs 1e-10" in text and "float32: value abs 0.0001" in text


def test_function_without_axes_parameter_gets_matrices_only():
    report = check(lambda W: entropy_ref.configuration_entropy_grad(W))
    assert report.ok
    assert report.skipped == TENSOR_CASES and report.passed == MATRIX_CASES
    assert "no 'axes' parameter" in str(report)


def test_raising_for_unsupported_cases_is_a_skip_not_a_failure():
    def matrices_only(W, axes):
        if W.ndim != 2:
            raise NotImplementedError("only matrices")
        return reference(W, axes)
    report = check(matrices_only)
    assert report.ok and report.skipped == TENSOR_CASES
    assert "NotImplementedError: only matrices" in str(report)


def test_a_crash_is_an_errored_case_with_type_message_and_frame_not_a_skip():
    def broken(W, axes):
        if W.dtype == np.float32:
            raise TypeError("kernel is float64")     # a port hard-coded to float64
        return reference(W, axes)
    report = check(broken, properties=False)
    f32 = [c.name for c in GS.values() if c.W.dtype == np.float32]
    assert not report.ok and report.errored == f32 and not report.skipped and not report.failed
    assert all(report[n].status == "ERROR" for n in f32)
    text = str(report)
    assert "[errored] fn raised TypeError: kernel is float64 (at " in text
    assert "test_verify.py:" in text and 'raise TypeError("kernel is float64")' in text
    assert f"{len(f32)} errored" in report.summary() and report.summary().startswith("FAIL")


def test_lenient_skip_on_exception_is_opt_in_and_still_not_ok_when_most_are_skipped():
    def broken(W, axes):
        if W.dtype == np.float32:
            raise TypeError("kernel is float64")
        return reference(W, axes)
    lenient = check(broken, skip_on=Exception, properties=False)
    assert lenient.ok and lenient.skipped == [c.name for c in GS.values() if c.W.dtype == np.float32]

    def mostly_broken(W, axes):
        if W.size > 20:
            raise TypeError("too big")
        return reference(W, axes)
    report = check(mostly_broken, skip_on=Exception, properties=False)
    assert 2 * len(report.skipped) > len(report.results) and not report.ok
    assert "more than half of the cases were skipped" in str(report)
    chosen = check(mostly_broken, skip_on=Exception, properties=False,
                   cases=["tiny_*", "lenet300_*"])     # the caller chose: allowed
    assert chosen.ok and len(chosen.skipped) == 4


def test_keyboard_interrupt_is_not_swallowed():
    def interrupted(W, axes):
        raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        check(interrupted, cases="tiny_2x2_f64")


def test_unsupported_signal_and_exclude():
    from entropy_ref.verify import Unsupported

    def no_tensors(W, axes):
        if W.ndim != 2:
            raise Unsupported("matrices only")
        return reference(W, axes)
    report = check(no_tensors, properties=False)
    assert report.ok and report.skipped == TENSOR_CASES and "Unsupported: matrices only" in str(report)
    assert check(reference, exclude=["lenet300_*", "conv_*"], properties=False).passed == [
        n for n in GS if not n.startswith(("lenet300_", "conv_"))]
    with pytest.raises(ValueError, match="no golden case matches"):
        check(reference, exclude="nope")


def test_nothing_attempted_is_not_ok():
    def nothing(W, axes):
        raise NotImplementedError
    report = check(nothing, cases="tiny_*")
    assert not report.ok and report.skipped == ["tiny_2x2_f64", "tiny_3x3_f64"]
    assert "no case was attempted" in str(report)
    assert report.summary().startswith("FAIL: 0 passed, 0 failed, 0 errored, 2 skipped of 2 cases")


def test_kwargs_functions_receive_axes():
    seen = []

    def fn(W, **kwargs):
        seen.append(kwargs["axes"])
        return reference(W, kwargs["axes"])
    assert check(fn, cases=["tiny_2x2_f64", "conv_8x3x5x5_f64"], properties=False).ok
    assert seen == [(1, 0), (1, 0), (2, 3), (2, 3)]     # each case, then its second input


def test_a_function_that_modifies_its_input_fails_and_is_told_so():
    def vandal(W, axes):
        out = reference(W, axes)
        W[...] = 0.0
        return out
    report = check(vandal, cases="tiny_*")
    assert not report.ok and report.diagnosis_names() == {"input_mutated"}
    assert check(reference, cases="tiny_*").ok


def test_l_C_and_bits():
    assert check(lambda W, axes: entropy_ref.sparsity_loss_grad(W, axes), loss="l_C").ok
    assert check(lambda W, axes: entropy_ref.configuration_entropy_grad(W, axes, unit="bits"),
                 unit="bits").ok
    with pytest.raises(ValueError, match="loss must be one of"):
        check(reference, loss="entropy")
    with pytest.raises(ValueError, match="unit"):
        check(reference, unit="dits")
    with pytest.raises(ValueError, match="no golden case matches 'lenet'"):
        check(reference, cases="lenet")


def test_components_are_checked_when_returned():
    def with_components(W, axes):
        H, g = reference(W, axes)
        return H, g, entropy_ref.scharr_gradient(W, axes)
    report = check(with_components)
    assert report.ok
    assert all(r.comp_rel is not None and r.comp_rel <= r.tolerance.array_rtol
               for r in report.results if GS[r.name].components is not None)
    assert report["lenet300_fc1_f64"].comp_rel is None
    assert "stores no Scharr components" in str(report)


@pytest.mark.parametrize("returned,needle", [
    (lambda W, H, g: (g, H), "wrong order"),
    (lambda W, H, g: H, "must return (value, grad)"),
    (lambda W, H, g: (H, g, [g]), "expected 2 components"),
    (lambda W, H, g: (H + 1j, g), "real numbers"),
])
def test_badly_shaped_returns_fail_with_a_message(returned, needle):
    def fn(W, axes):
        H, g = reference(W, axes)
        return returned(W, H, g)
    report = check(fn, cases="rect_3x5_f64")
    r = report["rect_3x5_f64"]
    assert r.status == "FAIL" and r.diagnoses[0].name == "bad_output" and needle in str(report)


def test_non_finite_outputs_fail():
    report = check(lambda W, axes: (np.nan, reference(W, axes)[1]), cases="tiny_2x2_f64")
    assert not report.ok and report.diagnosis_names() == {"non_finite"}


def test_flattened_gradient_is_a_shape_mismatch():
    report = check(lambda W, axes: (reference(W, axes)[0], reference(W, axes)[1].ravel()),
                   cases="rect_3x5_f64")
    assert report.diagnosis_names() == {"shape_mismatch"}


def test_report_lookup():
    report = check(reference, cases="tiny_2x2_f64")
    assert report["tiny_2x2_f64"].passed
    with pytest.raises(KeyError):
        report["tiny_3x3_f64"]


@pytest.mark.parametrize("kwargs,error,needle", [
    ({"profile": None}, ValueError, "profile must be one of"),
    ({"profile": "float16"}, ValueError, "profile must be one of"),
    ({"seed": -1}, ValueError, "seed must be a non-negative integer"),
    ({"seed": "abc"}, ValueError, "seed must be a non-negative integer"),
    ({"seed": 1.5}, ValueError, "seed must be a non-negative integer"),
    ({"properties": "yes"}, TypeError, "properties must be True or False"),
    ({"skip_on": "NotImplementedError"}, TypeError, "skip_on must be an exception class"),
    ({"skip_on": ()}, TypeError, "skip_on must be an exception class"),
    ({"cases": 3}, TypeError, "cases must be a case name"),
    ({"exclude": [1, 2]}, TypeError, "exclude must be a case name"),
    ({"exclude": "nope_*"}, ValueError, "no golden case matches 'nope_*'"),
])
def test_hostile_arguments_are_one_line_errors(kwargs, error, needle):
    with pytest.raises(error, match=re.escape(needle)):
        check(reference, **kwargs)


def test_a_non_callable_fn_is_refused():
    with pytest.raises(TypeError, match="fn must be callable"):
        check(np.ones(3))


# ---------------------------------------------------------------- cases, golden set and calling

def test_check_takes_cases_as_a_generator_like_any_iterable():
    # the generator is read once: not consumed by the argument check, leaving 0 cases
    report = check(entropy_ref.configuration_entropy_grad,
                   cases=(c for c in ["tiny_2x2_f64", "tiny_3x3_f64"]), properties=False)
    assert report.ok and report.passed == ["tiny_2x2_f64", "tiny_3x3_f64"]


@pytest.mark.parametrize("kwargs", [dict(cases=[]), dict(exclude="*"),
                                    dict(cases="tiny_*", exclude="tiny_*")])
def test_check_refuses_a_selection_that_leaves_no_case(kwargs):
    # not a FAIL report saying "every case was skipped" although none was selected
    with pytest.raises(ValueError, match="no golden case"):
        check(entropy_ref.configuration_entropy_grad, properties=False, **kwargs)


@pytest.mark.parametrize("version", [1, "v1"])
def test_check_takes_a_golden_version_as_golden_set(version):
    report = check(entropy_ref.configuration_entropy_grad, properties=False, golden_set=version)
    assert report.ok and report.version == 1 and len(report.results) == 15


def test_check_refuses_a_golden_set_of_the_wrong_type_in_one_line():
    with pytest.raises(TypeError, match="golden_set"):
        check(entropy_ref.configuration_entropy_grad, golden_set=[1, 2])


def test_a_port_with_the_wrong_signature_is_told_how_it_is_called():
    # not "fn raised TypeError: ...missing 1 required positional argument... (at <the kit's own
    # frame> in call_fn ...)"
    def three_args(W, axes, scale):
        return entropy_ref.configuration_entropy_grad(W, axes)

    text = str(check(three_args, cases="tiny_2x2_f64", properties=False))
    assert "fn cannot be called as fn(W, axes=(1, 0))" in text and "check.py" not in text

    def inner_type_error(W):            # a TypeError inside fn keeps its own frame
        return len(3), W
    text = str(check(inner_type_error, cases="tiny_2x2_f64", properties=False))
    assert "cannot be called" not in text and "inner_type_error" in text
