"""``entropy-ref verify --fn``: the port runs in a child process the command supervises.

Whatever the port does (``os._exit(0)``, hang, raise ``KeyboardInterrupt``), the exit status means
what the printed report says, a hung call ends at ``--timeout``, Ctrl-C prints the report so far,
and no process is left behind. The in-process ``check(fn)`` with the same ports:
``tests/test_verify_hostile_ports.py``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from entropy_ref.cli import main

pytestmark = pytest.mark.slow

CORRECT = """
    import entropy_ref

    def reference(W, axes):
        return entropy_ref.configuration_entropy_grad(W, axes)
    """


def _module(tmp_path, monkeypatch, name, body):
    (tmp_path / f"{name}.py").write_text(textwrap.dedent(CORRECT) + textwrap.dedent(body))
    monkeypatch.chdir(tmp_path)


def _alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie waiting to be reaped counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state != "Z"


def _wait_gone(pid: int, seconds: float = 5.0) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if not _alive(pid):
            return True
        time.sleep(0.05)
    return False


def test_a_port_calling_os_exit_0_is_an_error_with_a_report_not_exit_0(tmp_path, monkeypatch,
                                                                        capsys):
    _module(tmp_path, monkeypatch, "exits", """
        import os

        def fn(W, axes):
            if W.size > 1000:
                os._exit(0)
            return reference(W, axes)
        """)
    assert main(["verify", "--fn", "exits:fn"]) == 1
    out = capsys.readouterr().out
    assert "[process_exited]" in out and "exit status 0" in out and "os._exit" in out
    last = out.strip().splitlines()[-1]
    assert last.startswith("FAIL:") and "lenet300_fc1_f64" in last and "not run" in last


def test_a_port_exiting_during_the_property_checks_fails_them(tmp_path, monkeypatch, capsys):
    _module(tmp_path, monkeypatch, "exits_late", """
        import os

        def fn(W, axes):
            if W.shape[0] == 1 and W.shape[1] != 8:      # a property input, not row_1x8
                os._exit(3)
            return reference(W, axes)
        """)
    assert main(["verify", "--fn", "exits_late:fn", "--cases", "tiny_*"]) == 1
    out = capsys.readouterr().out
    assert "[prop_process_exited]" in out and "exit status 3" in out
    assert out.strip().splitlines()[-1].startswith("FAIL:")


def test_a_hanging_port_times_out_and_leaves_no_process_behind(tmp_path, monkeypatch, capsys):
    _module(tmp_path, monkeypatch, "hangs", """
        import os
        import subprocess
        import sys

        def fn(W, axes):
            if W.size > 1000:
                child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
                with open("pids", "w") as f:
                    f.write(f"{os.getpid()} {child.pid}")
                while True:
                    pass
            return reference(W, axes)
        """)
    t0 = time.monotonic()
    assert main(["verify", "--fn", "hangs:fn", "--timeout", "2"]) == 1
    assert time.monotonic() - t0 < 60
    out = capsys.readouterr().out
    assert "[timeout]" in out and "2 s" in out and "--timeout" in out
    assert out.strip().splitlines()[-1].startswith("FAIL:")
    port_pid, grandchild = map(int, (tmp_path / "pids").read_text().split())
    assert _wait_gone(port_pid) and _wait_gone(grandchild)


def test_a_port_raising_keyboard_interrupt_stops_the_run_with_the_report_so_far(
        tmp_path, monkeypatch, capsys):
    _module(tmp_path, monkeypatch, "interrupts", """
        def fn(W, axes):
            if W.size > 1000:
                raise KeyboardInterrupt
            return reference(W, axes)
        """)
    assert main(["verify", "--fn", "interrupts:fn"]) == 130
    out = capsys.readouterr().out
    assert "tiny_2x2_f64" in out and out.strip().splitlines()[-1].startswith("INTERRUPTED")


def _verify_a_port_that_blocks(tmp_path, block, **popen):
    """Start ``entropy-ref verify --fn slow_port:fn`` on a port that writes its pid to ``pid``
    and runs ``block`` on the first case above 1,000 entries; return ``(proc, pid_file)`` once the
    port has reached it."""
    (tmp_path / "slow_port.py").write_text(textwrap.dedent(CORRECT) + textwrap.dedent("""
        import os
        import time

        def fn(W, axes):
            if W.size > 1000:
                with open("pid", "w") as f:
                    f.write(str(os.getpid()))
        """) + textwrap.indent(block, " " * 8) + "\n    return reference(W, axes)\n")
    proc = subprocess.Popen([sys.executable, "-m", "entropy_ref", "verify", "--fn", "slow_port:fn"],
                            cwd=tmp_path, **popen)
    pid_file = tmp_path / "pid"
    end = time.monotonic() + 60
    while not pid_file.exists() and time.monotonic() < end:
        time.sleep(0.05)
    time.sleep(0.2)
    return proc, pid_file


def test_ctrl_c_prints_the_report_so_far_and_stops_the_port(tmp_path):
    proc, pid_file = _verify_a_port_that_blocks(tmp_path, "time.sleep(600)",
                                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                                text=True)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, out + err
    assert "tiny_2x2_f64" in out and out.strip().splitlines()[-1].startswith("INTERRUPTED")
    assert "Traceback" not in err
    assert _wait_gone(int(pid_file.read_text()))


def test_a_port_caching_by_shape_fails_without_the_property_checks(tmp_path, monkeypatch, capsys):
    _module(tmp_path, monkeypatch, "caches", """
        CACHE = {}

        def fn(W, axes):
            if W.shape not in CACHE:
                CACHE[W.shape] = reference(W, axes)
            return CACHE[W.shape]
        """)
    assert main(["verify", "--fn", "caches:fn", "--no-properties"]) == 1
    assert "[cached_by_shape]" in capsys.readouterr().out


def test_what_the_port_prints_comes_before_the_report(tmp_path):
    (tmp_path / "chatty.py").write_text(textwrap.dedent(CORRECT) + textwrap.dedent("""
        def fn(W, axes):
            print("port says hello", flush=False)
            return reference(W, axes)
        """))
    run = subprocess.run([sys.executable, "-m", "entropy_ref", "verify", "--fn", "chatty:fn",
                          "--cases", "tiny_2x2_f64", "--no-properties"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.index("port says hello") < run.stdout.index("entropy_ref verify:")


@pytest.mark.parametrize("value", ["-1", "nan", "soon"])
def test_bad_timeouts_are_user_errors(value, capsys):
    assert main(["verify", "--fn", "entropy_ref:configuration_entropy_grad", "--timeout",
                 value]) == 2
    err = capsys.readouterr().err
    assert "--timeout" in err and len(err.strip().splitlines()) == 1


def test_timeout_0_means_no_limit_and_applies_to_fn_only(tmp_path, capsys):
    assert main(["verify", "--fn", "entropy_ref:configuration_entropy_grad", "--timeout", "0",
                 "--cases", "tiny_*"]) == 0
    capsys.readouterr()
    path = tmp_path / "theirs.npz"
    path.write_bytes(b"")
    assert main(["verify", str(path), "--timeout", "5"]) == 2
    assert "apply to --fn only" in capsys.readouterr().err


def test_a_module_that_hangs_on_import_is_a_user_error(tmp_path, monkeypatch, capsys):
    (tmp_path / "hangs_at_import.py").write_text("while True:\n    pass\n")
    monkeypatch.chdir(tmp_path)
    assert main(["verify", "--fn", "hangs_at_import:fn", "--timeout", "1"]) == 2
    err = capsys.readouterr().err
    assert "hangs_at_import" in err and "1 s" in err and len(err.strip().splitlines()) == 1


def test_the_child_finds_modules_on_the_callers_import_path(tmp_path, monkeypatch, capsys):
    pkg = tmp_path / "elsewhere"
    pkg.mkdir()
    (pkg / "far_port.py").write_text(textwrap.dedent(CORRECT))
    monkeypatch.syspath_prepend(str(pkg))
    assert main(["verify", "--fn", "far_port:reference", "--cases", "tiny_*"]) == 0
    assert "PASS" in capsys.readouterr().out
    assert os.getcwd() != str(pkg)


def test_the_child_exits_when_the_command_is_killed(tmp_path):
    proc, pid_file = _verify_a_port_that_blocks(tmp_path, "while True:\n    time.sleep(0.01)",
                                                stdout=subprocess.DEVNULL,
                                                stderr=subprocess.DEVNULL)
    proc.kill()                      # no chance to clean up: the child must notice by itself
    proc.wait()
    assert _wait_gone(int(pid_file.read_text()))
