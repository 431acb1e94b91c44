"""Trainer: run-dir files, determinism, bit-identical resume (also after Ctrl-C), equivalence
with a plain loop of the pure functions, validation split, bad states."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest

import entropy_ref
from entropy_ref import mlp, regularizers
from entropy_ref.data import load_mnist, write_synthetic_mnist
from entropy_ref.optim import AdamHP, adam_init, adam_step_params
from entropy_ref.regularizers.base import Regularizer
from entropy_ref.train import (TrainConfig, TrainingDivergedError, load_checkpoint, load_run,
                               prepare_data, train)
from entropy_ref.train import loop as loop_mod
from entropy_ref.train import runio
from entropy_ref.train.progress import InEpochProgress
from entropy_ref.train.step import pack_state, run_epoch

QUIET = lambda *a: None      # noqa: E731
SMALL = dict(hidden=(32, 16), lr=1e-3)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    d = write_synthetic_mnist(tmp_path_factory.mktemp("mnist"), n_train=600, n_test=200, seed=0)
    return load_mnist(d, verbose=False)


def _same_weights(p, q):
    return all(np.array_equal(a, b) for a, b in zip(p["W"] + p["b"], q["W"] + q["b"]))


def _strip_times(history):
    return [{k: v for k, v in r.items() if k not in ("seconds", "eval_seconds")} for r in history]


def test_run_directory_contents(data, tmp_path):
    lines = []
    cfg = TrainConfig(reg="sparsity", epochs=2, out=str(tmp_path / "run"), **SMALL)
    res = train(cfg, data=data, log=lines.append)
    run = tmp_path / "run"
    assert json.loads((run / "config.json").read_text()) == cfg.to_dict()
    # every default is printed, then one line per epoch
    text = "\n".join(lines)
    for name in cfg.to_dict():
        assert f"  {name} " in text
    epoch_lines = [s for s in lines if s.startswith("epoch ")]
    assert len(epoch_lines) == 2 and "penalty" in epoch_lines[0] and "l_C" in epoch_lines[0]
    assert "ETA" in epoch_lines[0] and "test" in epoch_lines[0]

    hist = json.loads((run / "history.json").read_text())["epochs"]
    assert hist == json.loads(json.dumps(res.history))
    for e, r in enumerate(hist, start=1):
        assert r["epoch"] == e and r["train_ce"] > 0 and 0 <= r["test_accuracy"] <= 1
        assert len(r["penalty_per_layer"]) == len(r["entropy_per_layer"]) == 3
        assert r["penalty"] == pytest.approx(sum(r["penalty_per_layer"]), rel=1e-12)
        assert r["objective"] == pytest.approx(r["train_ce"] + r["penalty"], rel=1e-12)
        q = r["abs_w_percentiles"]
        assert len(q) == 101 and q == sorted(q) and q[0] >= 0
    config, params, history = load_run(run)
    assert config == cfg and history == hist and _same_weights(params, res.params)
    # the last snapshot describes the saved weights: |w| of all matrices pooled, H_C per layer
    pooled = np.concatenate([np.abs(W.astype(np.float64)).ravel() for W in params["W"]])
    np.testing.assert_allclose(hist[-1]["abs_w_percentiles"], np.percentile(pooled, range(101)),
                               rtol=1e-15)
    for h, W in zip(hist[-1]["entropy_per_layer"], params["W"]):
        assert h == pytest.approx(entropy_ref.configuration_entropy(W.astype(np.float64)),
                                  rel=1e-12)
    # under sparsity, the per-layer penalty is lam * l_C = -H_C (epoch means vs end values:
    # same sign, same order of magnitude)
    assert all(p * h < 0 for p, h in zip(hist[-1]["penalty_per_layer"],
                                         hist[-1]["entropy_per_layer"]))
    ck = load_checkpoint(run)
    assert ck["epoch"] == 2 and ck["opt_state"]["t"] == 2 * 6        # 600 images / batch 100
    assert sorted(p.name for p in run.iterdir()) == ["config.json", "history.json", "model.npz",
                                                     "run.json"]


@pytest.mark.parametrize("reg", ["none", "l1"])
def test_entropy_is_recorded_for_every_regularizer(data, reg):
    res = train(TrainConfig(reg=reg, epochs=1, **SMALL), data=data, log=QUIET)
    assert all(isinstance(h, float) for h in res.history[0]["entropy_per_layer"])


def test_same_seed_gives_bit_identical_weights(data):
    cfg = TrainConfig(reg="sparsity", epochs=2)                          # the full LeNet300
    a = train(cfg, data=data, log=QUIET)
    b = train(cfg, data=data, log=QUIET)
    c = train(TrainConfig(reg="sparsity", epochs=2, seed=1), data=data, log=QUIET)
    assert _same_weights(a.params, b.params)
    assert _strip_times(a.history) == _strip_times(b.history)
    assert not np.array_equal(a.params["W"][0], c.params["W"][0])


def test_float64_training(data):
    res = train(TrainConfig(reg="entropy", epochs=1, dtype="float64", **SMALL), data=data,
                log=QUIET)
    assert all(a.dtype == np.float64 for a in res.params["W"] + res.params["b"])


def test_resume_continues_bit_identically(data, tmp_path):
    full = train(TrainConfig(reg="sparsity", epochs=3, out=str(tmp_path / "a"), **SMALL),
                 data=data, log=QUIET)
    train(TrainConfig(reg="sparsity", epochs=1, out=str(tmp_path / "b"), **SMALL), data=data,
          log=QUIET)
    lines = []
    resumed = train(TrainConfig(reg="sparsity", epochs=3, out=str(tmp_path / "b"), **SMALL),
                    data=data, log=lines.append, resume=True)
    assert any("resuming" in s and "after epoch 1" in s for s in lines)
    assert (full.epochs_trained, resumed.epochs_trained) == (3, 2)
    assert _same_weights(full.params, resumed.params)
    assert _strip_times(full.history) == _strip_times(resumed.history)
    _, params, history = load_run(tmp_path / "b")
    assert _same_weights(full.params, params) and len(history) == 3
    again = train(TrainConfig(reg="sparsity", epochs=3, out=str(tmp_path / "b"), **SMALL),
                  data=data, log=QUIET, resume=True)                  # nothing left to do
    assert _same_weights(full.params, again.params) and again.epochs_trained == 0


def test_ctrl_c_keeps_the_last_completed_epoch_and_resume_recovers(data, tmp_path, monkeypatch):
    cfg = TrainConfig(reg="l1", lam=1e-4, epochs=3, out=str(tmp_path / "run"), **SMALL)
    full = train(TrainConfig(reg="l1", lam=1e-4, epochs=3, **SMALL), data=data, log=QUIET)
    real, calls = loop_mod.run_epoch, []

    def interrupted(*args, **kwargs):       # epoch 2 runs (mutating memory), then "Ctrl-C"
        calls.append(1)
        out = real(*args, **kwargs)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return out

    monkeypatch.setattr(loop_mod, "run_epoch", interrupted)
    lines = []
    with pytest.raises(KeyboardInterrupt):
        train(cfg, data=data, log=lines.append)
    assert "interrupted during epoch 2" in lines[-1] and "holds epoch 1" in lines[-1]
    assert load_checkpoint(tmp_path / "run")["epoch"] == 1
    assert len(load_run(tmp_path / "run")[2]) == 1
    monkeypatch.setattr(loop_mod, "run_epoch", real)
    resumed = train(cfg, data=data, log=QUIET, resume=True)
    assert _same_weights(full.params, resumed.params)


def test_interruption_between_history_and_checkpoint(data, tmp_path, monkeypatch):
    cfg = TrainConfig(reg="hoyer", lam=1e-3, epochs=3, out=str(tmp_path / "run"), **SMALL)
    full = train(TrainConfig(reg="hoyer", lam=1e-3, epochs=3, **SMALL), data=data, log=QUIET)
    real, calls = runio.save_checkpoint, []

    def dies_on_second(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(runio, "save_checkpoint", dies_on_second)
    with pytest.raises(KeyboardInterrupt):
        train(cfg, data=data, log=QUIET)
    hist_on_disk = json.loads((tmp_path / "run" / "history.json").read_text())["epochs"]
    assert len(hist_on_disk) == 2 and load_checkpoint(tmp_path / "run")["epoch"] == 1
    assert not [p for p in (tmp_path / "run").iterdir() if p.name.endswith(".tmp")]
    monkeypatch.setattr(runio, "save_checkpoint", real)
    resumed = train(cfg, data=data, log=QUIET, resume=True)
    assert _same_weights(full.params, resumed.params) and len(resumed.history) == 3
    assert _strip_times(resumed.history) == _strip_times(full.history)


@pytest.mark.parametrize("reg", ["sparsity", "hoyer"])
def test_packed_epoch_equals_a_plain_loop_of_pure_functions(reg):
    """The fast path (flat vectors, buffers, in-place Adam) changes no number."""
    rng = np.random.default_rng(0)
    X = rng.random((250, 784), dtype=np.float32)       # 250 = 2 full batches + a partial one
    y = rng.integers(0, 10, 250)
    params = mlp.init_mlp((784, 24, 12, 10), rng)
    lams, hp, r = [1.0, 0.5, 2.0], AdamHP(lr=1e-3), regularizers.get(reg)

    state = pack_state(params, adam_init(params), 100)
    ce_sum, pen_sums, steps = run_epoch(state, X, y, np.random.default_rng(7), r, lams, hp)

    p, s = params, adam_init(params)                   # reference: pure functions only
    perm, ref_ce, ref_pen = np.random.default_rng(7).permutation(250), 0.0, [0.0, 0.0, 0.0]
    for start in range(0, 250, 100):
        idx = perm[start:start + 100]
        ce, g = mlp.loss_and_grads(p, X[idx], y[idx])
        _, values, rg = r(p["W"], lams)
        g = {"W": [a + b for a, b in zip(g["W"], rg)], "b": g["b"]}
        p, s = adam_step_params(p, g, s, hp)
        ref_ce += ce * idx.size
        ref_pen = [acc + lam * v for acc, lam, v in zip(ref_pen, lams, values)]
    assert steps == 3 and state.opt_state["t"] == s["t"] == 3
    assert ce_sum == ref_ce and pen_sums == ref_pen
    assert _same_weights(state.params, p)
    for key in ("m", "v"):
        assert all(np.array_equal(a, b) for a, b in zip(state.opt_state[key]["W"], s[key]["W"]))


def test_validation_split_and_training_subset(data):
    lines = []
    res = train(TrainConfig(reg="none", epochs=1, val_size=100, train_subset=300, **SMALL),
                data=data, log=lines.append)
    assert any("300 training, 100 validation, 200 test images" in s for s in lines)
    assert 0 <= res.history[0]["val_accuracy"] <= 1 and "val " in lines[-2]
    ds = prepare_data(TrainConfig(val_size=100, train_subset=300), data)
    assert np.array_equal(ds.y_val, data.train_labels[500:])          # the LAST 100 images
    assert np.array_equal(ds.y_train, data.train_labels[:300])
    assert ds.X_train.dtype == np.float32 and ds.X_train.max() <= 1.0
    with pytest.raises(ValueError, match="train_subset=501 exceeds the 500 training images"):
        prepare_data(TrainConfig(val_size=100, train_subset=501), data)
    with pytest.raises(ValueError, match="leaves no training images"):
        prepare_data(TrainConfig(val_size=600), data)


def test_training_learns_the_synthetic_digits(data):
    res = train(TrainConfig(reg="sparsity", epochs=3, lr=1e-3), data=data, log=QUIET)
    assert res.history[-1]["test_accuracy"] >= 0.8          # chance is 0.1
    assert res.history[-1]["train_ce"] < res.history[0]["train_ce"]


def test_existing_run_needs_resume_and_matching_settings(data, tmp_path):
    out = str(tmp_path / "run")
    train(TrainConfig(reg="none", epochs=1, out=out, **SMALL), data=data, log=QUIET)
    with pytest.raises(ValueError, match="already holds a run.*--resume"):
        train(TrainConfig(reg="none", epochs=2, out=out, **SMALL), data=data, log=QUIET)
    with pytest.raises(ValueError, match=r"settings differ \(lr: saved 0.001, given 0.01\)"):
        train(TrainConfig(reg="none", epochs=2, out=out, hidden=(32, 16), lr=1e-2), data=data,
              log=QUIET, resume=True)


def test_corrupt_checkpoint_is_reported(data, tmp_path):
    out = tmp_path / "run"
    train(TrainConfig(reg="none", epochs=1, out=str(out), **SMALL), data=data, log=QUIET)
    (out / "model.npz").write_bytes(b"not a zip file")
    with pytest.raises(ValueError, match="corrupt checkpoint"):
        load_run(out)
    (out / "config.json").write_text("{")
    with pytest.raises(ValueError, match="corrupt config"):
        load_run(out)


def test_divergence_is_an_error_not_a_silent_nan(data, monkeypatch):
    def nan_penalty(weights, lam=1.0, out=None):
        return float("nan"), [float("nan")] * len(weights), [np.zeros_like(W) for W in weights]

    monkeypatch.setitem(regularizers.REGISTRY, "nan", Regularizer("nan", "broken", nan_penalty))
    with pytest.raises(TrainingDivergedError, match="nan penalty became nan at step 1"):
        train(TrainConfig(reg="nan", epochs=1, **SMALL), data=data, log=QUIET)


def test_in_epoch_progress_only_on_a_terminal():
    class Tty(io.StringIO):
        def isatty(self):
            return True

    tty, pipe = Tty(), io.StringIO()
    for stream in (tty, pipe):
        bar = InEpochProgress(2, 5, 10, stream=stream, interval=0.0)
        bar.update(5)
        bar.close()
    assert "epoch 2/5:  50.0%" in tty.getvalue() and "\r" in tty.getvalue()
    assert pipe.getvalue() == ""


def test_config_validation_messages():
    for kwargs, match in [({"reg": "l0"}, "unknown regularizer"), ({"lam": -0.5}, "lam must be"),
                          ({"batch_size": 0}, "batch_size must be an integer >= 1"),
                          ({"epochs": -1}, "epochs"), ({"dtype": "float16"}, "dtype must be"),
                          ({"lr": 0}, "lr must be"), ({"hidden": (300, 0)}, "hidden"),
                          ({"lam": (1.0, 1.0)}, "lam has 2 values but the network has 3"),
                          ({"train_subset": 0}, "train_subset"), ({"val_size": -1}, "val_size")]:
        with pytest.raises(ValueError, match=match):
            TrainConfig(**kwargs)
    with pytest.raises(TypeError, match="TrainConfig"):
        train({"reg": "none"})


def test_empty_out_in_the_library(tmp_path, monkeypatch):
    from entropy_ref.train import TrainConfig, train

    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match="out must name a run directory, got an empty string"):
        train(TrainConfig(reg="none", epochs=1, out="", hidden=(8,)), log=lambda *a: None)
    assert list(tmp_path.iterdir()) == []
