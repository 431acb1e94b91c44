"""CI entry points of the verification kit: assert_conforms, `entropy-ref verify --fn`, framework returns."""

import textwrap

import numpy as np
import pytest

import entropy_ref
from entropy_ref import golden
from entropy_ref.cli import main
from entropy_ref.verify import assert_conforms, check, save_outputs

GS = golden.load()


def test_assert_conforms_returns_the_report_and_passes_kwargs_through():
    report = assert_conforms(entropy_ref.sparsity_loss_grad, loss="l_C", profile="float32",
                             exclude="lenet300_fc1_*", seed=3)
    assert report.ok and report.profile == "float32" and report.seed == 3
    assert "lenet300_fc1_f64" not in report.passed


def test_assert_conforms_raises_with_the_whole_report_as_message():
    with pytest.raises(AssertionError) as info:
        assert_conforms(entropy_ref.sparsity_loss_grad, cases="tiny_*")
    message = str(info.value)
    assert message == str(check(entropy_ref.sparsity_loss_grad, cases="tiny_*"))
    assert "case " in message and "[sign_flipped]" in message and message.splitlines()[-1].startswith(
        "FAIL: 0 passed, 2 failed, 0 errored, 0 skipped")


def test_assert_conforms_fails_a_port_that_crashes_on_float32():
    def float64_only(W, axes):
        if W.dtype != np.float64:
            raise TypeError(f"expected float64, got {W.dtype}")
        return entropy_ref.configuration_entropy_grad(W, axes)
    n32 = sum(c.W.dtype == np.float32 for c in GS.values())
    with pytest.raises(AssertionError, match=f"{n32} errored"):
        assert_conforms(float64_only, properties=False)
    with pytest.raises(AssertionError, match="TypeError: expected float64, got float32"):
        assert_conforms(float64_only, profile="float32", properties=False)


def _module(tmp_path, monkeypatch, name, body):
    (tmp_path / f"{name}.py").write_text(textwrap.dedent(body))
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))


def test_cli_fn_imports_a_callable_and_checks_it(tmp_path, monkeypatch, capsys):
    _module(tmp_path, monkeypatch, "myport_ok", """
        import entropy_ref

        def entropy(W, axes):
            return entropy_ref.configuration_entropy_grad(W, axes)

        class Impl:
            @staticmethod
            def loss(W, axes):
                return entropy_ref.sparsity_loss_grad(W, axes)
        """)
    assert main(["verify", "--fn", "myport_ok:entropy"]) == 0
    out = capsys.readouterr().out
    assert "entropy_ref verify: entropy against golden" in out and "PASS:" in out
    assert "Property checks" in out
    assert main(["verify", "--fn", "myport_ok:Impl.loss", "--loss", "l_C", "--profile", "float32",
                 "--cases", "tiny_*", "rect_*", "--exclude", "tiny_3x3_f64"]) == 0
    out = capsys.readouterr().out
    assert "tiny_2x2_f64" in out and "tiny_3x3_f64" not in out and "profile float32" in out
    assert main(["verify", "--fn", "myport_ok:Impl.loss", "--no-properties"]) == 1
    out = capsys.readouterr().out
    assert "[sign_flipped]" in out and "Property checks" not in out


@pytest.mark.parametrize("spec,needle", [
    ("nonexistent_module_xyz:f", "cannot import module 'nonexistent_module_xyz'"),
    ("myport_bad:missing", "has no attribute 'missing'"),
    ("myport_bad:CONSTANT", "is a int, not a callable"),
    ("myport_bad", "expected MODULE:FUNCTION"),
    ("myport_bad:", "expected MODULE:FUNCTION"),
    ("myport_broken:f", "cannot import module 'myport_broken' (ZeroDivisionError"),
])
def test_cli_fn_errors_are_one_line_exit_2(tmp_path, monkeypatch, capsys, spec, needle):
    _module(tmp_path, monkeypatch, "myport_bad", "CONSTANT = 3\n")
    _module(tmp_path, monkeypatch, "myport_broken", "x = 1 / 0\n")
    assert main(["verify", "--fn", spec]) == 2
    err = capsys.readouterr().err
    assert needle in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_cli_file_and_fn_options_do_not_mix(tmp_path, capsys):
    path = save_outputs(tmp_path / "o.npz", {c.name: entropy_ref.configuration_entropy_grad(
        c.W, c.axes) for c in GS.values()})
    assert main(["verify", str(path), "--fn", "entropy_ref:configuration_entropy_grad"]) == 2
    assert "not both" in capsys.readouterr().err
    assert main(["verify", str(path), "--seed", "3"]) == 2
    assert "apply to --fn only" in capsys.readouterr().err
    assert main(["verify", str(path), "--no-properties"]) == 2
    assert "apply to --fn only" in capsys.readouterr().err
    assert main(["verify", str(path), "--exclude", "lenet300_*"]) == 0
    assert "lenet300_fc1_f64" not in capsys.readouterr().out
    assert main(["verify", str(path), "--cases", "tiny_*", "--exclude", "tiny_*"]) == 2
    assert "leaves no case" in capsys.readouterr().err


def test_torch_returns_are_accepted_including_tensors_that_require_grad():
    torch = pytest.importorskip("torch")
    torch_kernel = torch.tensor([[3.0, 0.0, -3.0], [10.0, 0.0, -10.0], [3.0, 0.0, -3.0]],
                                dtype=torch.float64) / 32

    def port(W, axes):
        if W.ndim != 2:
            raise NotImplementedError("matrices only")
        w = torch.tensor(W, requires_grad=True)      # keeps W's dtype
        k = torch_kernel.to(w.dtype)
        kern = torch.stack([k.flip(0, 1), k.T.flip(0, 1)])[:, None]
        g = torch.nn.functional.conv2d(w[None, None], kern, padding=1)
        H = 0.5 * torch.log(0.5 * (g ** 2).sum()) - torch.log(w.abs().sum())
        (grad,) = torch.autograd.grad(H, w, create_graph=True)   # grad itself requires grad
        assert grad.requires_grad and H.requires_grad
        return H, grad
    report = assert_conforms(port)
    assert report.skipped == [c.name for c in GS.values() if c.W.ndim != 2]


def test_jax_same_mode_convolution_fails_the_1xn_property_and_the_kit_says_so():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    from jax.scipy.signal import convolve2d

    gx = jnp.array([[3.0, 0.0, -3.0], [10.0, 0.0, -10.0], [3.0, 0.0, -3.0]]) / 32

    def port(W):
        W = jnp.asarray(W)
        g_x, g_y = convolve2d(W, gx, mode="same"), convolve2d(W, gx.T, mode="same")
        return jax.value_and_grad(lambda w: 0.5 * jnp.log(0.5 * jnp.sum(
            convolve2d(w, gx, mode="same") ** 2 + convolve2d(w, gx.T, mode="same") ** 2))
            - jnp.log(jnp.sum(w * jnp.sign(w))))(W) if g_x.shape == g_y.shape else None
    report = check(port, cases=["tiny_*", "rect_3x5_f64", "tall_9x4_f64"])
    assert not report.failed and not report.errored and not report.ok
    assert report.property_names() == {"prop_errored"}
    assert "One input must be smaller than the other in every dimension" in str(report)


def test_jax_returns_are_accepted():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    from jax.scipy.signal import convolve2d

    gx = jnp.array([[3.0, 0.0, -3.0], [10.0, 0.0, -10.0], [3.0, 0.0, -3.0]]) / 32

    def H(W):     # mode="same" raises on a 1 x n input (kernel larger than W): pad, then "valid"
        Wp = jnp.pad(W, 1)
        g_x, g_y = convolve2d(Wp, gx, mode="valid"), convolve2d(Wp, gx.T, mode="valid")
        return 0.5 * jnp.log(0.5 * jnp.sum(g_x ** 2 + g_y ** 2)) - jnp.log(jnp.sum(W * jnp.sign(W)))

    value_and_grad = jax.jit(jax.value_and_grad(H))

    def port(W):
        return value_and_grad(jnp.asarray(W))       # JAX arrays, returned as they are
    report = assert_conforms(port)
    assert report.skipped == [c.name for c in GS.values() if c.W.ndim != 2]


def _doc_pytest_file(first_line: str) -> str:
    """The ```python block of docs/verifying.md whose first line is ``first_line``."""
    from pathlib import Path
    import re
    doc = (Path(__file__).resolve().parent.parent / "docs" / "verifying.md").read_text()
    for block in re.findall(r"```python\n(.*?)```", doc, flags=re.S):
        if block.startswith(first_line):
            return block
    raise AssertionError(f"no block starting with {first_line!r} in docs/verifying.md")


@pytest.mark.parametrize("name,module", [("test_torch_port.py", "torch"), ("test_jax_port.py", "jax")])
def test_the_pytest_files_of_the_docs_pass_under_pytest(tmp_path, name, module):
    import subprocess
    import sys
    pytest.importorskip(module)
    (tmp_path / name).write_text(_doc_pytest_file(f"# {name}"))
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", name],
                         cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    n_tests = _doc_pytest_file(f"# {name}").count("\ndef test_")
    assert f"{n_tests} passed" in run.stdout


# ---------------------------------------------------------------- sys.exit, empty selections and file paths given to --fn

def test_cli_fn_module_calling_sys_exit_0_at_import_is_an_error_not_a_pass(
        tmp_path, monkeypatch, capsys):
    # a port module that ends with a script's sys.exit(main()) must not exit 0: a false PASS in CI
    _module(tmp_path, monkeypatch, "exit_at_import", "import sys\nsys.exit(0)\n")
    assert main(["verify", "--fn", "exit_at_import:fn"]) == 2
    err = capsys.readouterr().err
    assert "sys.exit(0)" in err and "exit_at_import" in err


def test_a_port_calling_sys_exit_errors_its_cases_instead_of_ending_the_run(
        tmp_path, monkeypatch, capsys):
    _module(tmp_path, monkeypatch, "exit_in_fn", "import sys\ndef fn(W):\n    sys.exit(0)\n")
    assert main(["verify", "--fn", "exit_in_fn:fn", "--cases", "tiny_*"]) == 1
    out = capsys.readouterr().out
    assert "sys.exit(0)" in out and "FAIL:" in out.splitlines()[-1]

    def port(W):
        raise SystemExit(0)

    report = check(port, cases="tiny_2x2_f64", properties=False)
    assert not report.ok and report.errored == ["tiny_2x2_f64"]


def test_cli_fn_exclude_leaving_no_case_is_a_user_error(capsys):
    assert main(["verify", "--fn", "entropy_ref:configuration_entropy_grad",
                 "--exclude", "*"]) == 2
    assert "no golden case" in capsys.readouterr().err


@pytest.mark.parametrize("spec, hint", [("my_port.py:fn", "my_port:fn"),
                                        ("ports/torch_port.py:fn", "ports.torch_port:fn"),
                                        ("./my_port:fn", "my_port:fn")])
def test_cli_fn_given_a_file_path_says_which_module_name_to_use(tmp_path, monkeypatch, capsys,
                                                                spec, hint):
    monkeypatch.chdir(tmp_path)
    assert main(["verify", "--fn", spec]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and f"--fn {hint}" in err, err
