"""The numbers docs/verifying.md quotes about the kit, measured here (run this file to print them).

* non-zero padding on the 100 x 300 golden case: how far it moves the value and the gradient;
* the golden table of docs/verifying.md lists exactly the cases of the current golden set;
* the float32-profile bounds of the table, the rounding analysis (its constants, its failure
  probabilities, the value bound written out as on the page), the errors of correct float32
  implementations, the effect of a sign and of a log base;
* how many distinct (shape, dtype, axes) the kit calls a port with (one JIT compilation each);
* the N-D formula line, the same on README.md, docs/verifying.md and docs/diagnoses.md.

``python tests/test_verify_numbers.py`` prints the table the page quotes.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from scipy.signal import convolve2d, correlate2d

import math

from entropy_ref import configuration_entropy_grad, conventions, golden
from entropy_ref.gradcheck import check_gradient, rel_error
from entropy_ref.scharr import scharr_gradient
from entropy_ref.verify import check
from entropy_ref.verify.profiles import LAMBDA, SAFETY, U32, case_for_profile, float32_tolerance
from entropy_ref.verify.timeouts import DEFAULT_TIMEOUT
from helpers import naive_float32_port

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "verifying.md"
TABLE = ("tiny_2x2_f64", "lenet300_fc3_f64", "lenet300_fc2_f64", "lenet300_fc1_f64")
GX = np.array([[3.0, 0.0, -3.0], [10.0, 0.0, -10.0], [3.0, 0.0, -3.0]]) / 32
#: our name -> numpy.pad mode (PyTorch F.pad: 'reflect', 'circular', 'replicate')
MODES = {"reflect": "reflect", "circular": "wrap", "replicate": "edge"}


def padded_hc(W, mode: str):
    """``H_C`` and its exact gradient when the Scharr components use ``np.pad(W, 1, mode)``.

    The padding is written as a gather ``W_p = W.flat[idx]``, so its adjoint is a scatter-add
    (``np.bincount``); the valid convolution's adjoint is the full correlation.
    """
    n = W.size
    flat = np.append(W.ravel(), 0.0)                  # index n is a zero: mode "constant"
    kw = {"constant_values": n} if mode == "constant" else {}
    idx = np.pad(np.arange(n).reshape(W.shape), 1, mode=mode, **kw)
    Wp = flat[idx]
    comps = [convolve2d(Wp, K, mode="valid") for K in (GX, GX.T)]
    E = sum(float(np.sum(c * c)) for c in comps)
    S = float(np.sum(np.abs(W)))
    H = 0.5 * np.log(E / 2) - np.log(S)
    back = sum(correlate2d(c, K, mode="full") for c, K in zip(comps, (GX, GX.T)))
    gW = np.bincount(idx.ravel(), weights=back.ravel(), minlength=n + 1)[:n].reshape(W.shape)
    return float(H), gW / E - np.sign(W) / S


def padding_effects(case_name: str = "lenet300_fc2_f64") -> dict:
    """``{mode: (value change in nats, gradient max-norm relative error)}`` on a golden case."""
    case = golden.load()[case_name]
    out = {}
    for name, mode in MODES.items():
        H, g = padded_hc(case.W, mode)
        out[name] = (abs(H - case.value_nats), rel_error(g, case.grad))
    return out


def test_padded_hc_with_zero_padding_is_the_reference_and_its_gradient_is_exact():
    W = np.random.default_rng(5).standard_normal((6, 7))
    H, g = padded_hc(W, "constant")
    H0, g0 = configuration_entropy_grad(W)
    assert abs(H - H0) <= 1e-12 and rel_error(g, g0) <= 1e-12
    for mode in MODES.values():
        _, g = padded_hc(W, mode)
        assert check_gradient(lambda x: padded_hc(x, mode)[0], g, W) <= 1e-7


def _doc() -> str:
    return DOC.read_text(encoding="utf-8")


def test_doc_quotes_the_measured_padding_effects():
    doc = _doc()
    effects = padding_effects()
    tol32 = golden.TOLERANCES["float32"].value_atol
    for name, (dv, dg) in effects.items():
        assert f"{dv:.1e} {name}" in doc, (name, f"{dv:.1e}")
    v_lo, v_hi = min(v for v, _ in effects.values()), max(v for v, _ in effects.values())
    assert f"{v_lo / tol32:.0f} to {v_hi / tol32:.0f} times this tolerance" in doc
    lo, hi = min(g for _, g in effects.values()), max(g for _, g in effects.values())
    assert f"{lo:.2f}" in doc and f"{hi:.2f}" in doc
    bound = case_for_profile(golden.load()["lenet300_fc2_f64"], "float32").tolerance.value_atol
    assert f"{bound:.1e}" in doc
    assert min(dv for dv, _ in effects.values()) > 4 * bound


def test_doc_golden_table_lists_exactly_the_cases_of_the_current_set():
    gs = golden.load()
    section = _doc().split(f"## The golden set (version {gs.version})", 1)
    assert len(section) == 2, f"docs/verifying.md has no section for golden v{gs.version}"
    lines = section[1].splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("|"))
    end = next((i for i in range(start, len(lines)) if not lines[i].startswith("|")), len(lines))
    table = "\n".join(lines[start:end])
    names = re.findall(r"^\| `([a-z0-9_]+)` \|", table, flags=re.M)
    assert names == list(gs), (names, list(gs))
    for c in gs.values():
        row = next(line for line in table.splitlines() if line.startswith(f"| `{c.name}` |"))
        assert " x ".join(map(str, c.shape)) in row and str(c.W.dtype) in row, row
        assert str(tuple(c.axes)) in row, row


def test_doc_quotes_the_float32_bounds_of_its_table():
    doc = _doc()
    for name in TABLE:
        t = case_for_profile(golden.load()[name], "float32").tolerance
        row = next(line for line in doc.splitlines() if line.startswith(f"| `{name}`"))
        assert f"| {t.value_atol:.1e} | {t.array_rtol:.1e} |" in row, (name, row)


def failure_probabilities(name: str = "lenet300_fc1_f64") -> tuple[int, float, float]:
    """``(k N, P(energy bound fails), P(energy or S bound fails))`` of Higham & Mary's model."""
    case = golden.load()[name]
    kn, n = len(case.axes) * case.W.size, case.W.size
    per_term = 2.0 * math.exp(-LAMBDA ** 2 / 2.0)
    return kn, kn * per_term, (kn + n) * per_term


def test_the_rounding_analysis_quotes_the_codes_constants():
    doc = _doc()
    assert f"`u = 2⁻²⁴ ≈ {U32:.1e}`" in doc and "`8 √N u`" in doc and LAMBDA == 8
    assert "Each bound is multiplied by 2" in doc and SAFETY == 2
    assert "products (6 for a matrix)" in doc and 2 * 3 ** (2 - 1) == 6
    assert np.allclose(np.outer(conventions.SMOOTHING, conventions.DERIVATIVE), conventions.G_X)
    assert set(np.abs(conventions.G_X).ravel()) == {0.0, 3 / 32, 10 / 32}
    n = golden.load()["lenet300_fc1_f64"].W.size
    gamma = (n - 1) * U32 / (1 - (n - 1) * U32)
    assert f"`γ_{{N−1}} ≈ N u`: {gamma:.3f} for 300 x 784" in doc
    kn, energy, both = failure_probabilities()
    assert f"`kN = {kn:,}`".replace(",", " ") in doc
    flat = " ".join(doc.split())
    assert f"at most {energy:.1e}," in flat and f"together at most {both:.1e}" in flat


@pytest.mark.parametrize("name", TABLE + ("conv_8x3x5x5_f64", "volume_4x5x6_f64"))
def test_the_value_bound_as_the_page_writes_it_is_the_codes(name):
    W = case_for_profile(golden.load()[name], "float32").W.astype(np.float64)
    axes = golden.load()[name].axes
    k, N, u = len(axes), W.size, U32
    g = scharr_gradient(W, axes)
    E, S, Q = sum(float(np.vdot(c, c)) for c in g) / k, float(np.abs(W).sum()), float(np.vdot(W, W))
    H = 0.5 * math.log(E) - math.log(S)
    j = 2 * 3 ** (k - 1)
    gamma = j * u / (1 - j * u)
    dE = 2 * gamma * math.sqrt(Q) * sum(float(np.linalg.norm(c)) for c in g) / (k * E) + (
        8 * math.sqrt(k * N) + 1) * u
    dS = 8 * math.sqrt(N) * u
    dH = 0.5 * dE + dS + 2 * u * (0.5 * abs(math.log(E)) + abs(math.log(S))) + u * (0.5 + abs(H))
    assert float32_tolerance(W, axes).value_atol == pytest.approx(2 * dH, rel=1e-12)


def float32_implementation_errors(name: str = "lenet300_fc2_f32") -> dict:
    """``{how: (value error, gradient error)}`` of correct float32 implementations on a case."""
    case = golden.load()[name]
    out = {}
    for how, port in (("pairwise", configuration_entropy_grad), ("sequential", naive_float32_port)):
        H, g = port(case.W, case.axes)
        out[how] = (abs(float(H) - case.value_nats), rel_error(g, case.grad))
    return out


def test_doc_quotes_the_errors_of_correct_float32_implementations():
    doc = " ".join(_doc().split())
    errors = float32_implementation_errors()
    (pv, pg), (sv, sg) = errors["pairwise"], errors["sequential"]
    assert golden.load()["lenet300_fc2_f32"].W.size == 30_000 and "(30 000 entries)" in doc
    assert f"errs by {pv:.1e} in the value and {pg:.1e} in the gradient" in doc
    assert f"left to right in float32 by {sv:.1e} and {sg:.1e}: a margin of more than 20" in doc
    assert golden.TOLERANCES["float32"].value_atol / max(pv, pg, sv, sg) > 20
    N, u = golden.load()["lenet300_fc1_f64"].W.size, 2.0 ** -53
    assert f"`N = {N:,}`".replace(",", " ") in doc and f"`N·u = {N * u:.1e}` (`u = {u:.1e}`)" in doc


def test_doc_quotes_the_effect_of_a_sign_a_log_base_and_a_constant():
    doc = " ".join(_doc().split())
    g = golden.load()["lenet300_fc3_f64"].grad
    bases = [1 / math.log(2), math.log(2), 1 / math.log(10), math.log(10)]
    smallest = min(rel_error(f * g, g) for f in bases)
    assert f"max-norm relative error of {smallest:.3f} or more (`1 − ln 2`" in doc
    assert smallest == pytest.approx(1 - math.log(2)) and rel_error(-g, g) == pytest.approx(2)
    assert f"a constant of {0.5 * math.log(2):.2f} nats or more" in doc
    bound = case_for_profile(golden.load()["lenet300_fc2_f64"], "float32").tolerance.array_rtol
    lowest = min(dg for _, dg in padding_effects().values())
    assert "more than 700 times the gradient bound" in doc and lowest / bound > 700


def distinct_calls(profile: str = "float64") -> set:
    """The distinct (shape, dtype, axes) the kit calls a port with: one JIT compilation each."""
    seen = set()

    def port(W, axes):
        seen.add((W.shape, str(W.dtype), tuple(axes)))
        return configuration_entropy_grad(W, axes)
    assert check(port, profile=profile).ok
    return seen


def test_doc_counts_the_shapes_a_jit_port_compiles_for():
    doc = " ".join(_doc().split())
    gs = golden.load()
    assert f"calls `fn` on {len(distinct_calls())} distinct (shape, dtype, axes)" in doc
    assert f"the {len(gs)} golden cases" in doc and DEFAULT_TIMEOUT == 60
    assert "default timeout of 60 s per call" in doc and "(default 60 s)" in doc
    matrices = sum(c.W.ndim == 2 for c in gs.values())
    assert f"{matrices} passed, ..." in doc and f"{len(gs) - matrices} skipped by fn" in doc


def test_the_other_numbers_of_the_page_are_the_codes():
    import inspect

    from entropy_ref.golden.cases import JSON_MAX_SIZE
    from entropy_ref.verify.properties import SCALE_EXP, draw_inputs
    doc = " ".join(_doc().split())
    assert "cases of at most 1000 entries" in doc and JSON_MAX_SIZE == 1000
    assert "(15 cases:" in doc and len(golden.load(1)) == 15
    assert "`2⁻⁶⁶ … 2⁶⁶`" in doc and "`2⁻⁵⁰ … 2⁵⁰`" in doc
    assert SCALE_EXP == {"float64": 66, "float32": 50}
    assert "`10^U(−12, 0)`: they span 12 decades" in doc
    assert "uniform(-12.0, 0.0" in inspect.getsource(draw_inputs)
    assert "nonzero multiples of 1/2048 in [−1, 1]" in doc
    for name in ("lenet300_fc1_f64", "lenet300_fc2_f64", "lenet300_fc3_f64"):
        W = golden.load()[name].W * 2048
        assert np.all(W == np.round(W)) and np.all(W != 0) and np.max(np.abs(W)) <= 2048
    assert "overflows near `\\|W\\| ≈ 1e19`" in doc
    assert 1e19 < math.sqrt(np.finfo(np.float32).max) < 2e19


def test_the_n_d_formula_line_is_the_same_on_the_three_pages():
    lines = []
    for page in (ROOT / "README.md", DOC, ROOT / "docs" / "diagnoses.md"):
        found = [line for line in page.read_text(encoding="utf-8").splitlines()
                 if "**The formula, N-D:**" in line]
        assert len(found) == 1, page
        lines.append(found[0].split("**The formula, N-D:**")[1].split(" ([conventions.md]")[0])
    assert lines[0] == lines[1] == lines[2]
    assert "`d = [1, 0, −1]/2`" in lines[0] and "`b = [3, 10, 3]/16`" in lines[0]
    assert np.allclose(conventions.DERIVATIVE, [0.5, 0, -0.5])
    assert np.allclose(conventions.SMOOTHING, np.array([3, 10, 3]) / 16)


if __name__ == "__main__":
    for mode, (dv, dg) in padding_effects().items():
        print(f"{mode:10s} value moved by {dv:.1e} nats, gradient max-norm relative error {dg:.2f}")
    for name in TABLE:
        t = case_for_profile(golden.load()[name], "float32").tolerance
        print(f"{name:18s} float32 profile: value {t.value_atol:.1e} nats, gradient {t.array_rtol:.1e}")
    kn, energy, both = failure_probabilities()
    print(f"lenet300_fc1: kN = {kn}, P(energy bound fails) <= {energy:.1e}, either sum {both:.1e}")
    for how, (dv, dg) in float32_implementation_errors().items():
        print(f"lenet300_fc2_f32, {how} float32 sums: value error {dv:.1e}, gradient {dg:.1e}")
    print(f"distinct (shape, dtype, axes) calls under float64: {len(distinct_calls())}")
