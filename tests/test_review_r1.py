"""Reviewer R1's regression tests: each one failed on the code it was written against."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest

import entropy_ref
from entropy_ref.cli import main
from entropy_ref.verify import check


def _module(tmp_path, monkeypatch, name, source):
    (tmp_path / f"{name}.py").write_text(textwrap.dedent(source))
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))


def test_cli_fn_module_calling_sys_exit_0_at_import_is_an_error_not_a_pass(
        tmp_path, monkeypatch, capsys):
    # a port module that ends with a script's sys.exit(main()) used to exit 0: a false PASS in CI
    _module(tmp_path, monkeypatch, "r1_exit_at_import", "import sys\nsys.exit(0)\n")
    assert main(["verify", "--fn", "r1_exit_at_import:fn"]) == 2
    err = capsys.readouterr().err
    assert "sys.exit(0)" in err and "r1_exit_at_import" in err


def test_a_port_calling_sys_exit_errors_its_cases_instead_of_ending_the_run(
        tmp_path, monkeypatch, capsys):
    _module(tmp_path, monkeypatch, "r1_exit_in_fn", "import sys\ndef fn(W):\n    sys.exit(0)\n")
    assert main(["verify", "--fn", "r1_exit_in_fn:fn", "--cases", "tiny_*"]) == 1
    out = capsys.readouterr().out
    assert "sys.exit(0)" in out and "FAIL:" in out.splitlines()[-1]

    def port(W):
        raise SystemExit(0)

    report = check(port, cases="tiny_2x2_f64", properties=False)
    assert not report.ok and report.errored == ["tiny_2x2_f64"]


def test_check_takes_cases_as_a_generator_like_any_iterable():
    # the generator used to be consumed by the argument check: 0 cases, "every case was skipped"
    report = check(entropy_ref.configuration_entropy_grad,
                   cases=(c for c in ["tiny_2x2_f64", "tiny_3x3_f64"]), properties=False)
    assert report.ok and report.passed == ["tiny_2x2_f64", "tiny_3x3_f64"]


@pytest.mark.parametrize("kwargs", [dict(cases=[]), dict(exclude="*"),
                                    dict(cases="tiny_*", exclude="tiny_*")])
def test_check_refuses_a_selection_that_leaves_no_case(kwargs):
    # used to be a FAIL report saying "every case was skipped" although none was selected
    with pytest.raises(ValueError, match="no golden case"):
        check(entropy_ref.configuration_entropy_grad, properties=False, **kwargs)


def test_cli_fn_exclude_leaving_no_case_is_a_user_error(capsys):
    assert main(["verify", "--fn", "entropy_ref:configuration_entropy_grad",
                 "--exclude", "*"]) == 2
    assert "no golden case" in capsys.readouterr().err


@pytest.mark.parametrize("version", [1, "v1"])
def test_check_takes_a_golden_version_as_golden_set(version):
    report = check(entropy_ref.configuration_entropy_grad, properties=False, golden_set=version)
    assert report.ok and report.version == 1 and len(report.results) == 15


def test_check_refuses_a_golden_set_of_the_wrong_type_in_one_line():
    with pytest.raises(TypeError, match="golden_set"):
        check(entropy_ref.configuration_entropy_grad, golden_set=[1, 2])


def test_check_file_takes_a_golden_version_too(tmp_path):
    from entropy_ref import golden
    from entropy_ref.verify import check_file, save_outputs

    W = golden.load(1)["tiny_2x2_f64"].W
    path = save_outputs(tmp_path / "o.npz",
                        {"tiny_2x2_f64": entropy_ref.configuration_entropy_grad(W)})
    assert check_file(path, cases="tiny_2x2_f64", golden_set="v1").version == 1


@pytest.fixture
def small_run(synthetic_mnist_dir, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "--reg", "none", "--epochs", "1", "--data-dir", str(synthetic_mnist_dir),
                 "--out", str(out), "--train-subset", "100", "--hidden", "8,4"]) == 0
    capsys.readouterr()
    return out


@pytest.mark.parametrize("key, value", [("W0", np.nan), ("b1", np.inf), ("adam_v_W1", -1.0)])
def test_a_checkpoint_with_non_finite_weights_or_negative_moments_is_a_corrupt_file(
        small_run, synthetic_mnist_dir, capsys, key, value):
    # resume used to blame --lam ("training diverged ... try a smaller penalty weight") and
    # prune-curve said "params: W[0] has 1 non-finite entries" without naming the file
    arrays = dict(np.load(small_run / "model.npz"))
    arrays[key].reshape(-1)[0] = value
    np.savez(small_run / "model.npz", **arrays)
    for argv in (["train", "--resume", "--epochs", "2", "--out", str(small_run)],
                 ["prune-curve", str(small_run), "--step", "50"]):
        assert main([*argv, "--data-dir", str(synthetic_mnist_dir)]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and "model.npz" in err and key in err, err


@pytest.mark.parametrize("command", ["train", "prune-curve", "verify", "reproduce"])
def test_help_texts_show_single_percent_signs(command, capsys):
    # argparse %-formats a description only when it contains '%(prog)': '98%%' was printed as is
    with pytest.raises(SystemExit):
        main([command, "--help"])
    assert "%%" not in capsys.readouterr().out


def _mostly_skipped_file(path):
    from entropy_ref import golden
    from entropy_ref.verify import save_outputs

    gs = golden.load()
    names = list(gs)
    outs = {n: entropy_ref.configuration_entropy_grad(gs[n].W, gs[n].axes) for n in names[:4]}
    return save_outputs(path, outs, {n: "not supported" for n in names[4:]})


def test_cli_file_exclude_does_not_waive_the_more_than_half_skipped_rule(tmp_path, capsys):
    # --exclude used to be turned into an explicit case list: 4 passed, 15 skipped was a PASS
    path = _mostly_skipped_file(tmp_path / "theirs.npz")
    assert main(["verify", str(path), "--exclude", "batch_5x6x7_f32"]) == 1
    assert "more than half of the cases were skipped" in capsys.readouterr().out
    assert main(["verify", str(path), "--cases", "tiny_*"]) == 0   # chosen cases: allowed


def test_check_file_takes_exclude_like_check(tmp_path):
    from entropy_ref.verify import check_file

    path = _mostly_skipped_file(tmp_path / "theirs.npz")
    report = check_file(path, exclude="batch_*")
    assert not report.ok and report.too_many_skipped and "batch_5x6x7_f64" not in report.skipped
    with pytest.raises(ValueError, match="no golden case"):
        check_file(path, exclude="*")


def _golden_shapes_only():
    from entropy_ref import golden

    shapes = {c.shape for c in golden.load().values()}

    def port(W, axes=None):   # declares every input but the golden ones unsupported
        if W.shape not in shapes:
            raise NotImplementedError("only the shapes I was tested on")
        return entropy_ref.configuration_entropy_grad(W, axes)
    return port


def test_skipping_every_property_input_is_not_a_pass():
    # used to print "PASS: ...; properties: 10 of 10 hold" with not one property checked
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


def test_save_outputs_takes_torch_tensors_that_require_grad_like_check(tmp_path):
    torch = pytest.importorskip("torch")
    from entropy_ref import golden
    from entropy_ref.verify import check_file, save_outputs

    W = golden.load()["tiny_2x2_f64"].W
    w = torch.tensor(W, requires_grad=True)
    H = 0.5 * torch.log(torch.tensor(0.0, dtype=torch.float64) + 1.0) + (w * 0).sum()  # needs grad
    value, grad = entropy_ref.configuration_entropy_grad(W)
    outputs = {"tiny_2x2_f64": (H + value, torch.tensor(grad, requires_grad=True) * 1.0)}
    path = save_outputs(tmp_path / "t.npz", outputs)    # was torch's "Can't call numpy()"
    assert check_file(path, cases="tiny_2x2_f64").ok


@pytest.mark.parametrize("kwargs, error, needle", [
    (dict(loss="H"), ValueError, "loss must be one of"),       # ran as l_C: every property failed
    (dict(unit="bit"), ValueError, "unit must be"),             # ran as bits
    (dict(profile="float16"), ValueError, "profile must be"),   # KeyError 'float16'
    (dict(seed=-1), ValueError, "seed must be a non-negative integer"),
    (dict(seed=1.5), ValueError, "seed must be a non-negative integer"),
    (dict(skip_on=5), TypeError, "skip_on must be an exception class"),
    (dict(with_axes="yes"), TypeError, "with_axes must be True or False"),
])
def test_check_properties_refuses_bad_arguments_in_one_line(kwargs, error, needle):
    from entropy_ref.verify import check_properties

    with pytest.raises(error, match=needle):
        check_properties(entropy_ref.configuration_entropy_grad, **kwargs)


def test_check_properties_refuses_a_non_callable():
    from entropy_ref.verify import check_properties

    with pytest.raises(TypeError, match="fn must be callable"):
        check_properties(5)


@pytest.mark.parametrize("W, axes, error", [
    (np.zeros((3, 3)), (1, 0), entropy_ref.DegenerateInputError),      # was ZeroDivisionError
    (np.array([[1.0, 0.0, 1.0]]), (1, 0), entropy_ref.DegenerateInputError),
    (np.ones((3, 4)), None, None),                                       # was 'NoneType' not iterable
])
def test_float32_tolerance_takes_what_configuration_entropy_takes(W, axes, error):
    from entropy_ref.verify.profiles import float32_tolerance

    if error is None:
        assert 0 < float32_tolerance(W, axes).value_atol < 1e-3
    else:
        with pytest.raises(error):
            float32_tolerance(W, axes)


@pytest.mark.parametrize("entry, needle", [((1.0,), "fn must return (value, grad)"),
                                           (1.0, "fn must return (value, grad)"),
                                           (("x", np.zeros((2, 2))), "the value is a str")])
def test_save_outputs_refuses_malformed_entries_in_one_line(tmp_path, entry, needle):
    # were IndexError / "'float' object is not subscriptable" / numpy's wording
    from entropy_ref.verify import save_outputs

    with pytest.raises(ValueError, match="tiny_2x2_f64") as info:
        save_outputs(tmp_path / "o.npz", {"tiny_2x2_f64": entry})
    assert needle in str(info.value) and not (tmp_path / "o.npz").exists()


def test_save_outputs_refuses_outputs_that_are_not_a_mapping(tmp_path):
    from entropy_ref.verify import save_outputs

    with pytest.raises(TypeError, match="outputs must be a dict"):
        save_outputs(tmp_path / "o.npz", [1, 2])


@pytest.mark.parametrize("spec, hint", [("my_port.py:fn", "my_port:fn"),
                                        ("ports/torch_port.py:fn", "ports.torch_port:fn"),
                                        ("./my_port:fn", "my_port:fn")])
def test_cli_fn_given_a_file_path_says_which_module_name_to_use(tmp_path, monkeypatch, capsys,
                                                                spec, hint):
    monkeypatch.chdir(tmp_path)
    assert main(["verify", "--fn", spec]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and f"--fn {hint}" in err, err


def test_a_run_without_history_json_says_the_file_is_missing(small_run, synthetic_mnist_dir,
                                                              capsys):
    # was "RUN: corrupt history (0 epoch records but the checkpoint is at epoch 1)"
    (small_run / "history.json").unlink()
    assert main(["prune-curve", str(small_run), "--step", "50",
                 "--data-dir", str(synthetic_mnist_dir)]) == 2
    err = capsys.readouterr().err.strip()
    assert "history.json" in err and "missing" in err and len(err.splitlines()) == 1, err


def _relative_threshold_port(W, axes=None):
    """Zeroes entries below 1e-6 max|W| before computing ('numerically zero'): right on every
    golden case and every property input until they spanned more than six decades, wrong on
    trained matrices, whose small weights span many (their |W|-term gradient is dropped)."""
    W = np.array(W)
    return entropy_ref.configuration_entropy_grad(
        np.where(np.abs(W) < 1e-6 * np.abs(W).max(), 0, W), axes)


@pytest.mark.parametrize("profile", ["float64", "float32"])
def test_a_port_dropping_relatively_tiny_weights_fails_the_property_checks(profile):
    report = check(_relative_threshold_port, profile=profile)    # was a PASS
    assert not report.ok and "prop_gradient" in report.property_names()
    assert check(entropy_ref.configuration_entropy_grad, profile=profile).ok


def test_one_property_input_spans_twelve_decades_of_magnitude():
    from entropy_ref.verify.properties import draw_inputs

    for profile in ("float64", "float32"):
        spans = [float(np.log10(np.abs(W).max() / np.abs(W).min()))
                 for W, _, _ in draw_inputs(0, profile, True)]
        assert max(spans) > 10 and sorted(spans)[-2] < 3


def test_a_port_with_the_wrong_signature_is_told_how_it_is_called():
    # was "fn raised TypeError: ...missing 1 required positional argument... (at .../check.py:56
    # in call_fn ...)": the frame shown was the kit's own
    def three_args(W, axes, scale):
        return entropy_ref.configuration_entropy_grad(W, axes)

    text = str(check(three_args, cases="tiny_2x2_f64", properties=False))
    assert "fn cannot be called as fn(W, axes=(1, 0))" in text and "check.py" not in text

    def inner_type_error(W):            # a TypeError inside fn keeps its own frame
        return len(3), W
    text = str(check(inner_type_error, cases="tiny_2x2_f64", properties=False))
    assert "cannot be called" not in text and "inner_type_error" in text
