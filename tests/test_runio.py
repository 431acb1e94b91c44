"""A run directory read back (``entropy_ref.train.runio``): a truncated, inconsistent or pickled
checkpoint, a corrupt ``config.json`` or ``history.json`` is one line naming the file
(``CorruptFileError``), never a traceback or a silently wrong run; stale temporary files of a
killed writer are removed when training starts."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pytest

from entropy_ref.errors import CorruptFileError
from entropy_ref.train import TrainConfig, load_run, train
from entropy_ref.train.runio import load_checkpoint, load_history, save_checkpoint
from helpers import one_line_naming


QUIET = lambda *a: None  # noqa: E731


SMALL = dict(hidden=(8,), lr=1e-3, batch_size=50)


@pytest.fixture
def run_dir(synthetic_mnist_dir, tmp_path):
    from entropy_ref.data import load_mnist

    data = load_mnist(synthetic_mnist_dir, verbose=False)
    out = tmp_path / "run"
    train(TrainConfig(reg="none", epochs=1, out=str(out), **SMALL), data=data, log=QUIET)
    return out


# ------------------------------------------------------------------ checkpoint (model.npz)


@pytest.mark.parametrize("keep", [0.0, 0.3, 0.6, 0.95])
def test_truncated_checkpoint_is_one_line_naming_the_file(run_dir, keep):
    model = run_dir / "model.npz"
    raw = model.read_bytes()
    model.write_bytes(raw[:int(len(raw) * keep)])
    with pytest.raises(CorruptFileError) as info:
        load_run(run_dir)
    assert "corrupt checkpoint" in one_line_naming(info, model)


def _rewrite_npz(path, **changes):
    with np.load(path) as z:
        arrays = {k: z[k] for k in z.files}
    arrays.update(changes)
    for k in [k for k, v in changes.items() if v is None]:
        del arrays[k]
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    path.write_bytes(buf.getvalue())


def test_truncated_member_inside_an_intact_zip(run_dir):
    """A zip whose central directory is fine but whose W0.npy member lost its tail."""
    model = run_dir / "model.npz"
    with np.load(model) as z:
        arrays = {k: z[k] for k in z.files}
    with zipfile.ZipFile(model, "w") as zf:
        for k, a in arrays.items():
            buf = io.BytesIO()
            np.save(buf, a)
            data = buf.getvalue()
            zf.writestr(f"{k}.npy", data[:len(data) // 2] if k == "W0" else data)
    with pytest.raises(CorruptFileError) as info:
        load_run(run_dir)
    text = one_line_naming(info, model)
    assert "'W0.npy'" in text and "pickled" not in text


def test_bit_flip_in_a_member_fails_the_crc(run_dir):
    model = run_dir / "model.npz"
    raw = bytearray(model.read_bytes())
    with zipfile.ZipFile(model) as zf:
        info = zf.getinfo("W0.npy")
    raw[info.header_offset + 30 + len(info.filename) + 200] ^= 0xFF   # inside W0's data
    model.write_bytes(bytes(raw))
    with pytest.raises(CorruptFileError, match="CRC"):
        load_checkpoint(run_dir)


@pytest.mark.parametrize("change, needle", [
    ({"epoch": np.array(-1)}, "epoch -1"),
    ({"adam_t": np.array(-5)}, "Adam step -5"),
    ({"format": np.array(7)}, "format 7"),
    ({"epoch": None}, "no 'epoch' array"),
    ({"epoch": np.array([1, 2])}, "'epoch' is int64 of shape (2,)"),
    ({"rng_state": np.array("{not json")}, "invalid rng_state"),
    ({"rng_state": np.array('{"bit_generator": "Nope"}')}, "invalid rng_state"),
    ({"W0": np.zeros((8, 783), np.float32)}, "adam_m_W0 is float32 of shape (8, 784), expected "
     "float32 of shape (8, 783)"),
    ({"W1": np.zeros((10, 9), np.float32)}, "W1 has shape (10, 9), which does not chain"),
    ({"adam_m_b1": np.zeros(3, np.float32)}, "adam_m_b1 is float32 of shape (3,)"),
    ({"W0": np.zeros((8, 784), np.float64)}, "W0 has dtype float64, but config.json says "
     "float32"),
    ({"W9": np.zeros((2, 2), np.float32)}, "unexpected array 'W9'"),
    ({"extra": np.zeros(2)}, "unexpected array 'extra'"),
    ({"W01": np.zeros((2, 2), np.float32)}, "unexpected array 'W01'"),
    ({"W1": np.zeros(10, np.float32)}, "W1 has shape (10,), expected a matrix"),
    ({"adam_v_W0": None}, "no 'adam_v_W0' array"),
])
def test_inconsistent_checkpoint_is_refused(run_dir, change, needle):
    model = run_dir / "model.npz"
    _rewrite_npz(model, **change)
    with pytest.raises(CorruptFileError) as info:
        load_run(run_dir)
    text = one_line_naming(info, model)
    assert needle in text


def test_checkpoint_of_other_sizes_than_config_is_refused_before_reading(run_dir):
    cfg = json.loads((run_dir / "config.json").read_text())
    cfg["hidden"] = [9]
    (run_dir / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(CorruptFileError, match="layer sizes 784-8-10, but config.json says "
                       "784-9-10"):
        load_run(run_dir)


def test_negative_epoch_checkpoint_is_not_resumed(synthetic_mnist_dir, run_dir):
    _rewrite_npz(run_dir / "model.npz", epoch=np.array(-3))
    with pytest.raises(CorruptFileError, match="epoch -3"):
        train(TrainConfig(reg="none", epochs=2, out=str(run_dir), data_dir=str(
            synthetic_mnist_dir), **SMALL), log=QUIET, resume=True)


def test_pickled_checkpoint_member_is_never_unpickled(run_dir):
    _rewrite_npz(run_dir / "model.npz", rng_state=np.array([{"x": 1}], dtype=object))
    with pytest.raises(CorruptFileError, match="rng_state"):
        load_checkpoint(run_dir)


def test_save_then_load_checkpoint_round_trip(tmp_path):
    from entropy_ref.mlp import init_mlp
    from entropy_ref.optim import adam_init

    rng = np.random.default_rng(3)
    p = init_mlp((784, 5, 10), rng)
    save_checkpoint(tmp_path, p, adam_init(p), 4, rng)
    ck = load_checkpoint(tmp_path, (784, 5, 10), "float32")
    assert ck["epoch"] == 4 and ck["rng_state"] == rng.bit_generator.state
    assert all(np.array_equal(a, b) for a, b in zip(ck["params"]["W"], p["W"]))
    assert load_history(tmp_path) == []


# ------------------------------------------------------------------ config, history


@pytest.mark.parametrize("text, needle", [
    ("{", "not valid JSON"),
    ("[1, 2]", "expected a JSON object"),
    ('{"lr": "fast"}', "lr must be"),
    ('{"colour": 1}', "unknown configuration keys: colour"),
    ('{"eps": "x"}', "corrupt config"),
    ("[" * 100000 + "]" * 100000, "corrupt config"),
    (b"\xff\xfe\x00junk", "not UTF-8"),
])
def test_corrupt_config(run_dir, text, needle):
    path = run_dir / "config.json"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    with pytest.raises(CorruptFileError) as info:
        load_run(run_dir)
    assert needle in one_line_naming(info, path)


@pytest.mark.parametrize("obj, needle", [
    ([], "expected a JSON object"),
    ({"epochs": 3}, "'epochs' list"),
    ({"epochs": [5]}, "record 1"),
    ({"epochs": [{"epoch": 2, "test_accuracy": 0.5}]}, "record 1"),
    ({"epochs": [{"epoch": 1, "test_accuracy": 7}]}, "record 1"),
    ({"epochs": []}, "0 epoch records but the checkpoint is at epoch 1"),
])
def test_corrupt_history(run_dir, obj, needle):
    path = run_dir / "history.json"
    path.write_text(json.dumps(obj))
    with pytest.raises(CorruptFileError) as info:
        load_run(run_dir)
    assert needle in one_line_naming(info, path)


# ------------------------------------------------------------------ stale temporaries


def test_train_start_cleans_stale_temporaries(synthetic_mnist_dir, run_dir):
    stale = run_dir / ".model.npz.999999999-0123456789ab.part"
    stale.write_bytes(b"half")
    lines = []
    train(TrainConfig(reg="none", epochs=2, out=str(run_dir), data_dir=str(synthetic_mnist_dir),
                      **SMALL), log=lines.append, resume=True)
    assert not stale.exists()
    assert any("removed 1 stale temporary file" in line for line in lines)
    assert not [p for p in run_dir.iterdir() if p.name.endswith(".part")]


# ------------------------------------------------------------------ every history field


def _history_with(run_dir, **change):
    path = run_dir / "history.json"
    obj = json.loads(path.read_text())
    for key, value in change.items():
        if value is None:
            del obj["epochs"][0][key]
        else:
            obj["epochs"][0][key] = value
    path.write_text(json.dumps(obj))
    return path


@pytest.mark.parametrize("change, needle", [
    ({"abs_w_percentiles": None}, "record 1: no 'abs_w_percentiles'"),
    ({"seconds": "3.2"}, "record 1: 'seconds' must be a finite number >= 0, got \"3.2\""),
    ({"seconds": -1.0}, "'seconds' must be a finite number >= 0"),
    ({"abs_w_percentiles": [float("nan")] * 101}, "'abs_w_percentiles' must be 101 finite"),
    ({"abs_w_percentiles": list(range(100, -1, -1))}, "must be non-decreasing"),
    ({"abs_w_percentiles": [0.1] * 100}, "'abs_w_percentiles' must be 101"),
    ({"penalty_per_layer": [float("nan")]}, "'penalty_per_layer' must be a list of finite"),
    ({"penalty_per_layer": [0.0, 0.0, 0.0]}, "'penalty_per_layer' has 3 values for 2 weight"),
    ({"entropy_per_layer": ["a", 1.0]}, "'entropy_per_layer' must be a list"),
    ({"train_ce": float("inf")}, "'train_ce' must be a finite number >= 0"),
    ({"val_accuracy": 1.5}, "'val_accuracy' must be an accuracy in [0, 1]"),
    ({"test_accuracy": True}, "'test_accuracy' must be an accuracy"),
    ({"penalty": 5.0}, "'penalty' is not the sum of 'penalty_per_layer'"),
    ({"colour": 1}, "record 1: unexpected field 'colour'"),
])
def test_every_history_field_is_checked(run_dir, change, needle):
    path = _history_with(run_dir, **change)
    with pytest.raises(CorruptFileError) as info:
        load_run(run_dir)
    assert needle in one_line_naming(info, path)


def test_history_of_another_format_is_refused(run_dir):
    path = run_dir / "history.json"
    obj = json.loads(path.read_text())
    obj["format"] = 3
    path.write_text(json.dumps(obj))
    with pytest.raises(CorruptFileError, match="'format' is 3, this version reads 1"):
        load_run(run_dir)


@pytest.mark.parametrize("state, needle", [
    ({"state": {"state": -1, "inc": 1}}, "state.state must be an integer in [0, "),
    ({"state": {"state": 2**200, "inc": 1}}, "state.state must be an integer in [0, "),
    ({"state": {"state": 1.5, "inc": 1}}, "state.state must be an integer"),
    ({"state": {"state": 1, "inc": 1, "x": 0}}, "'state' must be an object"),
    ({"has_uint32": 5}, "has_uint32 must be an integer in [0, 2)"),
    ({"uinteger": -3}, "uinteger must be an integer in [0, 4294967296)"),
    ({"bit_generator": "MT19937"}, "bit_generator 'MT19937', expected 'PCG64'"),
    ({"extra": 1}, "expected the keys"),
])
def test_an_out_of_range_rng_state_is_refused(run_dir, state, needle):
    with np.load(run_dir / "model.npz") as z:
        current = json.loads(str(z["rng_state"]))
    _rewrite_npz(run_dir / "model.npz", rng_state=np.array(json.dumps({**current, **state})))
    with pytest.raises(CorruptFileError) as info:
        load_run(run_dir)
    text = one_line_naming(info, run_dir / "model.npz")
    assert "invalid rng_state" in text and needle in text


def test_a_checkpoint_without_identity_is_refused(run_dir):
    _rewrite_npz(run_dir / "model.npz", identity=None)
    with pytest.raises(CorruptFileError, match="no 'identity' array"):
        load_run(run_dir)
