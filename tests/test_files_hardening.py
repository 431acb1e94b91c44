"""Every file the project reads back, corrupted on purpose: a one-line error naming the file.

Issue 10, items 5, 6 and 9 (files): truncated and inconsistent checkpoints, corrupt configs,
histories and curves, a corrupt golden set, hostile ``verify`` inputs (empty, not ``.npy``,
a header claiming 10^13 entries, a decompression bomb, a truncated member), IDX headers whose
dimensions overflow int64, and stale temporary files of a killed writer.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tracemalloc
import warnings
import zipfile

import numpy as np
import pytest
from numpy.lib import format as npy_format

from entropy_ref import golden
from entropy_ref.storage.atomic import atomic_write_bytes, clean_stale_temps, create_temp
from entropy_ref.errors import CorruptFileError
from entropy_ref.storage.readers import read_json, read_npz
from entropy_ref.data import MNISTDataError, parse_idx
from entropy_ref.prune import read_curve_csv
from entropy_ref.prune.plan import MAX_POINTS, n_points
from entropy_ref.train import TrainConfig, load_run, train
from entropy_ref.train.runio import load_checkpoint, load_history, save_checkpoint
from entropy_ref.verify import VerificationFileError, check_file, save_outputs

QUIET = lambda *a: None  # noqa: E731
SMALL = dict(hidden=(8,), lr=1e-3, batch_size=50)


@pytest.fixture
def run_dir(synthetic_mnist_dir, tmp_path):
    from entropy_ref.data import load_mnist

    data = load_mnist(synthetic_mnist_dir, verbose=False)
    out = tmp_path / "run"
    train(TrainConfig(reg="none", epochs=1, out=str(out), **SMALL), data=data, log=QUIET)
    return out


def _one_line_naming(exc_info, path):
    text = str(exc_info.value)
    assert "\n" not in text, text
    assert str(path) in text, text
    return text


# ------------------------------------------------------------------ checkpoint (model.npz)

@pytest.mark.parametrize("keep", [0.0, 0.3, 0.6, 0.95])
def test_truncated_checkpoint_is_one_line_naming_the_file(run_dir, keep):
    model = run_dir / "model.npz"
    raw = model.read_bytes()
    model.write_bytes(raw[:int(len(raw) * keep)])
    with pytest.raises(CorruptFileError) as info:
        load_run(run_dir)
    assert "corrupt checkpoint" in _one_line_naming(info, model)


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
    text = _one_line_naming(info, model)
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
    text = _one_line_naming(info, model)
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


# ------------------------------------------------------------------ config, history, curve

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
    assert needle in _one_line_naming(info, path)


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
    assert needle in _one_line_naming(info, path)


@pytest.mark.parametrize("text, needle", [
    ("percentile,threshold,nonzero,test_accuracy\n0.0,nan,3\n", "line 2 has 3 fields"),
    ("percentile,threshold,nonzero,test_accuracy\n0.0,nan,x,0.5\n", "corrupt curve file"),
    ("percentile,threshold,nonzero,test_accuracy\n0.0,nan,3,nan\n", "accuracy outside"),
    ("percentile,threshold,nonzero,test_accuracy\n0.0,nan,3,1e999999\n", "accuracy outside"),
    ("percentile,threshold,nonzero,test_accuracy\n0.0,nan,99999999999999999999999,0.5\n",
     "corrupt curve file"),
])
def test_corrupt_curve_csv(tmp_path, text, needle):
    path = tmp_path / "curve.csv"
    path.write_text(text)
    with pytest.raises(CorruptFileError) as info:
        read_curve_csv(path)
    assert needle in _one_line_naming(info, path)


def test_curve_csv_not_utf8(tmp_path):
    path = tmp_path / "curve.csv"
    path.write_bytes(b"\xff\xfe" * 10)
    with pytest.raises(CorruptFileError) as info:
        read_curve_csv(path)
    _one_line_naming(info, path)


def test_corrupt_cached_curve_metadata(tmp_path):
    from entropy_ref.prune import Curve
    from entropy_ref.reproduce.curves import load_cached_curve, save_curve

    params = {"W": [np.ones((2, 3))], "b": [np.zeros(2)]}
    curve = Curve(np.array([0.0, 100.0]), np.array([np.nan, 1.0]), np.array([6, 0]),
                  np.array([9, 1]), 10)
    meta = save_curve(tmp_path, curve, params, step=100)
    assert load_cached_curve(tmp_path, params, step=100) is not None
    meta["n_eval"] = "ten"
    (tmp_path / "curve.json").write_text(json.dumps(meta))
    with pytest.raises(CorruptFileError) as info:
        load_cached_curve(tmp_path, params, step=100)
    _one_line_naming(info, tmp_path / "curve.json")


# ------------------------------------------------------------------ golden set

def test_corrupt_golden_file(tmp_path):
    src = golden.npz_path()
    raw = src.read_bytes()
    bad = tmp_path / src.name
    bad.write_bytes(raw[:len(raw) // 2])
    with pytest.raises(CorruptFileError) as info:
        golden.load(directory=tmp_path)
    assert "corrupt golden set" in _one_line_naming(info, bad)
    with np.load(src) as z:
        arrays = {k: z[k] for k in z.files if k != "__meta__"}
    np.savez(bad, **arrays)                       # no metadata
    with pytest.raises(CorruptFileError, match="__meta__"):
        golden.load(directory=tmp_path)


# ------------------------------------------------------------------ verify inputs

def _npy_header(shape, descr="<f8"):
    buf = io.BytesIO()
    npy_format.write_array_header_1_0(buf, {"descr": descr, "fortran_order": False,
                                            "shape": shape})
    return buf.getvalue()


def test_verify_empty_file(tmp_path):
    path = tmp_path / "empty.npz"
    path.write_bytes(b"")
    with pytest.raises(VerificationFileError) as info:
        check_file(path)
    assert "not a readable .npz" in _one_line_naming(info, path)


def test_verify_zip_member_that_is_not_npy(tmp_path):
    path = tmp_path / "notes.npz"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("tiny_2x2_f64/value.txt", "1.0")
    with pytest.raises(VerificationFileError) as info:
        check_file(path)
    assert "is not a .npy array" in _one_line_naming(info, path)


def test_verify_header_claiming_ten_to_the_13_entries(tmp_path):
    path = tmp_path / "huge.npz"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("tiny_2x2_f64/grad.npy", _npy_header((10**13,)) + b"\0" * 32)
    with pytest.raises(VerificationFileError) as info:
        check_file(path)
    assert "declares shape (10000000000000,)" in _one_line_naming(info, path)


def test_verify_truncated_member_is_not_called_pickled(tmp_path):
    path = tmp_path / "cut.npz"
    W = golden.load()["tiny_2x2_f64"].W
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("tiny_2x2_f64/value.npy", _npy_header(()) + b"\0" * 8)
        zf.writestr("tiny_2x2_f64/grad.npy", _npy_header(W.shape) + b"\0" * 12)   # needs 32
    with pytest.raises(VerificationFileError) as info:
        check_file(path, cases="tiny_2x2_f64")
    text = _one_line_naming(info, path)
    assert "pickled" not in text and "holds 12 bytes of data" in text


def _bomb(path, shape, key="tiny_2x2_f64/grad"):
    """A deflated .npz member of zeros: a few MB on disk, 1 GiB when decompressed."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        with zf.open(f"{key}.npy", "w", force_zip64=True) as f:
            f.write(_npy_header(shape))
            block = bytes(1 << 20)
            for _ in range(int(np.prod(shape)) * 8 >> 20):
                f.write(block)


def test_verify_decompression_bomb_is_refused_from_its_header(tmp_path):
    path = tmp_path / "bomb.npz"
    _bomb(path, (2**27,))                                        # 1 GiB of float64 zeros
    assert path.stat().st_size < 5 * 2**20
    tracemalloc.start()
    try:
        with pytest.raises(VerificationFileError) as info:
            check_file(path, cases="tiny_2x2_f64")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "shape (134217728,), expected W's shape (2, 2)" in str(info.value)
    assert peak < 16 * 2**20, f"{peak / 2**20:.1f} MiB traced while refusing the file"


def test_verify_metadata_keys_are_never_read(tmp_path):
    """``__`` keys are free metadata: even a bomb there costs nothing."""
    case = golden.load()["tiny_2x2_f64"]
    import entropy_ref
    good = save_outputs(tmp_path / "good.npz",
                        {"tiny_2x2_f64": entropy_ref.configuration_entropy_grad(case.W)})
    with zipfile.ZipFile(good, "a", compression=zipfile.ZIP_DEFLATED) as zf:
        with zf.open("__notes.npy", "w", force_zip64=True) as f:
            f.write(_npy_header((2**25,)))
            for _ in range(256):
                f.write(bytes(1 << 20))
    tracemalloc.start()
    try:
        assert check_file(good, cases="tiny_2x2_f64").ok
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 * 2**20


def test_read_npz_budget_bounds_what_is_decompressed(tmp_path):
    path = tmp_path / "b.npz"
    _bomb(path, (2**22,), key="x")                               # 32 MiB
    with pytest.raises(CorruptFileError, match="more than 1000000 bytes"):
        read_npz(path, "test file", max_bytes=10**6)


def test_read_npz_duplicate_member(tmp_path):
    path = tmp_path / "dup.npz"
    with zipfile.ZipFile(path, "w") as zf, warnings.catch_warnings():
        warnings.simplefilter("ignore")                      # zipfile: "Duplicate name"
        for _ in range(2):
            zf.writestr("x.npy", _npy_header((1,)) + bytes(8))
    with pytest.raises(CorruptFileError, match="appears twice"):
        read_npz(path, "test file")


def test_read_npz_fortran_order_and_strings_round_trip(tmp_path):
    path = tmp_path / "ok.npz"
    F = np.asfortranarray(np.arange(12.0).reshape(3, 4))
    np.savez(path, F=F, s=np.array("héllo"), e=np.zeros((0, 3)))
    arrays, problems = read_npz(path, "test file")
    assert not problems
    assert np.array_equal(arrays["F"], F) and str(arrays["s"]) == "héllo"
    assert arrays["e"].shape == (0, 3)


def test_read_json_size_bound(tmp_path, monkeypatch):
    import entropy_ref.storage.readers as files

    monkeypatch.setattr(files, "MAX_JSON_BYTES", 10)
    path = tmp_path / "big.json"
    path.write_text('{"a": "' + "x" * 20 + '"}')
    with pytest.raises(CorruptFileError, match="larger than 10 bytes"):
        read_json(path, "config")


# ------------------------------------------------------------------ IDX, step bound

def test_idx_dimensions_overflowing_int64_name_the_file():
    header = bytes([0, 0, 8, 4]) + np.array([2**16] * 4, ">u4").tobytes()   # 2^64 entries
    with pytest.raises(MNISTDataError, match=r"^bad\.idx: truncated IDX data"):
        parse_idx(header, name="bad.idx")


def test_idx_gzip_bomb_and_oversized_files_are_refused(tmp_path, monkeypatch):
    import gzip

    from entropy_ref.data import idx, read_idx

    monkeypatch.setattr(idx, "MAX_IDX_BYTES", 10_000)
    n = 10**6                                             # 1 MB of labels, a 1 kB gzip file
    bomb = gzip.compress(bytes([0, 0, 8, 1]) + n.to_bytes(4, "big") + bytes(n))
    path = tmp_path / "bomb-idx1-ubyte.gz"
    path.write_bytes(bomb)
    with pytest.raises(MNISTDataError, match=r"bomb-idx1-ubyte\.gz: decompresses to more than "
                       r"10000 bytes"):
        read_idx(path)
    raw = tmp_path / "big-idx1-ubyte"
    raw.write_bytes(bytes([0, 0, 8, 1]) + n.to_bytes(4, "big") + bytes(n))
    with pytest.raises(MNISTDataError, match=r"big-idx1-ubyte: larger than 10000 bytes"):
        read_idx(raw)


@pytest.mark.parametrize("step", [1e-9, 1e-4, 0.0009])
def test_step_below_the_bound_is_refused(step):
    with pytest.raises(ValueError, match="step must be >= 0.001"):
        n_points(step)


def test_step_at_the_bound_is_accepted():
    assert n_points(100 / MAX_POINTS) == MAX_POINTS


# ------------------------------------------------------------------ stale temporaries

def test_stale_temporaries_of_dead_writers_are_cleaned(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    pid = int(dead.stdout)
    stale = tmp_path / f".model.npz.{pid}-0123456789ab.part"
    stale.write_bytes(b"half a checkpoint")
    old = tmp_path / ".history.json.0123456789ab.part"          # older naming, no pid
    old.write_bytes(b"x")
    os.utime(old, (0, 0))
    fresh_old_style = tmp_path / ".curve.csv.abcdefabcdef.part"
    fresh_old_style.write_bytes(b"x")
    fd, mine = create_temp(tmp_path, "model.npz")                  # this (live) process
    os.close(fd)
    fd, mine_old = create_temp(tmp_path, "curve.csv")              # live, but a day old
    os.close(fd)
    os.utime(mine_old, (0, 0))
    other = tmp_path / ".notes.part"                               # not one of ours
    other.write_bytes(b"x")
    os.utime(other, (0, 0))
    removed = clean_stale_temps(tmp_path)
    assert sorted(removed) == sorted([stale, old, mine_old])
    assert mine.exists() and other.exists() and fresh_old_style.exists()


def test_train_start_cleans_stale_temporaries(synthetic_mnist_dir, run_dir):
    stale = run_dir / ".model.npz.999999999-0123456789ab.part"
    stale.write_bytes(b"half")
    lines = []
    train(TrainConfig(reg="none", epochs=2, out=str(run_dir), data_dir=str(synthetic_mnist_dir),
                      **SMALL), log=lines.append, resume=True)
    assert not stale.exists()
    assert any("removed 1 stale temporary file" in line for line in lines)
    assert not [p for p in run_dir.iterdir() if p.name.endswith(".part")]


def test_atomic_write_still_leaves_nothing_behind(tmp_path):
    atomic_write_bytes(tmp_path / "x", b"1")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x"]


def test_atomic_write_cleans_stale_temporaries_of_its_target_only(tmp_path):
    """E.g. curve.csv, rewritten by prune-curve after a killed run, without a trainer start."""
    mine = tmp_path / ".curve.csv.999999999-0123456789ab.part"
    other = tmp_path / ".model.npz.999999999-0123456789ab.part"
    mine.write_bytes(b"half")
    other.write_bytes(b"half")
    atomic_write_bytes(tmp_path / "curve.csv", b"whole")
    assert not mine.exists() and other.exists()
    assert (tmp_path / "curve.csv").read_bytes() == b"whole"


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
