"""Command-line interface: ``entropy-ref <command>`` (argparse, printing, exit codes only).

Each sub-command lives in its own module of this package and exposes two functions:

``add_parser(subparsers)``
    registers its arguments on ``subparsers.add_parser(NAME, ...)`` and sets
    ``parser.set_defaults(run=run)``;
``run(args) -> int``
    does the work and returns the process exit status.

A user error (bad argument value, missing or corrupt data) is raised as :class:`UserError`
(or one of ``ValueError``/``FileNotFoundError`` from the library) and printed as one clean
line on stderr with exit status 2; no traceback is shown for those.
"""

from __future__ import annotations

import argparse
import importlib
import sys

#: sub-command name -> module (relative to this package) that implements it
COMMANDS = {
    "train": ".train",
    "prune-curve": ".prune_curve",
    "reproduce": ".reproduce",
    "verify": ".verify",
}


class UserError(Exception):
    """An error caused by the user's input; printed without a traceback."""


def build_parser() -> argparse.ArgumentParser:
    """Return the top-level parser with every available sub-command registered."""
    parser = argparse.ArgumentParser(
        prog="entropy-ref",
        description="Reference implementation of the configuration-entropy regularizer "
        "(Bayandorian, arXiv 2301.07285): train, prune, reproduce, verify.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name, module in COMMANDS.items():
        try:
            mod = importlib.import_module(module, __name__)
        except ModuleNotFoundError as exc:  # a command not built yet
            if exc.name and exc.name.startswith(__name__):
                continue
            raise
        mod.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``entropy-ref`` console script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except KeyboardInterrupt:
        print("entropy-ref: interrupted", file=sys.stderr)
        return 130
    except (UserError, ValueError, FileNotFoundError, TypeError) as exc:
        print(f"entropy-ref {args.command}: error: {exc}", file=sys.stderr)
        return 2
