"""``entropy-ref verify THEIRS.npz [--loss l_C]``: check another implementation's stored outputs.

Exit status 0 when every attempted case passes, 1 when a case fails, 2 for a user error (missing
or malformed file: the message lists every problem). ``--list`` shows the golden cases and where
their inputs are. The key layout of ``THEIRS.npz`` is in ``docs/verifying.md``.
"""

from __future__ import annotations

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
    p.add_argument("--loss", choices=("H_C", "l_C"), default="H_C",
                   help="what the file holds: H_C (eq. 3 right-hand side, default) or the paper's "
                        "sparsity loss l_C = -H_C")
    p.add_argument("--unit", choices=("nats", "bits"), default="nats", help="log base of the values")
    p.add_argument("--cases", nargs="+", metavar="PATTERN",
                   help="only these cases (names or glob patterns such as 'lenet300_*')")
    p.add_argument("--list", action="store_true",
                   help="list the golden cases and the files holding their inputs, then exit")
    p.set_defaults(run=run)
    return p


def _listing(gs, patterns) -> str:
    from ..golden import json_path, npz_path

    lines = [f"golden v{gs.version}: {npz_path(gs.version)}",
             f"small cases also as JSON: {json_path(gs.version)}", ""]
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


def run(args) -> int:
    """Run the verification; print the report; 0 if every attempted case passes, else 1."""
    from .. import golden
    from ..verify import check_file

    gs = golden.load()
    if args.list:
        print(_listing(gs, args.cases))
        return 0
    if args.theirs is None:
        raise UserError("give the file to verify, THEIRS.npz (or --list to see the golden cases)")
    report = check_file(args.theirs, loss=args.loss, unit=args.unit, cases=args.cases,
                        golden_set=gs)
    print(report)
    return 0 if report.ok else 1
