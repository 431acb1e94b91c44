"""The run behind ``check(fn)``: every selected golden case, then the property checks, one report.

:func:`run_check` is shared by :func:`~.api.check` (in the caller's process) and by the child
process of ``entropy-ref verify --fn`` (:mod:`.child`), which passes a ``listener`` that streams
each call and each result to the supervising command as it happens. A call that exceeds the
timeout ends the run (the report says where and what was not run); a ``KeyboardInterrupt`` stops
it and carries the report so far as its ``report`` attribute.
"""

from __future__ import annotations

from .arguments import validate_loss_unit_profile, validate_port_arguments
from .calling import Caller, RunEnded, accepts_axes, port_name
from .case_check import check_case
from .cases import case_patterns, golden_set_from, select_cases
from .endings import ended_result, ended_text, timeout_message
from .profiles import case_for_profile
from .properties import run_properties
from .report import Report
from .timeouts import validate_timeout


def prepare(fn, loss, cases, unit, profile, exclude, skip_on, properties, seed, golden_set,
            timeout) -> tuple:
    """Validate the arguments of ``check``; ``(report skeleton, selected cases, timeout)``."""
    gs = golden_set_from(golden_set)
    cases, exclude = case_patterns("cases", cases), case_patterns("exclude", exclude)
    validate_port_arguments(fn, skip_on, properties, seed)
    validate_loss_unit_profile(loss, unit, profile)
    timeout = validate_timeout(timeout)
    selected = select_cases(gs, cases, exclude)
    report = Report([], loss=loss, unit=unit, version=gs.version, source=port_name(fn),
                    profile=profile, selected=cases is not None, takes_axes=accepts_axes(fn),
                    planned=[c.name for c in selected])
    if properties:
        report.seed = seed
    return report, selected, timeout


def run_check(fn, loss: str = "H_C", cases=None, *, unit: str = "nats", profile: str = "float64",
              exclude=None, skip_on=NotImplementedError, properties: bool = True, seed: int = 0,
              golden_set=None, timeout=None, listener=None) -> Report:
    """``check(fn, ...)`` with an optional ``listener(event, payload)``.

    Events: ``("begin", report)`` (the report without results, after the arguments were
    accepted), ``("call", what)`` before each call of ``fn``, ``("case", CaseResult)``,
    ``("property", PropertyResult)``.
    """
    report, selected, timeout = prepare(fn, loss, cases, unit, profile, exclude, skip_on,
                                        properties, seed, golden_set, timeout)
    notify = listener or (lambda event, payload: None)
    notify("begin", report)
    caller = Caller(fn, report.takes_axes, skip_on, timeout, listener)

    def add_property(result):
        report.properties.append(result)
        notify("property", result)
    try:
        for case in selected:
            result = check_case(caller, case_for_profile(case, profile), loss, unit)
            report.results.append(result)
            notify("case", result)
        if properties:
            run_properties(caller, loss, unit, profile, seed, add_property)
    except RunEnded as ended:
        end_run(report, ended.what, "timeout", ended.reason,
                timeout_message(ended.reason, "timeout="), properties)
    except KeyboardInterrupt as exc:
        report.interrupted = True
        report.ended = ended_text(None, "KeyboardInterrupt", _not_run(report),
                                  properties and not report.properties)
        exc.report = report
        raise
    return report


def _not_run(report) -> list:
    done = {r.name for r in report.results}
    return [name for name in report.planned if name not in done]


def end_run(report: Report, what: dict | None, cause: str, short: str, message: str,
            properties: bool) -> None:
    """Record the end of a run during the call ``what``: its ERROR result (diagnosis ``cause``
    with ``message``), and where, why (``short``) and what was not run."""
    if what is not None:
        result = ended_result(what, cause, message)
        if what["kind"] == "case":
            report.results = [r for r in report.results if r.name != what["name"]] + [result]
        else:
            report.properties.append(result)
    report.not_run = _not_run(report)
    left = properties and (what is None or what["kind"] == "case")
    report.ended = ended_text(what, short, report.not_run, left)
