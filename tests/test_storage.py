"""Files written and read back (``entropy_ref.storage``): the bounded ``.npz`` and JSON readers, and
atomic writes that leave nothing behind and remove the temporary files of dead writers."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
import zipfile

import numpy as np
import pytest

from entropy_ref.errors import CorruptFileError
from entropy_ref.storage.atomic import atomic_write_bytes, clean_stale_temps, create_temp
from entropy_ref.storage.readers import read_json, read_npz
from helpers import npy_header, npz_bomb


# ------------------------------------------------------------------ readers


def test_read_npz_budget_bounds_what_is_decompressed(tmp_path):
    path = tmp_path / "b.npz"
    npz_bomb(path, (2**22,), key="x")                            # 32 MiB
    with pytest.raises(CorruptFileError, match="more than 1000000 bytes"):
        read_npz(path, "test file", max_bytes=10**6)


def test_read_npz_duplicate_member(tmp_path):
    path = tmp_path / "dup.npz"
    with zipfile.ZipFile(path, "w") as zf, warnings.catch_warnings():
        warnings.simplefilter("ignore")                      # zipfile: "Duplicate name"
        for _ in range(2):
            zf.writestr("x.npy", npy_header((1,)) + bytes(8))
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


# ------------------------------------------------------------------ atomic writes


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


# ------------------------------------------------------------------ a full disk names the file


def test_a_full_disk_names_the_file_being_written(tmp_path, monkeypatch):
    import errno

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OSError) as info:
        atomic_write_bytes(tmp_path / "model.npz", b"x" * 100)
    assert info.value.errno == errno.ENOSPC and info.value.filename == str(tmp_path / "model.npz")
    assert list(tmp_path.iterdir()) == []                  # no temporary file left behind


@pytest.mark.skipif(not hasattr(os, "fork") or sys.platform != "linux",
                    reason="needs RLIMIT_FSIZE")
def test_a_write_beyond_the_file_size_limit_is_one_line_naming_the_path(tmp_path,
                                                                         synthetic_mnist_dir):
    """A real process whose files may not grow past 20 kB (like a full disk): the trainer's
    checkpoint write fails, and the command says which file, in one line, exit 2."""
    code = ("import resource, signal, sys\n"
            "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
            "resource.setrlimit(resource.RLIMIT_FSIZE, (20000, 20000))\n"
            "from entropy_ref.cli import main\n"
            "sys.exit(main(sys.argv[1:]))\n")
    out = tmp_path / "run"
    proc = subprocess.run([sys.executable, "-c", code, "train", "--reg", "none", "--epochs", "1",
                           "--hidden", "32,16", "--data-dir", str(synthetic_mnist_dir),
                           "--out", str(out)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    lines = [s for s in proc.stderr.splitlines() if not s.startswith("entropy_ref: note:")]
    assert lines == [f"entropy-ref train: error: {out / 'model.npz'}: File too large"], lines
    assert not [p for p in out.iterdir() if p.name.endswith(".part")]
