"""``entropy-ref verify THEIRS.npz`` / ``entropy-ref verify --fn MODULE:FUNCTION``: check a port.

Either the outputs another implementation stored in a file, or a Python callable imported by name
(``check(fn)``: golden cases, then the property checks). Exit status 0 when the report is ok, 1
when a case fails, errors or a property fails, 2 for a user error (missing or malformed file, a
``MODULE:FUNCTION`` that cannot be imported: one line). ``--list`` shows the golden cases and
where their inputs are. The key layout of ``THEIRS.npz`` is in ``docs/verifying.md``.
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path

from .. import golden
from ..verify import check, check_file
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


def _path_hint(module_name: str, attr: str) -> str:
    """For a file path given as the module (``ports/my_port.py``): the module name to use."""
    if not (module_name.endswith(".py") or "/" in module_name or "\\" in module_name):
        return ""
    name = Path(module_name[:-3] if module_name.endswith(".py") else module_name)
    where = ""
    try:
        name = name.resolve().relative_to(Path.cwd().resolve())
    except ValueError:            # outside the current directory: run from its folder
        where, name = f"from {name.resolve().parent}{os.sep} ", Path(name.name)
    return (f"; give a module name importable from the current directory, not a file path: "
            f"{where}--fn {'.'.join(name.parts)}:{attr}")


def import_callable(spec: str):
    """Import ``"package.module:function"`` (or ``module:Class.method``); one-line ``UserError``.

    Examples
    --------
    >>> import_callable("entropy_ref:configuration_entropy_grad").__name__
    'configuration_entropy_grad'
    """
    module_name, sep, attr = str(spec).partition(":")
    if not sep or not module_name or not attr:
        raise UserError(f"--fn {spec!r}: expected MODULE:FUNCTION, e.g. my_port.torch_impl:entropy")
    if "" not in sys.path:          # like `python -m`: modules in the current directory
        sys.path.insert(0, "")
    try:
        obj = importlib.import_module(module_name)
    except SystemExit as exc:   # a script's sys.exit(...) at import: exit 0 would be a false PASS
        raise UserError(f"--fn {spec}: module {module_name!r} called sys.exit({exc.code!r}) while "
                        "being imported (a script without an `if __name__ == '__main__':` guard?)"
                        ) from None
    except Exception as exc:  # noqa: BLE001 - any import failure is the user's: one line
        raise UserError(f"--fn {spec}: cannot import module {module_name!r} "
                        f"({type(exc).__name__}: {exc})" + _path_hint(module_name, attr)) from None
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise UserError(f"--fn {spec}: module {module_name!r} has no attribute {attr!r}") from None
    if not callable(obj):
        raise UserError(f"--fn {spec}: {attr!r} is a {type(obj).__name__}, not a callable")
    return obj


def run(args) -> int:
    """Run the verification; print the report; 0 if it is ok, else 1."""
    gs = golden.load()
    if args.list:
        print(_listing(gs, args.cases))
        return 0
    if args.fn is not None:
        if args.theirs is not None:
            raise UserError("give either THEIRS.npz or --fn MODULE:FUNCTION, not both")
        fn = import_callable(args.fn)
        report = check(fn, loss=args.loss, unit=args.unit, cases=args.cases, exclude=args.exclude,
                       profile=args.profile, properties=not args.no_properties, seed=args.seed,
                       golden_set=gs)
        print(report)
        return 0 if report.ok else 1
    if args.theirs is None:
        raise UserError("give the file to verify, THEIRS.npz, or --fn MODULE:FUNCTION (or --list to "
                        "see the golden cases)")
    if args.no_properties or args.seed != 0:
        raise UserError("--no-properties and --seed apply to --fn only: the property checks call "
                        "a function, and a file holds fixed outputs")
    report = check_file(args.theirs, loss=args.loss, unit=args.unit, cases=args.cases,
                        exclude=args.exclude, profile=args.profile, golden_set=gs)
    print(report)
    return 0 if report.ok else 1
