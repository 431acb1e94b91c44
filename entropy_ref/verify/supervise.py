"""``entropy-ref verify --fn MODULE:FUNCTION``: the port runs in a child process this command
supervises, so the exit status means what the printed report says.

The child (:mod:`.child`, started with ``start_new_session``) imports the port by name and streams
each call and each result back (:mod:`.wire`). This process enforces the timeout per call (it
kills the child's whole process group), notices a child that ends mid-run (``os._exit``, a crash
in native code: the call in flight is an ERROR, the run ends), and turns Ctrl-C into the report so
far. The child exits by itself if this process dies (its control pipe closes). POSIX only; on
other systems the check runs in this process (``check(fn, timeout=...)``).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from .endings import ended_text, exit_message, exit_short, timeout_message
from .port_import import PortImportError, import_port, split_spec
from .run import end_run
from .timeouts import seconds_text, validate_timeout
from .wire import EOF, TIMEOUT, Reader

#: seconds the child may take to exit after its last message before it is killed
GRACE = 5.0


def check_supervised(spec: str, *, timeout=60.0, **check_kwargs):
    """``check`` of the port ``spec`` (``MODULE:FUNCTION``) in a supervised child process.

    Parameters
    ----------
    spec : str
    timeout : float or None
        Seconds one call (and the import of the module) may take; None: no limit.
    **check_kwargs
        ``loss``, ``cases``, ``unit``, ``profile``, ``exclude``, ``properties``, ``seed`` (JSON
        values) as for :func:`~.api.check`.

    Returns
    -------
    Report
        ``report.interrupted`` after Ctrl-C (the report so far).

    Raises
    ------
    PortImportError, ValueError, TypeError
        A user error (the module cannot be imported, hangs or exits while imported, an argument).
    """
    timeout = validate_timeout(timeout)
    split_spec(spec)
    if os.name != "posix":         # no pass_fds / select on pipes: in this process
        from .api import check
        return check(import_port(spec), timeout=timeout, **check_kwargs)
    result_r, result_w = os.pipe()
    control_r, control_w = os.pipe()
    config = json.dumps({"spec": spec, "sys_path": list(sys.path), "kwargs": check_kwargs})
    try:
        proc = subprocess.Popen([sys.executable, "-m", "entropy_ref.verify.child", str(result_w),
                                 str(control_r), config], pass_fds=(result_w, control_r),
                                start_new_session=True)
    finally:
        os.close(result_w)
        os.close(control_r)
    try:
        return _supervise(proc, Reader(result_r), spec, timeout, check_kwargs)
    finally:
        _stop(proc)
        os.close(result_r)
        os.close(control_w)


def _stop(proc) -> None:
    """Let the child exit (it has said all it had to say), then kill its process group."""
    try:
        proc.wait(timeout=GRACE if proc.poll() is None else 0)
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)     # the child and anything the port started
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()


def _kill(proc) -> int:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    return proc.wait()


def _supervise(proc, reader, spec, timeout, check_kwargs):
    """Read the child's messages until the report is complete, or the run ends otherwise."""
    report, what, deadline = None, None, None
    properties = check_kwargs.get("properties", True)
    limit = seconds_text(timeout) if timeout is not None else None
    try:
        while True:
            message = reader.next(deadline)
            if message == TIMEOUT:
                _kill(proc)
                if report is None:
                    raise PortImportError(f"--fn {spec}: importing module {split_spec(spec)[0]!r} "
                                          f"did not finish within {limit} (--timeout)")
                reason = f"fn did not return within {limit}"
                end_run(report, what, "timeout", reason, timeout_message(reason, "--timeout"),
                        properties)
                return report
            if message == EOF:
                code = proc.wait()
                if report is None:
                    raise PortImportError(f"--fn {spec}: the process importing the module ended "
                                          f"with exit status {code} (os._exit() or a crash at "
                                          "import?)")
                end_run(report, what, "process_exited", exit_short(code), exit_message(code),
                        properties)
                return report
            event, payload = message
            if event == "importing":
                deadline = None if timeout is None else time.monotonic() + timeout
            elif event == "user_error":
                raise PortImportError(payload)
            elif event == "begin":
                report, deadline = payload, None
            elif event == "call":
                what = payload
                deadline = None if timeout is None else time.monotonic() + timeout
            elif event == "returned":
                what, deadline = None, None
            elif event == "case":
                report.results.append(payload)
                what = None
            elif event == "property":
                report.properties.append(payload)
                what = None
            elif event in ("done", "interrupted"):
                return payload if payload is not None else report
    except KeyboardInterrupt:
        _kill(proc)
        if report is None:
            raise
        report.interrupted = True
        done = {r.name for r in report.results}
        report.not_run = [n for n in report.planned if n not in done]
        report.ended = ended_text(what, "KeyboardInterrupt (Ctrl-C)", report.not_run,
                                  properties and not report.properties)
        return report
