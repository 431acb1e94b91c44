"""Golden vectors: regenerate-and-compare, coverage of the spec, JSON/npz agreement, independence.

Version 2 is the default set; version 1 stays shipped, loadable and regenerable, and each of its 15
cases is in version 2 with identical inputs and outputs.
"""

import json
import math

import numpy as np
import pytest
from scipy.signal import convolve2d

from entropy_ref import configuration_entropy, configuration_entropy_grad, golden
from entropy_ref.golden import cases as golden_cases
from entropy_ref.golden import generate
from entropy_ref.gradcheck import check_gradient, rel_error

TOL_REGEN = 1e-12    # fresh computation vs committed outputs (allows another BLAS sum order)
TOL_INDEP = 1e-12    # stored values vs eq. 3 written out with scipy.signal.convolve2d
TOL_FD = 1e-6        # stored gradients vs central differences

GS = golden.load()
GS1 = golden.load(1)


@pytest.mark.parametrize("version", golden_cases.VERSIONS)
def test_regenerating_reproduces_the_committed_files(version):
    assert generate.compare_with_committed(version=version) == []


def test_version_2_is_the_default_and_version_1_is_still_loadable_by_name():
    assert golden_cases.VERSION == GS.version == 2 and GS1.version == 1
    assert golden.load("v1") is GS1 and golden.load("1") is GS1 and golden.load(2) is GS
    assert golden.npz_path().name == "golden_v2.npz"
    with pytest.raises(ValueError, match="golden version must be a number"):
        golden.load("latest")
    with pytest.raises(FileNotFoundError, match="golden_v2.npz"):   # the message lists the shipped
        golden.load(99)


def test_version_1_cases_are_in_version_2_unchanged():
    assert set(GS1) < set(GS) and [n for n in GS if n in GS1] == list(GS1)    # same order
    for name, old in GS1.items():
        new = GS[name]
        assert new.recipe == old.recipe and new.axes == old.axes and new.tolerance == old.tolerance
        assert np.array_equal(new.W, old.W) and new.W.dtype == old.W.dtype
        assert new.value_nats == old.value_nats and np.array_equal(new.grad, old.grad)
    # version 1's files are frozen: its metadata keeps its own (partly wrong, see cases.py) texts
    assert "100x below" in GS1.meta["tolerances"]["float32"]["why"]
    assert "100x below" not in GS.meta["tolerances"]["float32"]["why"]
    assert "Smallest matrix with a nonzero gradient energy" in GS1["tiny_2x2_f64"].description
    assert "[[1, 2]] already have a nonzero gradient energy" in GS["tiny_2x2_f64"].description


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
    out = capsys.readouterr().out
    assert "golden v1 files up to date" in out and "golden v2 files up to date" in out
    assert generate.main(["--check", "--version", "1"]) == 0
    assert "v2" not in capsys.readouterr().out


def test_generator_writes_version_1_on_request(tmp_path):
    generate.write(tmp_path, version=1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["golden_v1.json", "golden_v1.npz"]
    assert golden.load(1, directory=tmp_path).meta == GS1.meta


def test_generator_refuses_to_write_when_its_implementations_disagree(monkeypatch, tmp_path):
    real = generate.configuration_entropy_grad
    monkeypatch.setattr(generate, "configuration_entropy_grad",
                        lambda W, axes: (real(W, axes)[0] + 1e-9, real(W, axes)[1]))
    with pytest.raises(RuntimeError, match="refusing to write"):
        generate.write(tmp_path)
    assert not list(tmp_path.iterdir())      # nothing half-written


def test_spec_coverage_of_version_2():
    batch = GS["batch_5x6x7_f64"]
    assert batch.W.ndim == 3 and batch.axes == (1, 2)
    assert {c.name for c in GS.values() if c.W.ndim > 2 and c.W.dtype == np.float32} == {
        "conv_8x3x5x5_f32", "volume_4x5x6_f32", "batch_5x6x7_f32"}
    assert any(c.shape[0] == 1 for c in GS.values() if c.W.ndim == 2)          # a 1 x n row


def test_batch_case_separates_per_matrix_averaging_from_one_H_C():
    from entropy_ref.verify.diagnoses.variant_grads import per_matrix_variant
    case = GS["batch_5x6x7_f64"]
    v, g = per_matrix_variant(case.W, case.axes, "mean")
    assert abs(v - case.value_nats) > 0.4 and rel_error(g, case.grad) > 0.5       # visibly
    v_sum, _ = per_matrix_variant(case.W, case.axes, "sum")
    assert abs(v_sum - v) > 1.0


def test_reshape_case_separates_a_reshape_from_a_transpose():
    case = GS["reshape_4x7_f64"]
    R, C = case.shape
    H_r, g_r = configuration_entropy_grad(case.W.reshape(C, R))
    assert abs(configuration_entropy(case.W.T) - case.value_nats) <= 1e-12     # transpose: same
    assert abs(H_r - case.value_nats) > 0.5                                    # reshape: not
    assert rel_error(g_r.reshape(R, C), case.grad) > 0.5 and rel_error(g_r, case.grad.T) > 0.5


def _padded_gradient(W, mode):
    """dH_C/dW when the components are computed on ``np.pad(W, 1, mode)`` and cropped back."""
    from entropy_ref.scharr import scharr_gradient, scharr_gradient_adjoint
    P = np.pad(W, 1, mode=mode)
    inner = (slice(1, -1), slice(1, -1))
    comps = [c[inner] for c in scharr_gradient(P)]
    E = sum(float(np.vdot(c, c)) for c in comps) / 2
    embedded = []
    for c in comps:
        full = np.zeros_like(P)
        full[inner] = c
        embedded.append(full)
    dP = scharr_gradient_adjoint(embedded) / (2 * E)      # d(1/2 log E)/dP = G^T c / (k E), k = 2
    dW = np.zeros_like(W)                                 # adjoint of the padding: add back
    rows = np.pad(np.arange(W.shape[0]), 1, mode=mode)
    cols = np.pad(np.arange(W.shape[1]), 1, mode=mode)
    np.add.at(dW, (rows[:, None], cols[None, :]), dP)
    return dW - np.sign(W) / np.abs(W).sum()


def test_float32_rationale_numbers_are_the_measured_padding_effects():
    """v2's rationale: padding moves the 100 x 300 value by 1.4e-3 .. 6.7e-3 nats (about 14x)."""
    from entropy_ref.verify.diagnoses.variants import value_with_padding
    case = GS["lenet300_fc2_f32"]
    W = case.W.astype(np.float64)
    shifts = {m: abs(value_with_padding(W, case.axes, m) - case.value_nats)
              for m in ("reflect", "wrap", "edge")}
    assert [round(shifts[m], 4) for m in ("reflect", "wrap", "edge")] == [0.0014, 0.0037, 0.0067]
    assert 13 < min(shifts.values()) / case.tolerance.value_atol < 15
    errors = [rel_error(_padded_gradient(W, m), case.grad) for m in ("reflect", "wrap", "edge")]
    assert [round(e, 2) for e in errors] == [0.25, 0.42, 0.46]
    why = GS.meta["tolerances"]["float32"]["why"]
    assert "1.4e-3 (reflect) to 6.7e-3 (replicate)" in why and "14x" in why
    assert "gradient error, 0.25 to 0.46," in why


@pytest.mark.parametrize("mode", ["reflect", "wrap", "edge"])
def test_padded_gradient_helper_matches_finite_differences(mode):
    from entropy_ref.verify.diagnoses.variants import value_with_padding
    W = np.random.default_rng(5).standard_normal((5, 6))
    assert check_gradient(lambda w: value_with_padding(w, (1, 0), mode), _padded_gradient(W, mode),
                          W) <= TOL_FD


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


@pytest.mark.parametrize("gs", [GS, GS1], ids=["v2", "v1"])
def test_tolerances_in_the_files_are_the_documented_ones(gs):
    stored = gs.meta["tolerances"]
    assert stored["float64"]["value_atol"] == 1e-10 == stored["float64"]["array_rtol"]
    assert stored["float32"]["value_atol"] == 1e-4 == stored["float32"]["array_rtol"]
    assert stored["float64"]["why"] and stored["float32"]["why"]


@pytest.mark.parametrize("version", golden_cases.VERSIONS)
def test_package_data_stays_small(version):
    total = golden.npz_path(version).stat().st_size + golden.json_path(version).stat().st_size
    assert total < 4e6


@pytest.mark.parametrize("version", golden_cases.VERSIONS)
def test_inputs_are_the_recipes(version):
    gs = golden.load(version)
    assert list(gs) == [spec.name for spec in golden_cases.CASES_BY_VERSION[version]]
    for spec in golden_cases.CASES_BY_VERSION[version]:
        case = gs[spec.name]
        assert case.recipe == spec.recipe
        assert rel_error(golden_cases.build_input(spec), case.W) <= 4 * np.finfo(case.W.dtype).eps
        assert str(case.W.dtype) == spec.dtype


@pytest.mark.parametrize("version", golden_cases.VERSIONS)
def test_json_holds_exactly_the_small_cases_with_the_npz_numbers(version):
    gs = golden.load(version)
    doc = json.loads(golden.json_path(version).read_text())
    assert doc["version"] == gs.version and doc["tolerances"] == gs.meta["tolerances"]
    for name, entry in doc["cases"].items():
        case = gs[name]
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


def test_batch_values_match_one_energy_over_every_matrix_written_out_independently():
    case = GS["batch_5x6x7_f64"]
    G_x = np.array([[3.0, 0.0, -3.0], [10.0, 0.0, -10.0], [3.0, 0.0, -3.0]]) / 32.0
    E = sum(np.sum(convolve2d(M, G, mode="same") ** 2) for M in case.W for G in (G_x, G_x.T))
    H = 0.5 * math.log(0.5 * E) - math.log(np.sum(np.abs(case.W)))
    assert abs(case.value_nats - H) <= TOL_INDEP


@pytest.mark.parametrize("name", ["tiny_2x2_f64", "tiny_3x3_f64", "rect_3x5_f64",
                                  "sparse_signed_12x10_f64", "conv_8x3x5x5_f64", "volume_4x5x6_f64",
                                  "batch_5x6x7_f64", "reshape_4x7_f64", "row_1x8_f64"])
def test_stored_gradients_match_finite_differences(name):
    # central differences of |w| at w = 0 are 0: they agree with the stored sign(0) = 0 convention
    case = GS[name]
    W = case.W.astype(np.float64)

    def f(w):
        return configuration_entropy(w, case.axes)
    step = 1e-7 * max(1.0, float(np.abs(W).max()))    # the batch case has entries up to 20
    assert check_gradient(f, case.grad, W, eps=step) <= TOL_FD


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
    assert [c.name for c in GS1.select("*_f32")] == ["square_6x6_f32", "lenet300_fc2_f32",
                                                     "conv_8x3x5x5_f32"]
    assert [c.name for c in GS.select("*_f32")] == ["square_6x6_f32", "lenet300_fc2_f32",
                                                    "conv_8x3x5x5_f32", "volume_4x5x6_f32",
                                                    "batch_5x6x7_f32"]
    with pytest.raises(ValueError, match="did you mean tiny_2x2_f64"):
        GS.select(["tiny_2x2"])
    with pytest.raises(KeyError, match="no golden case"):
        GS["nope"]
    with pytest.raises(FileNotFoundError, match="golden_v1.npz"):
        golden.load(version=99)


def test_check_uses_version_2_by_default_and_version_1_on_request():
    from entropy_ref.verify import check
    report = check(configuration_entropy_grad, properties=False)
    assert report.ok and report.version == 2 and len(report.passed) == len(GS)
    old = check(configuration_entropy_grad, properties=False, golden_set=golden.load("v1"))
    assert old.ok and old.version == 1 and len(old.passed) == len(GS1)
