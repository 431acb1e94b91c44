"""The numbers docs/verifying.md quotes about the kit, measured here (run this file to print them).

* non-zero padding on the 100 x 300 golden case: how far it moves the value and the gradient;
* the golden table of docs/verifying.md lists exactly the cases of the current golden set;
* the float32-profile bounds quoted for the LeNet300 cases.

``python tests/test_verify_numbers.py`` prints the table the page quotes.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from scipy.signal import convolve2d, correlate2d

from entropy_ref import configuration_entropy_grad, golden
from entropy_ref.gradcheck import check_gradient, rel_error
from entropy_ref.verify.profiles import case_for_profile

DOC = Path(__file__).resolve().parent.parent / "docs" / "verifying.md"
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


def test_doc_quotes_the_lenet300_float32_bounds():
    doc = _doc()
    gs = golden.load()
    for name in ("lenet300_fc1_f64", "lenet300_fc2_f64"):
        t = case_for_profile(gs[name], "float32").tolerance
        assert f"{t.value_atol:.1e}" in doc and f"{t.array_rtol:.1e}" in doc, name


if __name__ == "__main__":
    for mode, (dv, dg) in padding_effects().items():
        print(f"{mode:10s} value moved by {dv:.1e} nats, gradient max-norm relative error {dg:.2f}")
    for name in ("tiny_2x2_f64", "lenet300_fc3_f64", "lenet300_fc2_f64", "lenet300_fc1_f64"):
        t = case_for_profile(golden.load()[name], "float32").tolerance
        print(f"{name:18s} float32 profile: value {t.value_atol:.1e} nats, gradient {t.array_rtol:.1e}")
