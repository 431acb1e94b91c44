"""The receptive-field layout: entropy_ref.regularizers.layout, the trainer's
``layout`` setting and ``entropy-ref train --layout``."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from entropy_ref import configuration_entropy
from entropy_ref.cli import main
from entropy_ref.gradcheck import check_gradient, directional_check, rel_error
from entropy_ref.hoyer_rayleigh import loghoyer, rayleigh
from entropy_ref.regularizers import get, normalize_layout, with_layout
from entropy_ref.regularizers.layout import receptive_view
from entropy_ref.scharr import scharr_gradient
from entropy_ref.train import TrainConfig, load_run

TWIN_TOL = 1e-12   # two float64 evaluations of the same formula
GRAD_TOL = 1e-6    # analytic vs central differences, float64, relative max-norm error
RECEPTIVE = ("receptive", "matrix")


def _ws(seed=0, units=4, side=5, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((units, side * side)).astype(dtype),
            rng.standard_normal((3, units)).astype(dtype)]


def _h_c_by_hand(W, side):
    """H_C of the stack of receptive fields, from scharr_gradient on each side x side image:
    ONE scalar, energy summed over all units, sum |W| over all (docs/derivation.md eq. D12)."""
    energy, S = 0.0, 0.0
    for row in W:
        g_x, g_y = scharr_gradient(row.reshape(side, side).astype(np.float64))
        energy += 0.5 * (np.sum(g_x ** 2) + np.sum(g_y ** 2))
        S += np.sum(np.abs(row))
    return 0.5 * math.log(energy) - math.log(S)


def test_receptive_value_is_one_scalar_over_the_stack_computed_by_hand():
    W = _ws(side=28, units=6)[0]
    by_hand = _h_c_by_hand(W, 28)
    total, values, _ = with_layout(get("entropy"), RECEPTIVE)([W, _ws()[1][:, :6]])
    assert abs(values[0] - by_hand) <= TWIN_TOL * abs(by_hand)
    # ... and it is not the sum (or mean) of the per-unit entropies, nor the matrix layout's value
    per_unit = [configuration_entropy(r.reshape(28, 28)) for r in W]
    assert abs(values[0] - sum(per_unit)) > 1.0 and abs(values[0] - np.mean(per_unit)) > 0.1
    assert abs(values[0] - configuration_entropy(W)) > 1e-3


def test_the_field_is_the_row_major_image():
    # a unit that sees one vertical edge in its field: down each column the field is constant, so
    # away from the zero-padded top and bottom rows only g_x (across columns) is nonzero
    field = np.zeros((28, 28))
    field[:, 14:] = 1.0
    W = np.stack([field.reshape(-1), field.reshape(-1) * 0.5])
    V, axes = receptive_view(W)
    assert axes == (1, 2) and np.shares_memory(V, W) and np.array_equal(V[0], field)
    g_x, g_y = scharr_gradient(V, axes=(2, 1))
    assert np.abs(g_y[:, 1:-1]).max() <= 1e-15 and np.abs(g_x[:, 1:-1]).max() > 0.1


@pytest.mark.parametrize("name", ["sparsity", "entropy", "rayleigh"])
@pytest.mark.parametrize("layer", [0, 1])
def test_gradient_matches_finite_differences(name, layer):
    Ws = _ws(seed=2)
    lam = [0.7, 1.3]
    reg = with_layout(get(name), RECEPTIVE)
    _, _, grads = reg(Ws, lam)

    def f(v):
        ws = list(Ws)
        ws[layer] = v
        return reg(ws, lam)[0]

    assert grads[layer].shape == Ws[layer].shape
    assert check_gradient(f, grads[layer], Ws[layer]) < GRAD_TOL


def test_gradient_on_a_first_layer_sized_matrix():
    W = np.random.default_rng(4).standard_normal((300, 784))
    W = np.where(np.abs(W) < 0.05, np.where(W < 0, -0.05, 0.05), W)   # |W| smooth in the step
    reg = with_layout(get("sparsity"), ("receptive",))
    g = reg([W])[2][0]
    assert directional_check(lambda v: reg([v])[0], g, W, rng=0) < GRAD_TOL


def test_matrix_layers_are_unchanged_and_halves_still_add_up():
    Ws = _ws(seed=5)
    for name in ("sparsity", "entropy", "rayleigh"):
        plain = get(name)(Ws)
        lay = with_layout(get(name), RECEPTIVE)(Ws)
        assert rel_error(plain[2][1], lay[2][1]) == 0.0 and plain[1][1] == lay[1][1]
    # receptive layer: sparsity = loghoyer + rayleigh holds there too (loghoyer ignores layout)
    s = with_layout(get("sparsity"), RECEPTIVE)(Ws)
    r = with_layout(get("rayleigh"), RECEPTIVE)(Ws)
    h = get("loghoyer")(Ws)
    assert abs(s[1][0] - (r[1][0] + h[1][0])) <= TWIN_TOL * abs(s[1][0])
    assert rel_error(s[2][0], r[2][0] + h[2][0]) < TWIN_TOL
    V = Ws[0].reshape(4, 5, 5)
    assert r[1][0] == pytest.approx(rayleigh(V, axes=(1, 2)), rel=TWIN_TOL)
    assert h[1][0] == pytest.approx(loghoyer(V), rel=TWIN_TOL)


def test_float32_out_buffers_and_lam():
    Ws = _ws(seed=6, dtype=np.float32)
    reg = with_layout(get("sparsity"), RECEPTIVE)
    want = reg(Ws, [2.0, 0.5])
    out = [np.full_like(W, np.nan) for W in Ws]
    got = reg(Ws, [2.0, 0.5], out=out)
    assert got[0] == want[0] and all(g is o for g, o in zip(got[2], out))
    assert all(np.array_equal(a, b) and a.dtype == np.float32 for a, b in zip(got[2], want[2]))
    assert got[0] == pytest.approx(2.0 * got[1][0] + 0.5 * got[1][1], rel=1e-12)
    ref = with_layout(get("sparsity"), RECEPTIVE)([W.astype(np.float64) for W in Ws], [2.0, 0.5])
    assert rel_error(got[2][0], ref[2][0]) < 2e-6         # float32 vs float64 (measured ~1e-7)
    # a non-contiguous out buffer is filled too, not a silent copy
    big = np.full((Ws[0].shape[0], 2 * Ws[0].shape[1]), np.nan, np.float32)
    strided = big[:, ::2]
    got2 = reg(Ws, [2.0, 0.5], out=[strided, np.empty_like(Ws[1])])
    assert got2[2][0] is strided and np.array_equal(strided, want[2][0])


@pytest.mark.parametrize("layout, reg, message", [
    ("grid", "sparsity", "unknown layout 'grid'; choose one of: matrix, receptive"),
    ("matrix,receptive,matrix", "sparsity", "only the first weight matrix can use the receptive"),
    ("receptive,matrix", "sparsity", "layout has 2 values but the network has 3"),
    ("receptive", "l1", "l1 does not depend on where the weights sit"),
    ("receptive", "loghoyer", "loghoyer does not depend"),
    (3, "sparsity", "layout must be"),
])
def test_bad_layouts_are_rejected(layout, reg, message):
    with pytest.raises(ValueError, match=message):
        normalize_layout(layout, 3, reg)
    with pytest.raises(ValueError, match=message):
        TrainConfig(reg=reg, layout=layout)


def test_receptive_view_rejects_non_square_inputs():
    with pytest.raises(ValueError, match="300 inputs, not the pixels of a square image"):
        with_layout(get("sparsity"), ("receptive",))([np.ones((4, 300))])
    with pytest.raises(ValueError, match="layout .* is for 2 weight matrices, got 1"):
        with_layout(get("sparsity"), RECEPTIVE)([np.ones((4, 25))])


def test_config_records_the_layout():
    c = TrainConfig(layout="receptive")
    assert c.layout == ("receptive", "matrix", "matrix")
    assert c.to_dict()["layout"] == ["receptive", "matrix", "matrix"]
    assert TrainConfig.from_dict(json.loads(json.dumps(c.to_dict()))) == c
    assert TrainConfig(layout=["matrix"] * 3).layout == "matrix" == TrainConfig().layout
    assert [d[0] for d in c.differences(TrainConfig())] == ["layout"]
    assert any(line.lstrip().startswith("layout") for line in c.describe())
    # a configuration saved before the field existed still loads, as the matrix layout
    old = TrainConfig().to_dict()
    del old["layout"]
    assert TrainConfig.from_dict(old).layout == "matrix"


FAST = ["--hidden", "16,8", "--lr", "1e-3", "--epochs", "1"]


def test_train_cli_receptive_run_and_resume(synthetic_mnist_dir, tmp_path, capsys):
    out = tmp_path / "rec"
    base = ["train", "--reg", "sparsity", "--data-dir", str(synthetic_mnist_dir), "--out", str(out),
            *FAST]
    assert main([*base, "--layout", "receptive"]) == 0
    stdout = capsys.readouterr().out
    assert "layout" in stdout and "receptive" in stdout
    assert json.loads((out / "config.json").read_text())["layout"] == ["receptive", "matrix",
                                                                       "matrix"]
    config, params, history = load_run(out)
    assert config.layout == ("receptive", "matrix", "matrix") and len(history) == 1
    # the penalty the trainer logged is the receptive one, not the matrix one
    reg = with_layout(get("sparsity"), config.layout)
    assert np.isfinite(reg(params["W"])[0])
    # resume keeps the saved layout when --layout is not given, and refuses a different one
    assert main([*base[:-2], "--epochs", "2", "--resume"]) == 0
    assert len(load_run(out)[2]) == 2
    capsys.readouterr()
    rc = main([*base[:-2], "--epochs", "3", "--resume", "--layout", "matrix"])
    err = capsys.readouterr().err
    assert rc == 2 and "Traceback" not in err and "layout" in err


def test_train_cli_layout_with_a_non_spatial_regularizer_is_one_clean_error(
        synthetic_mnist_dir, tmp_path, capsys):
    rc = main(["train", "--reg", "l1", "--layout", "receptive", "--data-dir",
               str(synthetic_mnist_dir), "--out", str(tmp_path / "x"), *FAST])
    err = capsys.readouterr().err
    assert rc == 2 and "Traceback" not in err
    assert "l1 does not depend on where the weights sit" in err
    assert not (tmp_path / "x" / "config.json").exists()


def test_receptive_and_matrix_runs_differ(synthetic_mnist_dir, tmp_path, capsys):
    """Same seed, same data: the layout changes the penalty, so it changes the trained weights."""
    runs = {}
    for layout in ("matrix", "receptive"):
        out = tmp_path / layout
        assert main(["train", "--reg", "sparsity", "--layout", layout, "--data-dir",
                     str(synthetic_mnist_dir), "--out", str(out), *FAST]) == 0
        runs[layout] = load_run(out)[1]["W"][0]
    assert rel_error(runs["matrix"], runs["receptive"]) > 1e-4
