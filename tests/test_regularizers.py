"""Regularizers: registry, values, finite-difference gradients, lam, whole-network check."""

from __future__ import annotations

import numpy as np
import pytest

import entropy_ref
from entropy_ref import regularizers
from entropy_ref.gradcheck import check_gradient
from entropy_ref.mlp import init_mlp, loss_and_grads
from entropy_ref.optim import pack
from entropy_ref.regularizers.base import Regularizer
from entropy_ref.regularizers.hoyer import hoyer_square

NAMES = ("none", "sparsity", "entropy", "l1", "hoyer", "loghoyer", "rayleigh")
GRAD_TOL = 1e-6      # analytic vs central differences (float64, relative max-norm error)


def _weights(seed=0, shapes=((7, 9), (5, 7))):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s) for s in shapes]


def test_registry_names_and_unknown_name():
    assert regularizers.names() == NAMES
    for name in NAMES:
        assert regularizers.get(name).name == name
    with pytest.raises(ValueError, match="unknown regularizer 'l0'; choose one of: none, sparsity"):
        regularizers.get("l0")


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_result_structure_and_dtype(name, dtype):
    Ws = [W.astype(dtype) for W in _weights()]
    total, values, grads = regularizers.get(name)(Ws, lam=[0.5, 2.0])
    assert isinstance(total, float) and len(values) == 2 and len(grads) == 2
    assert total == pytest.approx(0.5 * values[0] + 2.0 * values[1], rel=1e-12, abs=1e-12)
    for W, g in zip(Ws, grads):
        assert g.shape == W.shape and g.dtype == dtype


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("l", [0, 1])
def test_gradient_finite_differences(name, l):
    Ws = _weights(seed=3)
    lam = [0.7, 1.3]
    reg = regularizers.get(name)
    _, _, grads = reg(Ws, lam)

    def f(v):
        ws = list(Ws)
        ws[l] = v
        return reg(ws, lam)[0]

    assert check_gradient(f, grads[l], Ws[l]) < GRAD_TOL


@pytest.mark.parametrize("name", NAMES)
def test_out_buffers_are_filled_and_returned(name):
    Ws = [W.astype(np.float32) for W in _weights()]
    want = regularizers.get(name)(Ws, 0.5)
    out = [np.full_like(W, np.nan) for W in Ws]
    got = regularizers.get(name)(Ws, 0.5, out=out)
    assert got[0] == want[0] and got[1] == want[1]
    for g, o, w in zip(got[2], out, want[2]):
        assert g is o and np.array_equal(g, w)
    with pytest.raises(ValueError, match="out"):
        regularizers.get(name)(Ws, 0.5, out=[np.empty((2, 2), np.float32)] * 2)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("lam, match", [
    (-1.0, "lam must be finite and >= 0"), ([1.0, float("inf")], "lam must be finite"),
    ([1.0, 1.0, 1.0], "lam has 3 values but there are 2 weight matrices"),
])
def test_bad_lambda_is_rejected(name, lam, match):
    with pytest.raises(ValueError, match=match):
        regularizers.get(name)(_weights(), lam)


def test_sparsity_is_minus_entropy_and_matches_the_one_array_functions():
    Ws = _weights(seed=5)
    s_total, s_vals, s_grads = regularizers.get("sparsity")(Ws)
    e_total, e_vals, e_grads = regularizers.get("entropy")(Ws)
    assert s_total == pytest.approx(-e_total, rel=1e-14)
    for W, sv, ev, sg, eg in zip(Ws, s_vals, e_vals, s_grads, e_grads):
        assert sv == pytest.approx(entropy_ref.sparsity_loss(W), rel=1e-14)
        assert ev == pytest.approx(entropy_ref.configuration_entropy(W), rel=1e-14)
        np.testing.assert_allclose(sg, -eg, rtol=1e-14, atol=0)


def test_l1_values_and_subgradient_at_zero():
    total, values, grads = regularizers.get("l1")([np.array([[1.5, -2.0, 0.0]])], lam=2.0)
    assert values == [3.5] and total == 7.0
    assert grads[0].tolist() == [[2.0, -2.0, 0.0]]


def test_hoyer_properties():
    one_hot = np.zeros((4, 5))
    one_hot[2, 3] = -3.0
    assert hoyer_square(one_hot)[0] == pytest.approx(1.0, rel=1e-15)          # sparsest: 1
    assert hoyer_square(np.full((4, 5), 0.2))[0] == pytest.approx(20.0, rel=1e-14)  # densest: n
    W = _weights(seed=7)[0]
    v, g = hoyer_square(W)
    v2, g2 = hoyer_square(-4.0 * W)                     # scale invariant value, grad ~ 1/alpha
    assert v2 == pytest.approx(v, rel=1e-13)
    np.testing.assert_allclose(g2, -g / 4.0, rtol=1e-12, atol=1e-15)
    # Euler's theorem for a degree-0 homogeneous function: <grad, W> = 0
    assert abs(float(np.vdot(g, W))) < 1e-12 * np.abs(g).sum() * np.abs(W).max()
    with pytest.raises(entropy_ref.DegenerateInputError, match="all-zero"):
        hoyer_square(np.zeros((3, 3)))


def test_none_is_trivial_and_zero():
    reg = regularizers.get("none")
    total, values, grads = reg(_weights())
    assert reg.trivial and total == 0.0 and values == [0.0, 0.0]
    assert all(not g.any() for g in grads)
    assert not any(regularizers.get(n).trivial for n in NAMES if n != "none")


@pytest.mark.parametrize("name", NAMES)
def test_whole_network_objective_gradient(name):
    """d/dtheta [CE(theta) + penalty(W)] for the full parameter vector (biases unregularized)."""
    rng = np.random.default_rng(11)
    params = init_mlp((10, 8, 6, 4), rng, np.float64)
    X, y = rng.standard_normal((12, 10)), rng.integers(0, 4, 12)
    lam = [0.5, 1.0, 2.0]
    reg = regularizers.get(name)
    flat, views = pack(params)

    def objective(theta):
        flat[:] = theta
        return loss_and_grads(views, X, y)[0] + reg(views["W"], lam)[0]

    theta0 = flat.copy()
    _, g = loss_and_grads(views, X, y)
    _, _, rg = reg(views["W"], lam)
    g_total = {"W": [a + r for a, r in zip(g["W"], rg)], "b": g["b"]}
    analytic, _ = pack(g_total)
    err = check_gradient(objective, analytic, theta0)
    flat[:] = theta0
    assert err < GRAD_TOL


def test_a_new_regularizer_is_one_registry_entry(monkeypatch):
    def l2(weights, lam=1.0, out=None):
        lams = regularizers.broadcast_lam(lam, len(weights), "l2")
        values = [float(np.sum(W * W)) for W in weights]
        return (sum(a * v for a, v in zip(lams, values)), values,
                [2 * a * W for a, W in zip(lams, weights)])

    monkeypatch.setitem(regularizers.REGISTRY, "l2", Regularizer("l2", "sum of squares", l2))
    assert regularizers.get("l2")([np.ones((2, 2))])[0] == 4.0
    from entropy_ref.train import TrainConfig
    assert TrainConfig(reg="l2").reg == "l2"       # the trainer accepts it by name


@pytest.mark.parametrize("name", ["loghoyer", "rayleigh"])
def test_the_halves_of_l_c_train_from_the_command_line(name, synthetic_mnist_dir, tmp_path, capsys):
    """``entropy-ref train --reg loghoyer|rayleigh`` runs end to end in float32."""
    import json

    from entropy_ref.cli import main
    from entropy_ref.train import load_run

    out = tmp_path / name
    rc = main(["train", "--reg", name, "--lam", "0.1", "--epochs", "1", "--hidden", "16,8",
               "--lr", "1e-3", "--data-dir", str(synthetic_mnist_dir), "--out", str(out)])
    assert rc == 0, capsys.readouterr().err
    assert json.loads((out / "config.json").read_text())["reg"] == name
    _, params, history = load_run(out)
    assert len(history) == 1 and params["W"][0].dtype == np.float32
    assert all(np.isfinite(W).all() for W in params["W"])


# ------------------------------------------------------------------ a total beyond float64


FLOAT64_MAX = float(np.finfo(np.float64).max)


@pytest.mark.parametrize("name", ["sparsity", "entropy", "l1", "hoyer", "loghoyer"])
@pytest.mark.parametrize("layout", ["matrix", "receptive"])
def test_an_overflowing_term_is_an_error_naming_it(name, layout):
    """``lam * f(W_l)`` beyond float64 (every gradient finite) is refused, never an inf total."""
    if layout == "receptive" and name not in regularizers.SPATIAL:
        pytest.skip("the receptive layout applies to the Scharr-based regularizers only")
    Ws = _weights(shapes=((8, 784), (5, 8)))
    reg = regularizers.with_layout(regularizers.get(name),
                                   regularizers.normalize_layout(layout, 2, name))
    _, values, _ = reg(Ws)
    assert abs(values[0]) > 1.1
    with pytest.raises(ValueError) as exc:
        reg(Ws, lam=[FLOAT64_MAX / abs(values[0]) * 1.01, 1.0])
    text = str(exc.value)
    assert text.startswith(f"{name}: the term of weight matrix 0, lam * f(W_0) = ")
    assert text.endswith("overflows float64; use a smaller lam") and "\n" not in text


@pytest.mark.parametrize("name", ["sparsity", "entropy", "l1", "hoyer", "loghoyer", "rayleigh"])
def test_a_sum_of_finite_terms_beyond_float64_is_an_error(name):
    Ws = _weights(shapes=((7, 9),) * 3)
    _, values, _ = regularizers.get(name)(Ws)
    assert len({np.sign(v) for v in values}) == 1          # the terms add up
    lam = 0.9 * FLOAT64_MAX / max(1.0, max(abs(v) for v in values))
    with pytest.raises(ValueError, match=f"{name}: the sum over the weight matrices overflows "
                                         "float64 at matrix [12]"):
        regularizers.get(name)(Ws, lam=lam)


@pytest.mark.parametrize("kind", ["sparsity_loss", "configuration_entropy"])
def test_penalty_sum_overflow_names_the_term(kind):
    Ws = _weights()
    with pytest.raises(ValueError, match=r"penalty_sum: the term of weight matrix 0, "
                                         r"lam \* f\(W_0\) = 1e\+308 \* .* overflows float64"):
        entropy_ref.penalty_sum(Ws, lam=1e308, kind=kind)
    r = entropy_ref.penalty_sum(Ws, lam=1e300, kind=kind)      # large, and representable
    assert np.isfinite(r.total) and all(np.all(np.isfinite(g)) for g in r.grads)
