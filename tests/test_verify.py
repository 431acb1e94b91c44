"""entropy_ref.verify: check(fn), check_file / the verify CLI, skipping, the report, malformed files."""

import re

import numpy as np
import pytest

import entropy_ref
from entropy_ref import golden
from entropy_ref.cli import main
from entropy_ref.verify import VerificationFileError, check, check_file, save_outputs

GS = golden.load()
MATRIX_CASES = [c.name for c in GS.values() if c.W.ndim == 2]
TENSOR_CASES = [c.name for c in GS.values() if c.W.ndim != 2]


def reference(W, axes):
    return entropy_ref.configuration_entropy_grad(W, axes)


def reference_outputs(loss="H_C", names=None):
    f = entropy_ref.configuration_entropy_grad if loss == "H_C" else entropy_ref.sparsity_loss_grad
    return {c.name: f(c.W, c.axes) for c in GS.values() if names is None or c.name in names}


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
    assert seen == [(1, 0), (2, 3)]


def test_function_may_modify_its_input_without_harm():
    def vandal(W, axes):
        out = reference(W, axes)
        W[...] = 0.0
        return out
    assert check(vandal, cases="tiny_*").ok
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


# ---------------------------------------------------------------- files and the CLI

def test_file_round_trip_and_cli_exit_codes(tmp_path, capsys):
    good = save_outputs(tmp_path / "good.npz", reference_outputs())
    assert check_file(good).ok
    assert main(["verify", str(good)]) == 0
    assert f"PASS: {len(list(GS))} passed, 0 failed" in capsys.readouterr().out

    lc = save_outputs(tmp_path / "lc.npz", reference_outputs("l_C"))
    assert main(["verify", str(lc)]) == 1
    assert "[sign_flipped]" in capsys.readouterr().out
    assert main(["verify", str(lc), "--loss", "l_C"]) == 0


def test_cli_list_and_errors(tmp_path, capsys):
    assert main(["verify", "--list"]) == 0
    out = capsys.readouterr().out
    assert golden.npz_path().name in out and "lenet300_fc1_f64" in out and "300x784" in out
    assert main(["verify"]) == 2
    assert "THEIRS.npz" in capsys.readouterr().err
    assert main(["verify", str(tmp_path / "missing.npz")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_cases_option_and_skip_key(tmp_path, capsys):
    outputs = reference_outputs(names=MATRIX_CASES)
    skipped = {name: "matrices only" for name in TENSOR_CASES}
    path = save_outputs(tmp_path / "m.npz", outputs, skipped=skipped)
    report = check_file(path)
    assert report.ok and report.skipped == TENSOR_CASES
    assert "the file says: matrices only" in str(report)
    partial = save_outputs(tmp_path / "p.npz", reference_outputs(names=["tiny_2x2_f64"]))
    assert main(["verify", str(partial), "--cases", "tiny_2x2*"]) == 0


def test_components_in_files_via_g_x_g_y_names(tmp_path):
    case = GS["rect_3x5_f64"]
    H, g = reference(case.W, case.axes)
    g_x, g_y = entropy_ref.scharr_gradient(case.W)
    path = tmp_path / "c.npz"
    np.savez(path, **{"rect_3x5_f64/value": H, "rect_3x5_f64/grad": g,
                      "rect_3x5_f64/g_x": -g_x, "rect_3x5_f64/g_y": -g_y, "__note__": "mine"})
    report = check_file(path, cases="rect_3x5_f64")
    # negated components = correlation: harmless, so the case passes with the note
    assert report.ok and report.diagnosis_names() == {"correlation"}
    assert report["rect_3x5_f64"].comp_rel >= 1.0
    np.savez(path, **{"rect_3x5_f64/value": H, "rect_3x5_f64/grad": g,
                      "rect_3x5_f64/g_x": 2 * g_x, "rect_3x5_f64/g_y": 2 * g_y})
    assert not check_file(path, cases="rect_3x5_f64").ok       # a real component error fails


def test_transposed_gradient_in_a_file_is_a_diagnosed_failure(tmp_path):
    H, g = reference(GS["rect_3x5_f64"].W, (1, 0))
    path = tmp_path / "t.npz"
    np.savez(path, **{"rect_3x5_f64/value": H, "rect_3x5_f64/grad": g.T})
    report = check_file(path, cases="rect_3x5_f64")
    assert report.diagnosis_names() == {"transposed"}


def _write(tmp_path, **arrays):
    path = tmp_path / "bad.npz"
    np.savez(path, **{k.replace("__", "/"): v for k, v in arrays.items()})
    return path


def _good(name="rect_3x5_f64"):
    return reference(GS[name].W, GS[name].axes)


@pytest.mark.parametrize("arrays,cases,needle", [
    ({}, None, f"no outputs for {len(list(GS))} golden case(s): tiny_2x2_f64"),
    ({"rect_3x5__value": 1.0}, None, "no golden case 'rect_3x5' (did you mean rect_3x5_f64?)"),
    ({"rect_3x5_f64__val": 1.0}, None, "unknown field 'val'"),
    ({"rect_3x5_f64__value": 1.0}, None, "missing rect_3x5_f64/grad"),
    ({"rect_3x5_f64__value": np.ones(2), "rect_3x5_f64__grad": np.ones((3, 5))}, None,
     "must be a scalar"),
    ({"rect_3x5_f64__value": 1.0, "rect_3x5_f64__grad": np.ones((3, 4))}, None,
     "shape (3, 4), expected W's shape (3, 5)"),
    ({"rect_3x5_f64__value": np.inf, "rect_3x5_f64__grad": np.ones((3, 5))}, None,
     "rect_3x5_f64/value: 1 non-finite"),
    ({"rect_3x5_f64__value": 1.0, "rect_3x5_f64__grad": np.where(np.eye(3, 5) > 0, np.nan, 1.0)},
     None, "rect_3x5_f64/grad: 3 non-finite value(s) (NaN/inf), first at index (0, 0)"),
    ({"rect_3x5_f64__skip": "no", "rect_3x5_f64__value": 1.0}, None, "both 'skip' and outputs"),
    ({"conv_8x3x5x5_f64__g_x": np.ones((8, 3, 5, 5))}, None, "unknown field 'g_x'"),
    ({"rect_3x5_f64__value": 1.0, "rect_3x5_f64__grad": np.ones((3, 5)),
      "rect_3x5_f64__g_x": np.ones((3, 5)), "rect_3x5_f64__g_axis1": np.ones((3, 5))},
     "rect_3x5_f64", "given twice"),
])
def test_malformed_files_raise_clear_errors(tmp_path, arrays, cases, needle):
    path = _write(tmp_path, **arrays)
    with pytest.raises(VerificationFileError) as info:
        check_file(path, cases=cases)
    assert needle in str(info.value)


def test_several_problems_are_reported_together(tmp_path):
    path = _write(tmp_path, rect_3x5_f64__value=np.nan, rect_3x5_f64__grad=np.ones((2, 2)),
                  nope__value=1.0)
    with pytest.raises(VerificationFileError, match="3 problem"):
        check_file(path)


def test_not_an_npz_file(tmp_path, capsys):
    text = tmp_path / "x.npz"
    text.write_text("hello")
    with pytest.raises(VerificationFileError, match="not a readable .npz"):
        check_file(text)
    single = tmp_path / "y.npy"
    np.save(single, np.ones(3))
    with pytest.raises(VerificationFileError, match="single array"):
        check_file(single)
    pickled = tmp_path / "z.npz"
    np.savez(pickled, **{"tiny_2x2_f64/value": np.array([{"a": 1}], dtype=object)})
    with pytest.raises(VerificationFileError, match="pickled"):
        check_file(pickled, cases="tiny_2x2_f64")
    assert main(["verify", str(text)]) == 2
    assert "not a readable .npz" in capsys.readouterr().err


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
