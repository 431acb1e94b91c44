"""Real signals to a real training process: SIGINT mid-epoch, SIGKILL mid-write.

* A real SIGINT (Ctrl-C) sent to ``python -m entropy_ref train`` while it is inside an epoch:
  exit status 130, the run directory holds the last completed epoch, and ``--resume`` finishes
  the run with weights, Adam state and history **bit-identical** to an uninterrupted run.
* A real SIGKILL while ``model.npz`` is half written (the process kills itself from inside the
  atomic writer, between writing the temporary file and moving it into place): the run
  directory is still loadable (the previous checkpoint, the history cut back to it), the next
  ``--resume`` removes the stale temporary file and finishes bit-identically.

Small synthetic data and a small network keep each run to a few seconds.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from entropy_ref.cli import main
from entropy_ref.data import write_synthetic_mnist
from entropy_ref.train import load_run
from entropy_ref.train.runio import load_checkpoint

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="POSIX signals needed")

EPOCHS = 6
OPTS = ["--reg", "sparsity", "--lam", "0.5", "--hidden", "32,16", "--batch-size", "10",
        "--lr", "1e-3", "--seed", "3"]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return write_synthetic_mnist(tmp_path_factory.mktemp("mnist"), n_train=2000, n_test=100,
                                 seed=5)


@pytest.fixture(scope="module")
def reference(data_dir, tmp_path_factory):
    """An uninterrupted run of EPOCHS epochs (in this process: the same code path)."""
    out = tmp_path_factory.mktemp("ref") / "run"
    assert main(["train", *OPTS, "--epochs", str(EPOCHS), "--data-dir", str(data_dir),
                 "--out", str(out)]) == 0
    return out


def _env():
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    env.pop("ENTROPY_REF_DATA", None)
    return env


def _assert_identical_runs(a, b):
    _, pa, ha = load_run(a)
    _, pb, hb = load_run(b)
    for key in ("W", "b"):
        for x, y in zip(pa[key], pb[key]):
            assert x.dtype == y.dtype and np.array_equal(x, y)       # bit-identical weights
    ca, cb = load_checkpoint(a), load_checkpoint(b)
    assert ca["epoch"] == cb["epoch"] == EPOCHS
    assert ca["opt_state"]["t"] == cb["opt_state"]["t"]
    for key in ("W", "b"):
        for part in ("m", "v"):
            for x, y in zip(ca["opt_state"][part][key], cb["opt_state"][part][key]):
                assert np.array_equal(x, y)
    assert ca["rng_state"] == cb["rng_state"]
    volatile = ("seconds", "eval_seconds")
    strip = lambda h: [{k: v for k, v in r.items() if k not in volatile} for r in h]  # noqa: E731
    assert strip(ha) == strip(hb)


def _epochs_done(run):
    path = run / "history.json"
    try:
        return len(json.loads(path.read_text())["epochs"])
    except (OSError, ValueError, KeyError):
        return 0


def test_real_sigint_mid_epoch_then_resume_is_bit_identical(data_dir, reference, tmp_path):
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "entropy_ref", "train", *OPTS, "--epochs", str(EPOCHS),
           "--data-dir", str(data_dir), "--out", str(out)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=_env())
    try:
        deadline = time.monotonic() + 300
        while _epochs_done(out) < 1:                   # epoch 1 recorded: now in epoch 2
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "epoch 1 never finished"
            time.sleep(0.02)
        seconds = json.loads((out / "history.json").read_text())["epochs"][0]["seconds"]
        time.sleep(min(0.3 * seconds, 2.0))             # about a third into epoch 2
        assert proc.poll() is None, "the run finished before it could be interrupted"
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr and "entropy-ref: interrupted" in stderr
    saved = load_checkpoint(out)["epoch"]
    assert 1 <= saved < EPOCHS
    assert f"interrupted during epoch {saved + 1}; {out} holds epoch {saved}" in stdout
    assert len(load_run(out)[2]) == saved
    assert main(["train", "--out", str(out), "--resume", "--data-dir", str(data_dir)]) == 0
    _assert_identical_runs(reference, out)
    assert not [p.name for p in out.iterdir() if p.name.endswith(".part")]


_KILLER = textwrap.dedent("""
    import os, signal, sys
    from entropy_ref.storage import atomic as _atomic
    from entropy_ref.cli import main
    from entropy_ref.train import runio

    calls = []

    def dying_write(path, data):
        if path.name == "model.npz":
            calls.append(path)
            if len(calls) == 2:                      # the checkpoint of epoch 2
                def write(f):
                    f.write(data[: len(data) // 2])
                    f.flush()
                    os.kill(os.getpid(), signal.SIGKILL)
                return _atomic.atomic_write(path, write)
        return _atomic.atomic_write_bytes(path, data)

    runio.atomic_write_bytes = dying_write
    sys.exit(main(sys.argv[1:]))
""")


def test_sigkill_during_the_checkpoint_write(data_dir, reference, tmp_path):
    out = tmp_path / "run"
    proc = subprocess.run([sys.executable, "-c", _KILLER, "train", *OPTS, "--epochs",
                           str(EPOCHS), "--data-dir", str(data_dir), "--out", str(out)],
                          capture_output=True, text=True, timeout=600, env=_env())
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    stale = [p for p in out.iterdir() if p.name.endswith(".part")]
    assert [p.name.startswith(".model.npz.") for p in stale] == [True]
    # history.json already has epoch 2 (it is written first); the checkpoint is epoch 1
    assert _epochs_done(out) == 2
    config, params, history = load_run(out)
    assert load_checkpoint(out)["epoch"] == 1 and len(history) == 1
    resumed = subprocess.run([sys.executable, "-m", "entropy_ref", "train", "--out", str(out),
                              "--resume", "--data-dir", str(data_dir)],
                             capture_output=True, text=True, timeout=600, env=_env())
    assert resumed.returncode == 0, resumed.stderr
    assert "removed 1 stale temporary file(s)" in resumed.stdout
    assert not stale[0].exists()
    assert not [p.name for p in out.iterdir() if p.name.endswith(".part")]
    _assert_identical_runs(reference, out)
