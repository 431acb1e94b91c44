"""One writer per directory (``entropy_ref.storage.lock``): a second writer of a run directory or
of a reproduction's output gets one line naming the holder (exit 2), a lock file left by a dead
process is no obstacle, and a process may lock what it already holds."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from entropy_ref.cli import main
from entropy_ref.data import write_synthetic_mnist
from entropy_ref.storage.lock import LOCK_NAME, DirectoryLockedError, lock_directory
from entropy_ref.train import load_run
from helpers import repo_env

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="POSIX processes needed")

OPTS = ["--reg", "sparsity", "--lam", "0.5", "--hidden", "32,16", "--batch-size", "10",
        "--lr", "1e-3", "--seed", "1"]


def _wait_for_lock(directory, proc, timeout=60.0):
    """Wait until ``proc`` holds the lock of ``directory`` (its name is in the lock file)."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        try:
            info = json.loads((directory / LOCK_NAME).read_text())
            if info.get("pid") == proc.pid:
                return info
        except (OSError, ValueError):
            pass
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.02)
    raise AssertionError("the first writer never took the lock")


def test_lock_names_the_holder_and_is_reentrant(tmp_path):
    d = tmp_path / "out"
    with lock_directory(d, command="first writer"):
        with lock_directory(d):                       # the same process: re-entrant
            assert (d / LOCK_NAME).is_file()
        code = ("import sys; from entropy_ref.storage.lock import lock_directory\n"
                "try:\n    with lock_directory(sys.argv[1]): pass\n"
                "except OSError as e:\n    print(e); sys.exit(3)\n")
        other = subprocess.run([sys.executable, "-c", code, str(d)], capture_output=True,
                               text=True, env=repo_env())
        assert other.returncode == 3, other.stderr
        line = other.stdout.strip()
        assert "\n" not in line and str(d) in line and "being written by another process" in line
        assert f"pid {os.getpid()}" in line and "`first writer`" in line
    assert not (d / LOCK_NAME).exists()                # released: the lock file is removed
    with lock_directory(d):                            # and the directory can be locked again
        pass


def test_a_lock_file_left_by_a_dead_process_is_taken_over(tmp_path):
    d = tmp_path / "run"
    d.mkdir()
    (d / LOCK_NAME).write_text(json.dumps({"pid": 999999999, "host": "gone", "command": "x",
                                           "started": "long ago"}))
    with lock_directory(d):
        assert json.loads((d / LOCK_NAME).read_text())["pid"] == os.getpid()


def test_a_killed_holder_releases_its_lock(tmp_path):
    d = tmp_path / "run"
    code = ("import sys, time; from entropy_ref.storage.lock import lock_directory\n"
            "with lock_directory(sys.argv[1]):\n    print('locked', flush=True); time.sleep(60)\n")
    proc = subprocess.Popen([sys.executable, "-c", code, str(d)], stdout=subprocess.PIPE,
                            text=True, env=repo_env())
    assert proc.stdout.readline().strip() == "locked"
    with pytest.raises(DirectoryLockedError, match=f"pid {proc.pid} on"):
        with lock_directory(d):
            pass
    proc.kill()
    proc.wait()
    assert (d / LOCK_NAME).exists()                    # left behind by the killed process ...
    with lock_directory(d):                            # ... and no obstacle
        pass


@pytest.mark.slow
def test_two_trainers_on_one_directory(tmp_path):
    """The second ``train --out rc`` exits 2 naming the first; the first finishes its own run."""
    data = write_synthetic_mnist(tmp_path / "mnist", n_train=2000, n_test=100, seed=2)
    rc = tmp_path / "rc"
    argv = [sys.executable, "-m", "entropy_ref", "train", *OPTS, "--data-dir", str(data),
            "--out", str(rc)]
    first = subprocess.Popen([*argv, "--epochs", "40"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=repo_env())
    _wait_for_lock(rc, first)
    second = subprocess.run([*argv, "--epochs", "2", "--reg", "none"], capture_output=True,
                            text=True, env=repo_env(), timeout=300)
    out, err = first.communicate(timeout=600)
    assert first.returncode == 0, err
    assert second.returncode == 2 and "Traceback" not in second.stderr
    line = second.stderr.strip()
    assert "\n" not in line and f"{rc} is being written by another process (pid {first.pid}" in \
        line, line
    config, _, history = load_run(rc)                   # the first run, whole
    assert config.reg == "sparsity" and config.epochs == 40 and len(history) == 40
    ref = tmp_path / "ref"
    assert main(["train", *OPTS, "--epochs", "40", "--data-dir", str(data), "--out",
                 str(ref)]) == 0
    _, pa, _ = load_run(ref)
    _, pb, _ = load_run(rc)
    assert all((a == b).all() for a, b in zip(pa["W"], pb["W"]))


def test_two_reproductions_into_one_output_directory(tmp_path, synthetic_mnist_dir):
    out = tmp_path / "out"
    with lock_directory(out, command="entropy-ref reproduce --out out"):
        proc = subprocess.run([sys.executable, "-m", "entropy_ref", "reproduce", "--preset",
                               "tiny", "--data-dir", str(synthetic_mnist_dir), "--out",
                               str(out)], capture_output=True, text=True, env=repo_env(),
                              timeout=300)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    err = [s for s in proc.stderr.splitlines() if not s.startswith("entropy_ref: note:")]
    assert len(err) == 1 and "being written by another process" in err[0]
    assert "`entropy-ref reproduce --out out`" in err[0]
    assert not (out / "runs").exists()                 # refused before any work
