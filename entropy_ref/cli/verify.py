"""``entropy-ref verify THEIRS.npz`` / ``entropy-ref verify --fn MODULE:FUNCTION``: check a port.

Either the outputs another implementation stored in a file, or a Python callable imported by name
(``check(fn)``: golden cases, then the property checks) in a child process this command
supervises (:mod:`entropy_ref.verify.supervise`: ``--timeout`` per call, a port that exits or
hangs cannot end the run with a false status). Exit status 0 when the report is ok, 1 when a case
fails, errors or a property fails or the run ended early, 2 for a user error (missing or malformed
file, a ``MODULE:FUNCTION`` that cannot be imported: one line), 130 after Ctrl-C (the report so
far is printed). ``--list`` shows the golden cases and where their inputs are. The key layout of
``THEIRS.npz`` is in ``docs/verifying.md``.
"""

from __future__ import annotations

import math

from .. import golden
from ..verify import check_file
from ..verify.port_import import PortImportError, import_port
from ..verify.supervise import check_supervised
from ..verify.timeouts import DEFAULT_TIMEOUT
from . import UserError

NAME = "verify"


def add_parser(subparsers):
    """Register ``verify`` and its options."""
    p = subparsers.add_parser(
        NAME, help="check another implementation's outputs against the golden vectors",
        description="Compare the outputs stored in THEIRS.npz (keys <case>/value, <case>/grad, "
                    "optional <case>/g_x, <case>/g_y or <case>/g_axis<a>, or <case>/skip) with the "
                    "golden vectors shipped in entropy_ref/golden; print a per-case table with "
                    "diagnoses of the usual porting mistakes. Exit 0 only when all cases pass.")
    p.add_argument("theirs", nargs="?", metavar="THEIRS.npz", help="the other implementation's outputs")
    p.add_argument("--fn", metavar="MODULE:FUNCTION",
                   help="instead of a file, import this callable fn(W[, axes]) -> (value, grad) and "
                        "check it (golden cases, then property checks); the current directory is on "
                        "the import path")
    p.add_argument("--loss", choices=("H_C", "l_C"), default="H_C",
                   help="what the file holds: H_C (eq. 3 right-hand side, default) or the paper's "
                        "sparsity loss l_C = -H_C")
    p.add_argument("--unit", choices=("nats", "bits"), default="nats", help="log base of the values")
    p.add_argument("--cases", nargs="+", metavar="PATTERN",
                   help="only these cases (names or glob patterns such as 'lenet300_*')")
    p.add_argument("--exclude", nargs="+", metavar="PATTERN",
                   help="leave these cases out (names or glob patterns)")
    p.add_argument("--profile", choices=("float64", "float32"), default="float64",
                   help="float64 (default, each case at its dtype's tolerance) or float32 "
                        "(every input cast to float32, judged at float32 rounding)")
    p.add_argument("--no-properties", action="store_true",
                   help="with --fn: skip the property checks at random shapes and scales")
    p.add_argument("--seed", type=int, default=0, help="with --fn: seed of the property checks")
    p.add_argument("--timeout", metavar="SECONDS",
                   help=f"with --fn: seconds one call of the function may take (default "
                        f"{DEFAULT_TIMEOUT:g}; 0: no limit); a call that takes longer is an ERROR "
                        "and ends the run")
    p.add_argument("--list", action="store_true",
                   help="list the golden cases and the files holding their inputs, then exit")
    p.set_defaults(run=run)
    return p


def _listing(gs, patterns) -> str:
    lines = [f"golden v{gs.version}: {golden.npz_path(gs.version)}",
             f"small cases also as JSON: {golden.json_path(gs.version)}", ""]
    rows = [("case", "shape", "dtype", "axes", "tolerance", "json", "components")]
    for c in gs.select(patterns):
        info = gs.meta["cases"][c.name]
        rows.append((c.name, "x".join(map(str, c.shape)), str(c.W.dtype), str(c.axes),
                     f"{c.tolerance.value_atol:g}/{c.tolerance.array_rtol:g}",
                     "yes" if info["in_json"] else "no", "yes" if c.components else "no"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines += ["  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in rows]
    lines += ["", "tolerance = value abs (nats) / arrays max-norm relative"]
    return "\n".join(lines)


def import_callable(spec: str):
    """Import ``"package.module:function"`` (or ``module:Class.method``); one-line ``UserError``.

    Examples
    --------
    >>> import_callable("entropy_ref:configuration_entropy_grad").__name__
    'configuration_entropy_grad'
    """
    try:
        return import_port(spec)
    except PortImportError as exc:
        raise UserError(str(exc)) from None


def _timeout(text: str | None) -> float | None:
    """``--timeout`` in seconds (default 60; 0: no limit); one-line ``UserError`` otherwise."""
    if text is None:
        return DEFAULT_TIMEOUT
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds >= 0):
        raise UserError(f"--timeout {text!r}: expected a number of seconds >= 0 (0: no limit)")
    return seconds or None


def run(args) -> int:
    """Run the verification; print the report; 0 if it is ok, 130 after Ctrl-C, else 1."""
    gs = golden.load()
    if args.list:
        print(_listing(gs, args.cases))
        return 0
    if args.fn is not None:
        if args.theirs is not None:
            raise UserError("give either THEIRS.npz or --fn MODULE:FUNCTION, not both")
        timeout = _timeout(args.timeout)
        try:
            report = check_supervised(args.fn, timeout=timeout, loss=args.loss, unit=args.unit,
                                      cases=args.cases, exclude=args.exclude,
                                      profile=args.profile, properties=not args.no_properties,
                                      seed=args.seed)
        except PortImportError as exc:
            raise UserError(str(exc)) from None
        print(report)
        return 130 if report.interrupted else 0 if report.ok else 1
    if args.theirs is None:
        raise UserError("give the file to verify, THEIRS.npz, or --fn MODULE:FUNCTION (or --list to "
                        "see the golden cases)")
    if args.no_properties or args.seed != 0 or args.timeout is not None:
        raise UserError("--no-properties, --seed and --timeout apply to --fn only: the property "
                        "checks and the timeout call a function, and a file holds fixed outputs")
    report = check_file(args.theirs, loss=args.loss, unit=args.unit, cases=args.cases,
                        exclude=args.exclude, profile=args.profile, golden_set=gs)
    print(report)
    return 0 if report.ok else 1
