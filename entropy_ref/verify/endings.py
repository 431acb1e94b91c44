"""A run that ends early: a call that exceeded the timeout, a child process that exited under
``verify --fn``, a ``KeyboardInterrupt``. What the report then says about the call in flight and
about what was not run.

A call is described by a dict ``what`` (built where the port is called): ``kind`` ("case" or
"property"), ``name``, ``dtype``, ``shape``, ``axes``, ``tolerance`` and ``second`` (the second
input of a golden case) for a case; ``shape``, ``axes``, ``dtype``, ``scale`` for a property input.
"""

from __future__ import annotations

import signal

from .results import ERROR, CaseResult, Diagnosis, PropertyResult

#: why a run can end early (the diagnosis of the call in flight; ``prop_`` + it for a property)
CAUSES = ("timeout", "process_exited")


def case_call(case, second: bool = False) -> dict:
    """``what`` for a call of the port on a golden case (or its second input)."""
    return {"kind": "case", "name": case.name, "dtype": str(case.W.dtype), "shape": case.shape,
            "axes": tuple(case.axes), "tolerance": case.tolerance, "second": second}


def property_call(X, axes, scale: float) -> dict:
    """``what`` for a call of the port on an input of the property checks."""
    return {"kind": "property", "shape": X.shape, "axes": tuple(axes), "dtype": str(X.dtype),
            "scale": scale}


def where(what: dict) -> str:
    """Where the run was: ``"case tiny_2x2_f64"``, ``"the property checks (input 1x11 float64)"``."""
    if what["kind"] == "case":
        return f"case {what['name']}" + (" (its second input)" if what.get("second") else "")
    shape = "x".join(map(str, what["shape"]))
    return f"the property checks (input {shape} {what['dtype']}, axes={what['axes']})"


def ended_result(what: dict, cause: str, message: str):
    """The ERROR result of the call in flight; ``cause`` is ``"timeout"`` or ``"process_exited"``
    (a property input's diagnosis carries the ``prop_`` prefix)."""
    if what["kind"] == "case":
        return CaseResult(what["name"], what["dtype"], tuple(what["shape"]), status=ERROR,
                          tolerance=what.get("tolerance"), diagnoses=[Diagnosis(cause, message)])
    return PropertyResult("runs", tuple(what["shape"]), what["axes"], what["dtype"],
                          what.get("scale", 1.0), status=ERROR,
                          diagnoses=[Diagnosis(f"prop_{cause}", message)])


def timeout_message(reason: str, option: str) -> str:
    """The diagnosis of a call that exceeded the timeout (``reason``: "fn did not return within
    2 s"; ``option``: how to raise the limit)."""
    return (f"{reason} ({option}): a loop that never ends, a "
            "deadlock, or a port far too slow for this size; the run ended here. Raise the limit "
            f"with {option} if the port is merely slow")


def exit_short(returncode: int) -> str:
    """``"the process running fn exited with exit status 0"`` / ``"... was killed by SIGSEGV"``."""
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        return f"the process running fn was killed by {name}"
    return f"the process running fn exited with exit status {returncode}"


def exit_message(returncode: int) -> str:
    """What the end of the child process running ``fn`` means (``verify --fn``)."""
    why = ("a crash in native code, or a kill from outside" if returncode < 0 else
           "os._exit() or a crash in native code; sys.exit() would have been an ERROR of the case")
    return (f"{exit_short(returncode)} ({why}); the run ended here. Whatever the exit status of "
            "the port, verify exits 1")


def ended_text(what: dict | None, cause: str, not_run: list, properties_left: bool) -> str:
    """The summary's reason: where the run ended, why, and what was not run."""
    left = []
    if not_run:
        left.append(f"{len(not_run)} case(s)")
    if properties_left:
        left.append("the property checks")
    place = f" during {where(what)}" if what is not None else ""
    return f"the run ended{place}: {cause}" + (f"; {' and '.join(left)} not run" if left else "")
