"""The command line under hostile paths and files (``entropy_ref.cli``): one error line, exit status
2, no traceback. ``--out`` naming a file / nothing / an unwritable place, unreadable data,
``ENTROPY_REF_DATA`` naming a file with ``--download``, any other ``OSError``, corrupt checkpoints
for ``train --resume`` and ``prune-curve``, ``prune-curve --step 1e-9``, ``prune-curve`` on a run
another process is writing (and the lock it holds while it writes), a closed pipe. Paths are
checked before any work: the tests make loading MNIST fail loudly to prove it is never reached.
"""

from __future__ import annotations

import errno
import os
import stat
import subprocess
import sys

import numpy as np
import pytest

import entropy_ref.cli.prune_curve
import entropy_ref.cli.reproduce
import entropy_ref.cli.train
import entropy_ref.data
import entropy_ref.train.loop
from entropy_ref.cli import main
from helpers import cli_error_line, repo_env, run_as_nobody


FAST = ["--hidden", "8", "--lr", "1e-3", "--batch-size", "50"]


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
    line = cli_error_line(capsys, ["train", "--out", str(f), "--data-dir", str(tmp_path)])
    assert f"--out {f}: exists and is not a directory" in line
    assert f.read_text() == "keep me"


def test_reproduce_out_is_an_existing_file(tmp_path, capsys, no_mnist):
    f = tmp_path / "repro"
    f.write_text("")
    line = cli_error_line(capsys, ["reproduce", "--out", str(f), "--download", "--data-dir",
                                   str(tmp_path / "mnist")], "reproduce")
    assert "exists and is not a directory" in line
    assert not (tmp_path / "mnist").exists()


def test_out_under_a_file(tmp_path, capsys, no_mnist):
    (tmp_path / "f").write_text("")
    line = cli_error_line(capsys, ["train", "--out", str(tmp_path / "f" / "run")])
    assert f"cannot be created, {tmp_path / 'f'} is not a directory" in line


def test_empty_out_never_writes_into_the_current_directory(tmp_path, capsys, monkeypatch,
                                                           no_mnist):
    monkeypatch.chdir(tmp_path)
    line = cli_error_line(capsys, ["train", "--out", ""])
    assert "--out must name a directory, got an empty string" in line
    line = cli_error_line(capsys, ["reproduce", "--out", ""], "reproduce")
    assert "empty string" in line
    assert list(tmp_path.iterdir()) == []


def test_data_dir_is_a_file(tmp_path, capsys, no_mnist):
    f = tmp_path / "mnist.tar"
    f.write_text("")
    line = cli_error_line(capsys, ["train", "--out", str(tmp_path / "r"), "--data-dir", str(f)])
    assert f"--data-dir {f}: exists and is not a directory" in line
    assert not (tmp_path / "r").exists()


def test_env_data_naming_a_file_with_download(tmp_path, capsys, monkeypatch, no_mnist):
    f = tmp_path / "somefile"
    f.write_text("")
    monkeypatch.setenv("ENTROPY_REF_DATA", str(f))
    line = cli_error_line(capsys, ["train", "--download", "--out", str(tmp_path / "r")])
    assert f"would download MNIST into {f} ($ENTROPY_REF_DATA), which is a file" in line
    line = cli_error_line(capsys, ["reproduce", "--download", "--out", str(tmp_path / "q")],
                          "reproduce")
    assert "which is a file" in line
    assert f.read_text() == "" and not (tmp_path / "r").exists()


# ------------------------------------------------------------------ permissions (non-root)


def test_unwritable_out_directory(world_tmp):
    locked = world_tmp / "locked"
    locked.mkdir(mode=0o555)
    locked.chmod(0o555)
    rc, err = run_as_nobody(["train", "--out", str(locked / "run"), "--data-dir",
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
    rc, err = run_as_nobody(["train", "--out", str(out / "run"), "--data-dir", str(data),
                             "--epochs", "1", *FAST])
    assert rc == 2 and "Traceback" not in err, err
    assert f"entropy-ref train: error: {secret}: Permission denied" in err


def test_any_other_os_error_is_one_line_naming_the_path(synthetic_mnist_dir, tmp_path, capsys,
                                                       monkeypatch):
    def disk_full(path, obj):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
    monkeypatch.setattr(entropy_ref.train.loop.runio, "write_json", disk_full)
    line = cli_error_line(capsys, ["train", "--out", str(tmp_path / "r"), "--epochs", "1",
                                   "--data-dir", str(synthetic_mnist_dir), *FAST])
    assert line.endswith(f"{tmp_path / 'r' / 'config.json'}: No space left on device")


def test_a_size_beyond_memory_is_one_line(synthetic_mnist_dir, tmp_path, capsys):
    line = cli_error_line(capsys, ["train", "--hidden", "1000000000", "--epochs", "1",
                                   "--data-dir", str(synthetic_mnist_dir), "--out",
                                   str(tmp_path / "r")])
    assert "out of memory" in line and "Unable to allocate" in line


# ------------------------------------------------------------------ corrupt checkpoints


def test_truncated_checkpoint_for_resume_and_prune_curve(trained_run, synthetic_mnist_dir,
                                                         capsys):
    model = trained_run / "model.npz"
    raw = model.read_bytes()
    model.write_bytes(raw[:len(raw) * 2 // 3])
    line = cli_error_line(capsys, ["train", "--out", str(trained_run), "--resume", "--epochs", "2",
                                   "--data-dir", str(synthetic_mnist_dir)])
    assert f"{model}: corrupt checkpoint" in line
    line = cli_error_line(capsys, ["prune-curve", str(trained_run), "--step", "10"], "prune-curve")
    assert f"{model}: corrupt checkpoint" in line


def test_negative_epoch_checkpoint_on_the_command_line(trained_run, synthetic_mnist_dir, capsys):
    model = trained_run / "model.npz"
    with np.load(model) as z:
        arrays = {k: z[k] for k in z.files}
    arrays["epoch"] = np.array(-1)
    np.savez(model, **arrays)
    line = cli_error_line(capsys, ["train", "--out", str(trained_run), "--resume",
                                   "--data-dir", str(synthetic_mnist_dir)])
    assert "epoch -1" in line


def test_corrupt_config_on_resume(trained_run, synthetic_mnist_dir, capsys):
    (trained_run / "config.json").write_text("{\"lr\": ")
    line = cli_error_line(capsys, ["train", "--out", str(trained_run), "--resume",
                                   "--data-dir", str(synthetic_mnist_dir)])
    assert f"{trained_run / 'config.json'}: corrupt config (not valid JSON" in line


# ------------------------------------------------------------------ prune-curve --step


@pytest.mark.parametrize("step", ["1e-9", "0", "-1", "nan", "inf", "0.3"])
def test_prune_curve_step_is_checked_before_anything(tmp_path, capsys, step):
    line = cli_error_line(capsys, ["prune-curve", str(tmp_path / "no_run"), "--step", step],
                          "prune-curve")
    assert "--step: step must" in line


def test_prune_curve_step_bound_message(tmp_path, capsys):
    line = cli_error_line(capsys, ["prune-curve", str(tmp_path), "--step", "1e-9"], "prune-curve")
    assert "step must be >= 0.001 (at most 100,000 points" in line


def test_prune_curve_unwritable_run_dir_is_refused_before_computing(trained_run, capsys,
                                                                    monkeypatch):
    monkeypatch.setattr(entropy_ref.cli.prune_curve, "weight_sensitivity",
                        lambda *a: pytest.fail("computed before checking RUN_DIR"))
    monkeypatch.setattr(entropy_ref.cli, "os", _NoWriteOs())
    line = cli_error_line(capsys, ["prune-curve", str(trained_run), "--step", "10"], "prune-curve")
    assert "permission denied" in line


class _NoWriteOs:
    """``os`` as seen by the CLI's path checks, where nothing is writable."""

    def __getattr__(self, name):
        return getattr(os, name)

    @staticmethod
    def access(path, mode):
        return not mode & os.W_OK


# ------------------------------------------------------------------ the process itself


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


#: ``python -m entropy_ref`` for a user id without a password-database entry (as in containers
#: run with an arbitrary uid): ``pwd.getpwuid`` fails, so with HOME unset no home is known
NO_PASSWD_ENTRY = r"""
import pwd, runpy, sys
def missing(uid):
    raise KeyError(f"getpwuid(): uid not found: {uid}")
pwd.getpwuid = missing
sys.argv = ["entropy-ref", *sys.argv[1:]]
runpy.run_module("entropy_ref", run_name="__main__", alter_sys=True)
"""


@pytest.mark.parametrize("args, message", [
    (["train", "--epochs", "1"], "no user cache directory to look for MNIST in: the home "
     "directory is unknown (HOME is not set and user id {uid} has no entry in the password "
     "database); set ENTROPY_REF_DATA or pass --data-dir (or set XDG_CACHE_HOME or HOME)"),
    (["train", "--download"], "no user cache directory to look for MNIST in"),
    (["reproduce", "--preset", "tiny"], "no user cache directory to look for MNIST in"),
    (["train", "--data-dir", "~/mnist"], "--data-dir ~/mnist: cannot expand '~': the home "
     "directory is unknown"),
])
def test_no_home_directory_is_one_line_saying_what_to_set(tmp_path, args, message):
    env = {k: v for k, v in repo_env().items()
           if k not in ("HOME", "XDG_CACHE_HOME", "ENTROPY_REF_DATA")}
    env["MPLCONFIGDIR"] = str(tmp_path / "mpl")       # matplotlib's own notice, not ours
    command = args[0]
    proc = subprocess.run([sys.executable, "-c", NO_PASSWD_ENTRY, *args,
                           "--out", str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path)
    lines = [s for s in proc.stderr.splitlines() if s.strip()]
    assert proc.returncode == 2 and len(lines) == 1, proc.stderr
    assert lines[0].startswith(f"entropy-ref {command}: error: "), lines
    assert message.format(uid=os.getuid()) in lines[0]
    assert not (tmp_path / "out").exists() or command == "reproduce"


def test_a_name_the_terminal_cannot_print_is_one_line(tmp_path, synthetic_mnist_dir):
    """A path that is not valid UTF-8, printed to a strict UTF-8 stdout."""
    out = os.path.join(str(tmp_path), "run-\udcfe")            # the byte 0xfe on disk
    proc = subprocess.run([sys.executable, "-m", "entropy_ref", "train", "--out", out,
                           "--epochs", "1", "--data-dir", str(synthetic_mnist_dir), *FAST],
                          capture_output=True, text=True, timeout=120,
                          env=repo_env(PYTHONIOENCODING="utf-8:strict"))
    lines = [s for s in proc.stderr.splitlines() if not s.startswith("entropy_ref: note:")]
    assert proc.returncode == 2 and len(lines) == 1, proc.stderr
    assert lines[0] == ("entropy-ref train: error: cannot print '\\udcfe' in utf-8: a path or "
                        "argument that is not valid text; rename it, or set "
                        "PYTHONIOENCODING=utf-8:surrogateescape")


def test_prune_curve_expands_a_tilde_in_run_dir(trained_run, synthetic_mnist_dir, capsys,
                                                monkeypatch):
    monkeypatch.setenv("HOME", str(trained_run.parent))
    assert main(["prune-curve", f"~/{trained_run.name}", "--step", "25", "--data-dir",
                 str(synthetic_mnist_dir)]) == 0
    assert (trained_run / "curve.csv").is_file()
    assert f"wrote {trained_run / 'curve.csv'}" in capsys.readouterr().out


# ------------------------------------------------------------------ prune-curve and the run's lock


def test_prune_curve_refuses_a_run_another_process_is_writing(trained_run, synthetic_mnist_dir,
                                                              capsys, monkeypatch):
    monkeypatch.setattr(entropy_ref.cli.prune_curve, "weight_sensitivity",
                        lambda *a: pytest.fail("computed while another process writes RUN_DIR"))
    code = ("import sys, time; from entropy_ref.storage.lock import lock_directory\n"
            "with lock_directory(sys.argv[1], command='entropy-ref train --resume'):\n"
            "    print('locked', flush=True); time.sleep(60)\n")
    holder = subprocess.Popen([sys.executable, "-c", code, str(trained_run)],
                              stdout=subprocess.PIPE, text=True, env=repo_env())
    try:
        assert holder.stdout.readline().strip() == "locked"
        line = cli_error_line(capsys, ["prune-curve", str(trained_run), "--step", "25",
                                       "--data-dir", str(synthetic_mnist_dir)], "prune-curve")
    finally:
        holder.kill()
        holder.wait()
    assert f"{trained_run} is being written by another process (pid {holder.pid} on" in line
    assert "`entropy-ref train --resume`" in line
    assert not (trained_run / "curve.csv").exists()


def test_prune_curve_holds_the_run_lock_while_it_writes_the_curve(trained_run,
                                                                  synthetic_mnist_dir, capsys,
                                                                  monkeypatch):
    fcntl = pytest.importorskip("fcntl")
    from entropy_ref.storage.lock import LOCK_NAME

    held = []
    save = entropy_ref.cli.prune_curve.save_curve

    def save_checking_the_lock(run_dir, *args, **kwargs):
        fd = os.open(os.path.join(run_dir, LOCK_NAME), os.O_RDWR)
        try:                                  # a second open file cannot take the lock
            with pytest.raises(BlockingIOError):
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        finally:
            os.close(fd)
        held.append(True)
        return save(run_dir, *args, **kwargs)

    monkeypatch.setattr(entropy_ref.cli.prune_curve, "save_curve", save_checking_the_lock)
    assert main(["prune-curve", str(trained_run), "--step", "25", "--data-dir",
                 str(synthetic_mnist_dir)]) == 0
    assert held == [True] and (trained_run / "curve.csv").is_file()
    assert not (trained_run / LOCK_NAME).exists()                  # released afterwards
