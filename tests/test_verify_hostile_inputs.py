"""``verify`` and the golden set on hostile files: empty, not ``.npy``, a header claiming 10^13
entries, a decompression bomb, a truncated member, a corrupt golden set, a missing or unreadable
file. The library raises one line naming the file; the command line prints it with exit status 2
and no traceback; nothing is unpickled and memory stays bounded."""

from __future__ import annotations

import tracemalloc
import zipfile

import numpy as np
import pytest

from entropy_ref import golden
from entropy_ref.cli import main
from entropy_ref.errors import CorruptFileError
from entropy_ref.verify import VerificationFileError, check_file, save_outputs
from helpers import cli_error_line, npy_header, npz_bomb, one_line_naming, run_as_nobody


# ------------------------------------------------------------------ golden set


def test_corrupt_golden_file(tmp_path):
    src = golden.npz_path()
    raw = src.read_bytes()
    bad = tmp_path / src.name
    bad.write_bytes(raw[:len(raw) // 2])
    with pytest.raises(CorruptFileError) as info:
        golden.load(directory=tmp_path)
    assert "corrupt golden set" in one_line_naming(info, bad)
    with np.load(src) as z:
        arrays = {k: z[k] for k in z.files if k != "__meta__"}
    np.savez(bad, **arrays)                       # no metadata
    with pytest.raises(CorruptFileError, match="__meta__"):
        golden.load(directory=tmp_path)


# ------------------------------------------------------------------ verify inputs (library)


def test_verify_empty_file(tmp_path):
    path = tmp_path / "empty.npz"
    path.write_bytes(b"")
    with pytest.raises(VerificationFileError) as info:
        check_file(path)
    assert "not a readable .npz" in one_line_naming(info, path)


def test_verify_zip_member_that_is_not_npy(tmp_path):
    path = tmp_path / "notes.npz"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("tiny_2x2_f64/value.txt", "1.0")
    with pytest.raises(VerificationFileError) as info:
        check_file(path)
    assert "is not a .npy array" in one_line_naming(info, path)


def test_verify_header_claiming_ten_to_the_13_entries(tmp_path):
    path = tmp_path / "huge.npz"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("tiny_2x2_f64/grad.npy", npy_header((10**13,)) + b"\0" * 32)
    with pytest.raises(VerificationFileError) as info:
        check_file(path)
    assert "declares shape (10000000000000,)" in one_line_naming(info, path)


def test_verify_truncated_member_is_not_called_pickled(tmp_path):
    path = tmp_path / "cut.npz"
    W = golden.load()["tiny_2x2_f64"].W
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("tiny_2x2_f64/value.npy", npy_header(()) + b"\0" * 8)
        zf.writestr("tiny_2x2_f64/grad.npy", npy_header(W.shape) + b"\0" * 12)   # needs 32
    with pytest.raises(VerificationFileError) as info:
        check_file(path, cases="tiny_2x2_f64")
    text = one_line_naming(info, path)
    assert "pickled" not in text and "holds 12 bytes of data" in text


def test_verify_decompression_bomb_is_refused_from_its_header(tmp_path):
    path = tmp_path / "bomb.npz"
    npz_bomb(path, (2**27,))                                     # 1 GiB of float64 zeros
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
            f.write(npy_header((2**25,)))
            for _ in range(256):
                f.write(bytes(1 << 20))
    tracemalloc.start()
    try:
        assert check_file(good, cases="tiny_2x2_f64").ok
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 * 2**20


# ------------------------------------------------------------------ verify inputs (command line)


def _empty(path):
    path.write_bytes(b"")


def _not_npy(path):
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("tiny_2x2_f64/value", "1.0")


def _huge_header(path):
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("tiny_2x2_f64/grad.npy", npy_header((10**13,)) + bytes(16))


def _bomb(path):
    npz_bomb(path, (2**27,))


def _truncated_member(path):
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("tiny_2x2_f64/value.npy", npy_header(()) + bytes(8))
        zf.writestr("tiny_2x2_f64/grad.npy", npy_header((2, 2)) + bytes(5))


@pytest.mark.parametrize("make, needle", [
    (_empty, "not a readable .npz file"),
    (_not_npy, "is not a .npy array"),
    (_huge_header, "declares shape (10000000000000,)"),
    (_bomb, "shape (134217728,), expected W's shape (2, 2)"),
    (_truncated_member, "holds 5 bytes of data"),
])
def test_verify_hostile_files(tmp_path, capsys, make, needle):
    path = tmp_path / "theirs.npz"
    make(path)
    rc = main(["verify", str(path), "--cases", "tiny_2x2_f64"])
    err = capsys.readouterr().err
    assert rc == 2 and "Traceback" not in err, err
    assert needle in err and str(path) in err and "pickled" not in err


def test_verify_missing_file_or_a_directory(tmp_path, capsys):
    rc = main(["verify", str(tmp_path / "none.npz")])
    err = capsys.readouterr().err
    assert rc == 2 and "none.npz" in err and "Traceback" not in err
    line = cli_error_line(capsys, ["verify", str(tmp_path)], "verify")
    assert line.endswith(f"{tmp_path}: is a directory, not an .npz file")


def test_verify_unreadable_file(world_tmp):
    import entropy_ref
    from entropy_ref import golden
    from entropy_ref.verify import save_outputs

    case = golden.load()["tiny_2x2_f64"]
    path = save_outputs(world_tmp / "theirs.npz",
                        {"tiny_2x2_f64": entropy_ref.configuration_entropy_grad(case.W)})
    path.chmod(0)
    rc, err = run_as_nobody(["verify", str(path), "--cases", "tiny_2x2_f64"])
    assert rc == 2 and "Traceback" not in err, err
    assert err.strip() == f"entropy-ref verify: error: {path}: Permission denied"
