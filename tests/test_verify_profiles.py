"""The float32 profile: correct float32 implementations pass every case, porting mistakes still fail.

The tolerances come from the rounding bound of entropy_ref.verify.profiles.float32_tolerance
(derivation in docs/verifying.md); these tests show that real float32 implementations (the
project's own float32 path, a naive sequential-sum NumPy port, PyTorch autograd) stay inside it
with a wide margin, and that the catalogued mistakes do not.
"""

import functools
import math

import numpy as np
import pytest

import entropy_ref
from entropy_ref import golden
from entropy_ref.gradcheck import rel_error
from entropy_ref.scharr import scharr_gradient
from entropy_ref.verify import check
from entropy_ref.verify.profiles import U32, case_for_profile, float32_tolerance
from helpers import naive_float32_port

GS = golden.load()


def test_unknown_profile_is_refused():
    with pytest.raises(ValueError, match="profile must be one of"):
        check(entropy_ref.configuration_entropy_grad, profile="float16")


def test_default_profile_is_the_golden_tolerances():
    report = check(entropy_ref.configuration_entropy_grad, properties=False)
    assert report.profile == "float64"
    assert {r.tolerance.name for r in report.results} == {"float64", "float32"}
    assert report["square_6x6_f32"].tolerance.value_atol == 1e-4


def test_projects_float32_path_passes_every_case_under_float32():
    seen = []

    def float32_path(W, axes):
        seen.append(W.dtype)
        H, g = entropy_ref.configuration_entropy_grad(W, axes)
        assert g.dtype == np.float32                  # it really computes in float32
        return H, g

    report = check(float32_path, profile="float32")
    print(report)
    assert report.ok and report.passed == list(GS) and not report.failed_properties
    assert set(seen) == {np.dtype(np.float32)}
    assert all(r.dtype == "float32" for r in report.results)
    _well_inside(report)


def _well_inside(report):
    """A wide margin (docs/verifying.md): every measured error at most a tenth of its bound."""
    for r in report.attempted:
        assert r.value_abs <= 0.1 * r.tolerance.value_atol, r.name
        assert r.grad_rel <= 0.1 * r.tolerance.array_rtol, r.name


def test_naive_sequential_float32_port_passes_float32_and_fails_float64_as_float32_precision():
    port = naive_float32_port
    report = check(port, profile="float32")
    print(report)
    assert report.ok
    _well_inside(report)
    strict = check(port, properties=False)
    f64 = [c.name for c in GS.values() if c.W.dtype == np.float64]
    assert strict.failed == f64 and strict.diagnosis_names() == {"float32_precision"}


def test_float32_precision_message_names_the_usual_causes():
    report = check(naive_float32_port, cases="tiny_2x2_f64", properties=False)
    text = str(report)
    assert "jax_enable_x64" in text and "torch.set_default_dtype" in text


@pytest.mark.parametrize("mistake", ["integer_kernel", "adjoint_not_flipped", "sign", "half_in_log",
                                     "sign_at_zero", "reflect"])
def test_catalogued_mistakes_still_fail_under_float32(mistake):
    port = functools.partial(naive_float32_port, mistake=mistake)
    cases = (["tiny_3x3_f64", "sparse_signed_12x10_f64"] if mistake == "sign_at_zero"
             else ["rect_3x5_f64", "square_6x6_f64", "lenet300_fc2_f64"] if mistake == "reflect"
             else ["rect_3x5_f64", "square_6x6_f32", "lenet300_fc2_f64"])
    report = check(port, profile="float32", cases=cases, properties=False)
    assert sorted(report.failed) == sorted(cases), (mistake, str(report))
    assert "unexplained" not in report.diagnosis_names() or mistake == "reflect"


def test_float32_profile_casts_the_input_and_recomputes_the_expectations():
    case = GS["linspace_8x9_f64"]
    p = case_for_profile(case, "float32")
    assert p.W.dtype == np.float32 and not p.W.flags.writeable and case.W.dtype == np.float64
    H, g = entropy_ref.configuration_entropy_grad(p.W.astype(np.float64), case.axes)
    assert abs(p.value_nats - H) <= 1e-12 and rel_error(p.grad, g) <= 1e-12
    assert abs(p.value_nats - case.value_nats) > 1e-10          # the cast moved the input
    assert case_for_profile(case, "float64") is case
    f32 = GS["square_6x6_f32"]
    assert case_for_profile(f32, "float32").value_nats == f32.value_nats


def test_bound_grows_like_sqrt_n_and_is_far_below_the_mistakes():
    small = case_for_profile(GS["tiny_2x2_f64"], "float32").tolerance
    big = case_for_profile(GS["lenet300_fc1_f64"], "float32").tolerance
    assert small.value_atol < 1e-5 < big.value_atol < 1e-3
    # the LeNet300 bound is dominated by the two sums: 2 * (LAMBDA sqrt(n) + LAMBDA sqrt(2n)/2) u
    n = GS["lenet300_fc1_f64"].W.size
    assert big.value_atol == pytest.approx(2 * 8 * (math.sqrt(n) + math.sqrt(2 * n) / 2) * U32,
                                           rel=0.05)
    # smallest value effect of a catalogued mistake on the LeNet300 cases: non-zero padding, 1.4e-3
    assert case_for_profile(GS["lenet300_fc2_f64"], "float32").tolerance.value_atol < 1.4e-3 / 4


def test_component_tolerance_under_float32():
    def with_components(W, axes):
        H, g = entropy_ref.configuration_entropy_grad(W, axes)
        return H, g, scharr_gradient(W, axes)
    report = check(with_components, profile="float32", properties=False)
    assert report.ok
    checked = [r for r in report.results if r.comp_rel is not None]
    assert checked and all(r.comp_rel <= r.tolerance.component_rtol for r in checked)

    def scaled(W, axes):
        H, g = entropy_ref.configuration_entropy_grad(W, axes)
        return H, g, [1.001 * c for c in scharr_gradient(W, axes)]
    assert not check(scaled, profile="float32", cases="rect_3x5_f64", properties=False).ok


def test_tolerance_of_a_vector_and_a_tensor_is_finite():
    t = float32_tolerance(np.arange(1.0, 6.0).reshape(1, 5).astype(np.float32), (1, 0))
    assert 0 < t.value_atol < 1e-5 and 0 < t.array_rtol < 1e-4
    W = np.random.default_rng(3).standard_normal((2, 3, 4)).astype(np.float32)
    t = float32_tolerance(W, (1, 2))
    assert 0 < t.value_atol < 1e-4 and 0 < t.array_rtol < 1e-3


def test_torch_float32_autograd_port_passes_float32():
    torch = pytest.importorskip("torch")
    import torch.nn.functional as F

    K = torch.tensor([[3.0, 0.0, -3.0], [10.0, 0.0, -10.0], [3.0, 0.0, -3.0]]) / 32

    def torch_port(W):      # float32 throughout (torch's default dtype), autograd gradient
        w = torch.tensor(W, dtype=torch.float32, requires_grad=True)
        x = w[None, None]
        kern = torch.stack([K.flip(0, 1), K.T.flip(0, 1)])[:, None]     # convolution, not correlation
        g = F.conv2d(x, kern, padding=1)
        H = 0.5 * torch.log(0.5 * (g ** 2).sum()) - torch.log(w.abs().sum())
        H.backward()
        return H, w.grad                        # tensors: the kit converts them

    report = check(torch_port, profile="float32")
    print(report)
    assert report.ok
    _well_inside(report)
    assert check(torch_port, properties=False).diagnosis_names() == {"float32_precision"}


def _float32_outputs(gs):
    """What a float32 port writes to a file: its outputs on the golden inputs, computed in float32."""
    out = {}
    for case in gs.values():
        H, g = entropy_ref.configuration_entropy_grad(np.asarray(case.W, dtype=np.float32),
                                                      case.axes)
        out[case.name] = (H, g)
    return out


def test_check_file_judges_a_float32_port_under_the_float32_profile(tmp_path):
    from entropy_ref.verify import check_file, save_outputs

    gs = golden.load()
    path = save_outputs(tmp_path / "f32.npz", _float32_outputs(gs))
    strict = check_file(path)
    assert not strict.ok and "float32_precision" in strict.diagnosis_names()
    report = check_file(path, profile="float32")
    assert report.ok, str(report)
    assert report.profile == "float32"


def test_check_file_float32_profile_still_fails_a_catalogued_mistake(tmp_path):
    from entropy_ref.verify import check_file, save_outputs

    gs = golden.load()
    wrong = {name: (H + math.log(32.0), g) for name, (H, g) in _float32_outputs(gs).items()}
    path = save_outputs(tmp_path / "wrong.npz", wrong)
    report = check_file(path, profile="float32")
    assert not report.ok and "kernel_normalisation" in report.diagnosis_names()


def test_cli_verify_file_with_profile_float32(tmp_path, capsys):
    from entropy_ref.cli import main
    from entropy_ref.verify import save_outputs

    path = save_outputs(tmp_path / "f32.npz", _float32_outputs(golden.load()))
    assert main(["verify", str(path)]) == 1
    assert main(["verify", str(path), "--profile", "float32"]) == 0
    assert "profile float32" in capsys.readouterr().out


# ---------------------------------------------------------------- float32_tolerance takes what H_C takes

@pytest.mark.parametrize("W, axes, error", [
    (np.zeros((3, 3)), (1, 0), entropy_ref.DegenerateInputError),      # not ZeroDivisionError
    (np.array([[1.0, 0.0, 1.0]]), (1, 0), entropy_ref.DegenerateInputError),
    (np.ones((3, 4)), None, None),                                       # not 'NoneType' not iterable
])
def test_float32_tolerance_takes_what_configuration_entropy_takes(W, axes, error):
    if error is None:
        assert 0 < float32_tolerance(W, axes).value_atol < 1e-3
    else:
        with pytest.raises(error):
            float32_tolerance(W, axes)
