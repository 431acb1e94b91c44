"""The command line under hostile paths and files: one error line, exit status 2, no traceback.

Issue 10, items 4-7 and 9 (command line): ``--out`` naming a file / nothing / an unwritable
place, unreadable data, ``ENTROPY_REF_DATA`` naming a file with ``--download``, any other
``OSError``, corrupt checkpoints for ``train --resume`` and ``prune-curve``, hostile ``verify``
inputs, ``prune-curve --step 1e-9`` and the divergence hint of ``--lam 1e300``. Paths are checked
before any work: the tests make loading MNIST fail loudly to prove it is never reached.
"""

from __future__ import annotations

import errno
import io
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest
from numpy.lib import format as npy_format

import entropy_ref.cli.prune_curve
import entropy_ref.cli.reproduce
import entropy_ref.cli.train
import entropy_ref.data
import entropy_ref.train.loop
from entropy_ref.cli import main
from entropy_ref.data import find_mnist_dir

FAST = ["--hidden", "8", "--lr", "1e-3", "--batch-size", "50"]


def _one_error(capsys, argv, command="train"):
    """Run ``main(argv)``; assert exit 2 with exactly one error line and no traceback."""
    rc = main(argv)
    err = capsys.readouterr().err
    assert rc == 2, err
    assert "Traceback" not in err
    lines = [s for s in err.splitlines() if s.strip() and not s.startswith("entropy_ref: note:")]
    assert len(lines) == 1 and lines[0].startswith(f"entropy-ref {command}: error: "), err
    return lines[0]


@pytest.fixture
def no_mnist(monkeypatch):
    """Loading MNIST fails the test: the command must refuse before reaching it."""
    def forbidden(*a, **k):
        raise AssertionError("MNIST was loaded before the paths were checked")
    monkeypatch.setattr(entropy_ref.data, "load_mnist", forbidden)
    monkeypatch.setattr(entropy_ref.data.locate, "load_mnist", forbidden)
    return forbidden


@pytest.fixture
def trained_run(synthetic_mnist_dir, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "--reg", "none", "--epochs", "1", "--data-dir",
                 str(synthetic_mnist_dir), "--out", str(out), *FAST]) == 0
    capsys.readouterr()
    return out


# ------------------------------------------------------------------ --out and data paths

def test_train_out_is_an_existing_file(tmp_path, capsys, no_mnist):
    f = tmp_path / "results.txt"
    f.write_text("keep me")
    line = _one_error(capsys, ["train", "--out", str(f), "--data-dir", str(tmp_path)])
    assert f"--out {f}: exists and is not a directory" in line
    assert f.read_text() == "keep me"


def test_reproduce_out_is_an_existing_file(tmp_path, capsys, no_mnist):
    f = tmp_path / "repro"
    f.write_text("")
    line = _one_error(capsys, ["reproduce", "--out", str(f), "--download", "--data-dir",
                               str(tmp_path / "mnist")], "reproduce")
    assert "exists and is not a directory" in line
    assert not (tmp_path / "mnist").exists()


def test_out_under_a_file(tmp_path, capsys, no_mnist):
    (tmp_path / "f").write_text("")
    line = _one_error(capsys, ["train", "--out", str(tmp_path / "f" / "run")])
    assert f"cannot be created, {tmp_path / 'f'} is not a directory" in line


def test_empty_out_never_writes_into_the_current_directory(tmp_path, capsys, monkeypatch,
                                                           no_mnist):
    monkeypatch.chdir(tmp_path)
    line = _one_error(capsys, ["train", "--out", ""])
    assert "--out must name a directory, got an empty string" in line
    line = _one_error(capsys, ["reproduce", "--out", ""], "reproduce")
    assert "empty string" in line
    assert list(tmp_path.iterdir()) == []


def test_empty_out_in_the_library(tmp_path, monkeypatch):
    from entropy_ref.train import TrainConfig, train

    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match="out must name a run directory, got an empty string"):
        train(TrainConfig(reg="none", epochs=1, out="", hidden=(8,)), log=lambda *a: None)
    assert list(tmp_path.iterdir()) == []


def test_data_dir_is_a_file(tmp_path, capsys, no_mnist):
    f = tmp_path / "mnist.tar"
    f.write_text("")
    line = _one_error(capsys, ["train", "--out", str(tmp_path / "r"), "--data-dir", str(f)])
    assert f"--data-dir {f}: exists and is not a directory" in line
    assert not (tmp_path / "r").exists()


def test_env_data_naming_a_file_with_download(tmp_path, capsys, monkeypatch, no_mnist):
    f = tmp_path / "somefile"
    f.write_text("")
    monkeypatch.setenv("ENTROPY_REF_DATA", str(f))
    line = _one_error(capsys, ["train", "--download", "--out", str(tmp_path / "r")])
    assert f"would download MNIST into {f} ($ENTROPY_REF_DATA), which is a file" in line
    line = _one_error(capsys, ["reproduce", "--download", "--out", str(tmp_path / "q")],
                      "reproduce")
    assert "which is a file" in line
    assert f.read_text() == "" and not (tmp_path / "r").exists()


def test_not_found_message_never_suggests_downloading_into_a_file(tmp_path, monkeypatch):
    f = tmp_path / "somefile"
    f.write_text("")
    monkeypatch.setenv("ENTROPY_REF_DATA", str(f))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    with pytest.raises(entropy_ref.data.MNISTNotFoundError) as info:
        find_mnist_dir()
    text = str(info.value)
    assert f"(downloads into {f})" not in text
    assert f"{f} ($ENTROPY_REF_DATA) is a file, not a directory" in text
    # the library's download=True refuses too, instead of NotADirectoryError from deep inside
    with pytest.raises(entropy_ref.data.MNISTNotFoundError, match="is a file, not a directory"):
        entropy_ref.data.locate.load_mnist(download=True, verbose=False)


# ------------------------------------------------------------------ permissions (non-root)

def _as_nobody(argv):
    """Run ``main(argv)`` as uid/gid 65534 (a forked child, when we are root); -> (rc, stderr)."""
    if os.geteuid() != 0:
        r, w = os.pipe()
        saved = os.dup(2)
        os.dup2(w, 2)
        try:
            rc = main(argv)
            sys.stderr.flush()
        finally:
            os.dup2(saved, 2)
            os.close(w)
        with os.fdopen(r) as f:
            return rc, f.read()
    if not hasattr(os, "fork"):
        pytest.skip("needs os.fork to drop root privileges for a permission test")
    r, w = os.pipe()
    with warnings.catch_warnings():                    # Python >= 3.12 warns about fork with
        warnings.simplefilter("ignore", DeprecationWarning)   # threads; the child uses none
        pid = os.fork()
    if pid == 0:                                       # child: drop privileges, run, exit
        rc = 99
        sys.stderr = io.StringIO()
        try:
            os.close(r)
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            rc = main(argv)
        except BaseException as exc:                   # noqa: BLE001 - report to the parent
            sys.stderr.write(f"child raised {type(exc).__name__}: {exc}")
        finally:
            os.write(w, sys.stderr.getvalue().encode())
            os._exit(rc)
    os.close(w)
    with os.fdopen(r) as f:
        err = f.read()
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), err


@pytest.fixture
def world_tmp():
    """A directory everyone may traverse (pytest's tmp_path is private to root)."""
    d = Path(tempfile.mkdtemp(prefix="entropy_ref_perm_"))
    d.chmod(0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def test_unwritable_out_directory(world_tmp):
    locked = world_tmp / "locked"
    locked.mkdir(mode=0o555)
    locked.chmod(0o555)
    rc, err = _as_nobody(["train", "--out", str(locked / "run"), "--data-dir",
                          str(world_tmp / "nowhere")])
    assert rc == 2 and "Traceback" not in err, err
    assert f"--out {locked / 'run'}: cannot write into {locked} (permission denied)" in err
    assert len(err.strip().splitlines()) == 1


def test_unreadable_data_file(world_tmp):
    from entropy_ref.data import write_synthetic_mnist

    data = write_synthetic_mnist(world_tmp / "mnist", n_train=50, n_test=20)
    data.chmod(0o755)
    out = world_tmp / "out"
    out.mkdir(mode=0o777)
    out.chmod(0o777)
    secret = data / "train-labels-idx1-ubyte.gz"
    for p in data.iterdir():
        p.chmod(0o644)
    secret.chmod(0)
    rc, err = _as_nobody(["train", "--out", str(out / "run"), "--data-dir", str(data),
                          "--epochs", "1", *FAST])
    assert rc == 2 and "Traceback" not in err, err
    assert f"entropy-ref train: error: {secret}: Permission denied" in err


def test_any_other_os_error_is_one_line_naming_the_path(synthetic_mnist_dir, tmp_path, capsys,
                                                       monkeypatch):
    def disk_full(path, obj):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
    monkeypatch.setattr(entropy_ref.train.loop.runio, "write_json", disk_full)
    line = _one_error(capsys, ["train", "--out", str(tmp_path / "r"), "--epochs", "1",
                               "--data-dir", str(synthetic_mnist_dir), *FAST])
    assert line.endswith(f"{tmp_path / 'r' / 'config.json'}: No space left on device")


def test_a_size_beyond_memory_is_one_line(synthetic_mnist_dir, tmp_path, capsys):
    line = _one_error(capsys, ["train", "--hidden", "1000000000", "--epochs", "1",
                               "--data-dir", str(synthetic_mnist_dir), "--out",
                               str(tmp_path / "r")])
    assert "out of memory" in line and "Unable to allocate" in line


# ------------------------------------------------------------------ corrupt checkpoints

def test_truncated_checkpoint_for_resume_and_prune_curve(trained_run, synthetic_mnist_dir,
                                                         capsys):
    model = trained_run / "model.npz"
    raw = model.read_bytes()
    model.write_bytes(raw[:len(raw) * 2 // 3])
    line = _one_error(capsys, ["train", "--out", str(trained_run), "--resume", "--epochs", "2",
                               "--data-dir", str(synthetic_mnist_dir)])
    assert f"{model}: corrupt checkpoint" in line
    line = _one_error(capsys, ["prune-curve", str(trained_run), "--step", "10"], "prune-curve")
    assert f"{model}: corrupt checkpoint" in line


def test_negative_epoch_checkpoint_on_the_command_line(trained_run, synthetic_mnist_dir, capsys):
    model = trained_run / "model.npz"
    with np.load(model) as z:
        arrays = {k: z[k] for k in z.files}
    arrays["epoch"] = np.array(-1)
    np.savez(model, **arrays)
    line = _one_error(capsys, ["train", "--out", str(trained_run), "--resume",
                               "--data-dir", str(synthetic_mnist_dir)])
    assert "epoch -1" in line


def test_corrupt_config_on_resume(trained_run, synthetic_mnist_dir, capsys):
    (trained_run / "config.json").write_text("{\"lr\": ")
    line = _one_error(capsys, ["train", "--out", str(trained_run), "--resume",
                               "--data-dir", str(synthetic_mnist_dir)])
    assert f"{trained_run / 'config.json'}: corrupt config (not valid JSON" in line


# ------------------------------------------------------------------ prune-curve --step

@pytest.mark.parametrize("step", ["1e-9", "0", "-1", "nan", "inf", "0.3"])
def test_prune_curve_step_is_checked_before_anything(tmp_path, capsys, step):
    line = _one_error(capsys, ["prune-curve", str(tmp_path / "no_run"), "--step", step],
                      "prune-curve")
    assert "--step: step must" in line


def test_prune_curve_step_bound_message(tmp_path, capsys):
    line = _one_error(capsys, ["prune-curve", str(tmp_path), "--step", "1e-9"], "prune-curve")
    assert "step must be >= 0.001 (at most 100,000 points" in line


def test_prune_curve_unwritable_run_dir_is_refused_before_computing(trained_run, capsys,
                                                                    monkeypatch):
    monkeypatch.setattr(entropy_ref.cli.prune_curve, "weight_sensitivity",
                        lambda *a: pytest.fail("computed before checking RUN_DIR"))
    monkeypatch.setattr(entropy_ref.cli, "os", _NoWriteOs())
    line = _one_error(capsys, ["prune-curve", str(trained_run), "--step", "10"], "prune-curve")
    assert "permission denied" in line


class _NoWriteOs:
    """``os`` as seen by the CLI's path checks, where nothing is writable."""

    def __getattr__(self, name):
        return getattr(os, name)

    @staticmethod
    def access(path, mode):
        return not mode & os.W_OK


# ------------------------------------------------------------------ verify inputs

def _npy_header(shape):
    buf = io.BytesIO()
    npy_format.write_array_header_1_0(buf, {"descr": "<f8", "fortran_order": False,
                                            "shape": shape})
    return buf.getvalue()


def _empty(path):
    path.write_bytes(b"")


def _not_npy(path):
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("tiny_2x2_f64/value", "1.0")


def _huge_header(path):
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("tiny_2x2_f64/grad.npy", _npy_header((10**13,)) + bytes(16))


def _bomb(path):
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        with zf.open("tiny_2x2_f64/grad.npy", "w", force_zip64=True) as f:
            f.write(_npy_header((2**27,)))
            for _ in range(1024):
                f.write(bytes(1 << 20))


def _truncated_member(path):
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("tiny_2x2_f64/value.npy", _npy_header(()) + bytes(8))
        zf.writestr("tiny_2x2_f64/grad.npy", _npy_header((2, 2)) + bytes(5))


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
    line = _one_error(capsys, ["verify", str(tmp_path)], "verify")
    assert line.endswith(f"{tmp_path}: is a directory, not an .npz file")


def test_verify_unreadable_file(world_tmp):
    import entropy_ref
    from entropy_ref import golden
    from entropy_ref.verify import save_outputs

    case = golden.load()["tiny_2x2_f64"]
    path = save_outputs(world_tmp / "theirs.npz",
                        {"tiny_2x2_f64": entropy_ref.configuration_entropy_grad(case.W)})
    path.chmod(0)
    rc, err = _as_nobody(["verify", str(path), "--cases", "tiny_2x2_f64"])
    assert rc == 2 and "Traceback" not in err, err
    assert err.strip() == f"entropy-ref verify: error: {path}: Permission denied"


# ------------------------------------------------------------------ divergence hint

def test_huge_lambda_names_lambda(synthetic_mnist_dir, tmp_path, capsys):
    rc = main(["train", "--lam", "1e300", "--epochs", "1", "--data-dir",
               str(synthetic_mnist_dir), "--out", str(tmp_path / "r"), *FAST])
    err = capsys.readouterr().err
    assert rc == 2 and "Traceback" not in err
    line = next(s for s in err.splitlines() if "error" in s)
    assert "lam" in line                 # the penalty's own check, or the divergence hint
    assert not line.endswith("try a smaller learning rate")


def _diverging(monkeypatch):
    from entropy_ref.train.step import TrainingDivergedError

    def run_epoch(*a, **k):
        raise TrainingDivergedError("the cross-entropy became nan at step 2; try a smaller "
                                    "learning rate")
    monkeypatch.setattr(entropy_ref.train.loop, "run_epoch", run_epoch)


@pytest.mark.parametrize("reg, lam, hint", [
    ("sparsity", "1e300", "try a smaller penalty weight (--lam, now lambda = 1e+300: the sparsity "
     "penalty's gradient scales with lambda) or a smaller learning rate (--lr, now 0.001)"),
    ("none", "1", "try a smaller learning rate (--lr, now 0.001)"),
])
def test_divergence_hint_names_what_to_change(synthetic_mnist_dir, tmp_path, capsys,
                                              monkeypatch, reg, lam, hint):
    _diverging(monkeypatch)
    line = _one_error(capsys, ["train", "--reg", reg, "--lam", lam, "--epochs", "1",
                               "--data-dir", str(synthetic_mnist_dir),
                               "--out", str(tmp_path / "r"), *FAST])
    assert line.endswith("training diverged in epoch 1: the cross-entropy became nan at step 2; "
                         + hint)
    assert (reg == "none") == ("--lam" not in line)


def test_no_traceback_from_a_real_process(tmp_path):
    """The console entry point itself (not just main()) on one of the inputs above."""
    f = tmp_path / "file"
    f.write_text("")
    proc = subprocess.run([sys.executable, "-m", "entropy_ref", "train", "--out", str(f)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "exists and is not a directory" in proc.stderr
    assert stat.S_ISREG(f.stat().st_mode)


def test_output_piped_into_a_closed_pipe_exits_quietly():
    """`entropy-ref verify --list | head -1`: the reader leaves early; no error line, no traceback."""
    proc = subprocess.run(
        f"{sys.executable} -m entropy_ref verify --list | head -n 1",
        shell=True, capture_output=True, text=True, timeout=120)
    assert proc.stdout.strip(), "head printed the first line"
    assert proc.stderr == "", proc.stderr
