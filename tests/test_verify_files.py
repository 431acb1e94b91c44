"""entropy_ref.verify on files: check_file / save_outputs / load_outputs and ``entropy-ref verify
THEIRS.npz`` (round trip, skip keys, components, the skip rule, malformed files and entries)."""

import numpy as np
import pytest

import entropy_ref
from entropy_ref import golden
from entropy_ref.cli import main
from entropy_ref.verify import VerificationFileError, check_file, save_outputs

GS = golden.load()
MATRIX_CASES = [c.name for c in GS.values() if c.W.ndim == 2]
TENSOR_CASES = [c.name for c in GS.values() if c.W.ndim != 2]


def reference(W, axes):
    return entropy_ref.configuration_entropy_grad(W, axes)


def reference_outputs(loss="H_C", names=None):
    f = entropy_ref.configuration_entropy_grad if loss == "H_C" else entropy_ref.sparsity_loss_grad
    return {c.name: f(c.W, c.axes) for c in GS.values() if names is None or c.name in names}


# ---------------------------------------------------------------- round trip and the CLI

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


def test_check_file_takes_a_golden_version_too(tmp_path):
    W = golden.load(1)["tiny_2x2_f64"].W
    path = save_outputs(tmp_path / "o.npz",
                        {"tiny_2x2_f64": entropy_ref.configuration_entropy_grad(W)})
    assert check_file(path, cases="tiny_2x2_f64", golden_set="v1").version == 1


def test_save_outputs_takes_torch_tensors_that_require_grad_like_check(tmp_path):
    torch = pytest.importorskip("torch")
    W = golden.load()["tiny_2x2_f64"].W
    w = torch.tensor(W, requires_grad=True)
    H = 0.5 * torch.log(torch.tensor(0.0, dtype=torch.float64) + 1.0) + (w * 0).sum()  # needs grad
    value, grad = entropy_ref.configuration_entropy_grad(W)
    outputs = {"tiny_2x2_f64": (H + value, torch.tensor(grad, requires_grad=True) * 1.0)}
    path = save_outputs(tmp_path / "t.npz", outputs)    # not torch's "Can't call numpy()"
    assert check_file(path, cases="tiny_2x2_f64").ok


# ---------------------------------------------------------------- the more-than-half-skipped rule

def _mostly_skipped_file(path):
    gs = golden.load()
    names = list(gs)
    outs = {n: entropy_ref.configuration_entropy_grad(gs[n].W, gs[n].axes) for n in names[:4]}
    return save_outputs(path, outs, {n: "not supported" for n in names[4:]})


def test_cli_file_exclude_does_not_waive_the_more_than_half_skipped_rule(tmp_path, capsys):
    # --exclude is not an explicit case list: 4 passed, 15 skipped is not a PASS
    path = _mostly_skipped_file(tmp_path / "theirs.npz")
    assert main(["verify", str(path), "--exclude", "batch_5x6x7_f32"]) == 1
    assert "more than half of the cases were skipped" in capsys.readouterr().out
    assert main(["verify", str(path), "--cases", "tiny_*"]) == 0   # chosen cases: allowed


def test_check_file_takes_exclude_like_check(tmp_path):
    path = _mostly_skipped_file(tmp_path / "theirs.npz")
    report = check_file(path, exclude="batch_*")
    assert not report.ok and report.too_many_skipped and "batch_5x6x7_f64" not in report.skipped
    with pytest.raises(ValueError, match="no golden case"):
        check_file(path, exclude="*")


def test_check_file_waives_the_half_skipped_rule_only_for_cases_the_caller_chose(tmp_path):
    """A file that marks most cases ``skip`` is not ok, unless the caller selected the cases."""
    gs = golden.load()
    names = list(gs.keys())
    done = {n: entropy_ref.configuration_entropy_grad(gs[n].W, gs[n].axes) for n in names[:3]}
    path = save_outputs(tmp_path / "few.npz", done, skipped={n: "not ported" for n in names[3:]})
    assert not check_file(path).ok                       # 3 of 20 attempted: not a PASS
    assert check_file(path, cases=names).ok              # the caller chose them, skips and all


# ---------------------------------------------------------------- malformed files and entries

def _write(tmp_path, **arrays):
    path = tmp_path / "bad.npz"
    np.savez(path, **{k.replace("__", "/"): v for k, v in arrays.items()})
    return path


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


@pytest.mark.parametrize("entry, needle", [((1.0,), "fn must return (value, grad)"),
                                           (1.0, "fn must return (value, grad)"),
                                           (("x", np.zeros((2, 2))), "the value is a str")])
def test_save_outputs_refuses_malformed_entries_in_one_line(tmp_path, entry, needle):
    # not IndexError / "'float' object is not subscriptable" / numpy's wording
    with pytest.raises(ValueError, match="tiny_2x2_f64") as info:
        save_outputs(tmp_path / "o.npz", {"tiny_2x2_f64": entry})
    assert needle in str(info.value) and not (tmp_path / "o.npz").exists()


def test_save_outputs_refuses_outputs_that_are_not_a_mapping(tmp_path):
    with pytest.raises(TypeError, match="outputs must be a dict"):
        save_outputs(tmp_path / "o.npz", [1, 2])
