"""Ctrl-C sent to ``entropy-ref`` as a real SIGINT to a real process: while it starts (importing
NumPy or matplotlib, loading MNIST) and while ``reproduce`` trains. Exit status 130 and one line
saying what was kept and how to continue, never a traceback.

The process is ``python -m entropy_ref`` run through a small driver that pauses at a chosen
point (an import, the parsing of an MNIST file, the second epoch of training) and says so on
stderr; the test sends SIGINT during the pause, so the signal lands exactly there.
"""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest

from helpers import repo_env

#: the driver: pause at an import (a module name), the parsing of the first MNIST file ("load")
#: or the second epoch of training ("epoch")
DRIVER = r"""
import runpy, sys, time

def pause(where):
    sys.stderr.write(f"PAUSED at {where}\n")
    sys.stderr.flush()
    time.sleep(120)

point, argv = sys.argv[1], sys.argv[2:]
if point == "load":
    import entropy_ref.data.locate as locate
    parse = locate.parse_idx
    def slow_parse(*args, **kwargs):
        pause("load")
        return parse(*args, **kwargs)
    locate.parse_idx = slow_parse
elif point == "epoch":
    import entropy_ref.train.loop as loop
    run_epoch, calls = loop.run_epoch, []
    def slow_epoch(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            pause("epoch")
        return run_epoch(*args, **kwargs)
    loop.run_epoch = slow_epoch
else:
    class Pause:
        def find_spec(self, name, path=None, target=None):
            if name == point:
                sys.meta_path.remove(self)
                pause(name)
            return None
    sys.meta_path.insert(0, Pause())
sys.argv = ["entropy-ref", *argv]
runpy.run_module("entropy_ref", run_name="__main__", alter_sys=True)
"""


def _interrupt_at(point, argv, cwd):
    proc = subprocess.Popen([sys.executable, "-c", DRIVER, point, *argv], cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=repo_env(PYTHONWARNINGS="ignore::DeprecationWarning"))
    try:
        lines = []
        for line in proc.stderr:
            lines.append(line)
            if line.startswith("PAUSED at"):
                break
        else:
            pytest.fail(f"never reached {point}: {''.join(lines)}")
        proc.send_signal(signal.SIGINT)
        out, rest = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    err = [s for s in "".join(lines[:-1]).splitlines() + rest.splitlines()
           if s.strip() and not s.startswith("entropy_ref: note:")]
    return proc.returncode, err, out


@pytest.mark.parametrize("point, command", [("numpy", "train"), ("matplotlib", "reproduce")])
def test_ctrl_c_while_importing(point, command, tmp_path):
    """(``train`` imports NumPy, ``reproduce`` matplotlib too, while its options are parsed.)"""
    rc, err, _ = _interrupt_at(point, [command, "--out", str(tmp_path / "run")], tmp_path)
    assert rc == 130, err
    assert err == ["entropy-ref: interrupted"], err
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("command, hint", [
    (["train", "--epochs", "1"], "the same command with --resume continues it"),
    (["reproduce", "--preset", "tiny"], "run the same command again to continue"),
])
def test_ctrl_c_while_loading_the_data(command, hint, synthetic_mnist_dir, tmp_path):
    rc, err, _ = _interrupt_at("load", [*command, "--out", str(tmp_path / "out"), "--data-dir",
                                     str(synthetic_mnist_dir)], tmp_path)
    assert rc == 130, err
    assert not any("Traceback" in s or "KeyboardInterrupt" in s for s in err), err
    assert len(err) == 1 and err[0].startswith("entropy-ref: interrupted; "), err
    assert err[0].endswith(hint)


def test_ctrl_c_while_reproduce_trains_names_what_resumes(synthetic_mnist_dir, tmp_path):
    """The hint says what continues a reproduction (the same command), not a --resume flag."""
    rc, err, out = _interrupt_at("epoch", ["reproduce", "--preset", "tiny", "--out", str(tmp_path),
                                      "--data-dir", str(synthetic_mnist_dir)], tmp_path)
    assert rc == 130, err
    assert err == ["entropy-ref: interrupted; finished runs and curves are kept; run the same "
                   "command again to continue"], err
    assert "interrupted during epoch 2; " in out and "holds epoch 1" in out
    assert "--resume" not in out
