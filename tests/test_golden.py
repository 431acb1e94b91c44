"""Golden vectors: regenerate-and-compare, coverage of the spec, JSON/npz agreement, independence."""

import json
import math

import numpy as np
import pytest
from scipy.signal import convolve2d

from entropy_ref import configuration_entropy, golden
from entropy_ref.golden import cases as golden_cases
from entropy_ref.golden import generate
from entropy_ref.gradcheck import check_gradient, rel_error

TOL_REGEN = 1e-12    # fresh computation vs committed outputs (room for another BLAS sum order)
TOL_INDEP = 1e-12    # stored values vs eq. 3 written out with scipy.signal.convolve2d
TOL_FD = 1e-6        # stored gradients vs central differences

GS = golden.load()


def test_regenerating_reproduces_the_committed_files():
    assert generate.compare_with_committed() == []


def test_generator_writes_loadable_files_equal_to_the_committed_ones(tmp_path):
    npz, js = generate.write(tmp_path)
    fresh = golden.load(directory=tmp_path)
    assert list(fresh) == list(GS) and fresh.meta == GS.meta
    for key, a in GS.raw.items():
        assert fresh.raw[key].dtype == a.dtype and fresh.raw[key].shape == a.shape
        assert rel_error(fresh.raw[key], a) <= TOL_REGEN, key
    assert json.loads(js.read_text())["cases"].keys() == GS.meta["cases"].keys()
    assert oct(npz.stat().st_mode & 0o777) == oct(golden.npz_path().stat().st_mode & 0o777)


def test_generator_cli_check_mode_reports_up_to_date(capsys):
    assert generate.main(["--check"]) == 0
    assert "up to date" in capsys.readouterr().out


def test_generator_refuses_to_write_when_its_implementations_disagree(monkeypatch, tmp_path):
    real = generate.configuration_entropy_grad
    monkeypatch.setattr(generate, "configuration_entropy_grad",
                        lambda W, axes: (real(W, axes)[0] + 1e-9, real(W, axes)[1]))
    with pytest.raises(RuntimeError, match="refusing to write"):
        generate.write(tmp_path)
    assert not list(tmp_path.iterdir())      # nothing half-written


def test_spec_coverage():
    shapes = {c.shape for c in GS.values()}
    assert {(2, 2), (3, 3), (300, 784), (100, 300), (10, 100), (8, 3, 5, 5)} <= shapes
    assert any(c.W.ndim == 2 and c.shape[0] != c.shape[1] for c in GS.values())
    assert any(c.W.ndim == 2 and c.shape[0] == c.shape[1] > 3 for c in GS.values())
    sparse = GS["sparse_signed_12x10_f64"].W
    assert (sparse == 0).mean() > 0.5 and (sparse > 0).any() and (sparse < 0).any()
    assert GS["conv_8x3x5x5_f64"].axes == (2, 3) and GS["volume_4x5x6_f64"].axes == (0, 1, 2)
    assert {str(c.W.dtype) for c in GS.values()} == {"float64", "float32"}
    for c in GS.values():
        assert c.tolerance == golden.TOLERANCES[str(c.W.dtype)]


def test_tolerances_in_the_files_are_the_documented_ones():
    stored = GS.meta["tolerances"]
    assert stored["float64"]["value_atol"] == 1e-10 == stored["float64"]["array_rtol"]
    assert stored["float32"]["value_atol"] == 1e-4 == stored["float32"]["array_rtol"]
    assert stored["float64"]["why"] and stored["float32"]["why"]


def test_package_data_stays_small():
    total = golden.npz_path().stat().st_size + golden.json_path().stat().st_size
    assert total < 4e6


def test_inputs_are_the_recipes():
    for spec in golden_cases.CASES:
        case = GS[spec.name]
        assert case.recipe == spec.recipe
        assert np.array_equal(golden_cases.build_input(spec), case.W)
        assert str(case.W.dtype) == spec.dtype


def test_json_holds_exactly_the_small_cases_with_the_npz_numbers():
    doc = json.loads(golden.json_path().read_text())
    assert doc["version"] == GS.version and doc["tolerances"] == GS.meta["tolerances"]
    for name, entry in doc["cases"].items():
        case = GS[name]
        assert entry["in_json"] == (case.W.size <= golden_cases.JSON_MAX_SIZE)
        if not entry["in_json"]:
            assert "grad" not in entry
            continue
        assert np.array_equal(np.array(entry["W"], dtype=case.W.dtype), case.W)
        assert np.array_equal(np.array(entry["grad"]), case.grad)       # exact float round trip
        assert entry["value_nats"] == case.value_nats and entry["value_bits"] == case.value_bits
        for axis, comp in (case.components or {}).items():
            assert np.array_equal(np.array(entry[f"g_axis{axis}"]), comp)


@pytest.mark.parametrize("name", [c.name for c in GS.values() if c.W.ndim == 2])
def test_values_match_equation_3_written_out_independently(name):
    case = GS[name]
    W = case.W.astype(np.float64)
    G_x = np.array([[3.0, 0.0, -3.0], [10.0, 0.0, -10.0], [3.0, 0.0, -3.0]]) / 32.0
    g_x = convolve2d(W, G_x, mode="same")          # true convolution, zero padding
    g_y = convolve2d(W, G_x.T, mode="same")
    H = 0.5 * math.log(0.5 * np.sum(g_x * g_x + g_y * g_y)) - math.log(np.sum(np.abs(W)))
    assert abs(case.value_nats - H) <= TOL_INDEP
    assert abs(case.value_bits - H / math.log(2.0)) <= TOL_INDEP
    if case.components is not None:
        assert rel_error(case.components[1], g_x) <= TOL_INDEP
        assert rel_error(case.components[0], g_y) <= TOL_INDEP


@pytest.mark.parametrize("name", ["tiny_2x2_f64", "tiny_3x3_f64", "rect_3x5_f64",
                                  "sparse_signed_12x10_f64", "conv_8x3x5x5_f64", "volume_4x5x6_f64"])
def test_stored_gradients_match_finite_differences(name):
    # central differences of |w| at w = 0 are 0: they agree with the stored sign(0) = 0 convention
    case = GS[name]
    W = case.W.astype(np.float64)

    def f(w):
        return configuration_entropy(w, case.axes)
    assert check_gradient(f, case.grad, W, eps=1e-7) <= TOL_FD


def test_expected_applies_loss_and_unit():
    case = GS["square_6x6_f32"]
    v, g = case.expected("l_C", "bits")
    assert v == -case.value_bits
    assert rel_error(g, -case.grad / math.log(2.0)) <= 1e-15
    with pytest.raises(ValueError, match="loss must be one of"):
        case.expected("entropy")
    with pytest.raises(ValueError, match="unit"):
        case.expected("H_C", "dits")


def test_golden_arrays_are_read_only():
    with pytest.raises(ValueError, match="read-only"):
        GS["tiny_2x2_f64"].W[0, 0] = 5.0


def test_select_and_unknown_names():
    assert [c.name for c in GS.select("*_f32")] == ["square_6x6_f32", "lenet300_fc2_f32",
                                                    "conv_8x3x5x5_f32"]
    with pytest.raises(ValueError, match="did you mean tiny_2x2_f64"):
        GS.select(["tiny_2x2"])
    with pytest.raises(KeyError, match="no golden case"):
        GS["nope"]
    with pytest.raises(FileNotFoundError, match="golden_v1.npz"):
        golden.load(version=99)
