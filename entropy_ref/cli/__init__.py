"""Command-line interface: ``entropy-ref <command>`` (argparse, printing, exit codes only).

Each sub-command lives in its own module of this package and exposes two functions:

``add_parser(subparsers)``
    registers its arguments on ``subparsers.add_parser(NAME, ...)`` and sets
    ``parser.set_defaults(run=run)``;
``run(args) -> int``
    does the work and returns the process exit status.

A user error (bad argument value, missing or corrupt data) is raised as :class:`UserError`
(or one of ``ValueError``/``FileNotFoundError`` from the library) and printed as one clean
line on stderr with exit status 2; no traceback is shown for those. Any other ``OSError`` (no
permission, disk full, a file where a directory should be, ...) is the last line of defence:
one line naming the path and the cause (:func:`os_error_line`), exit status 2; so is a
``MemoryError`` (a size option far beyond this machine).

Commands validate the paths they will write (:func:`check_out_dir`) and read
(:func:`check_data_dir`) before doing any work, so a typo costs nothing.

Only the module of the command being run is imported (:func:`commands_for`): ``verify`` and
``--version`` start without importing the trainer, the reproduction's studies, SciPy's statistics
or matplotlib, which the other commands need.
"""

from __future__ import annotations

import argparse
import importlib
import io
import os
import sys
from pathlib import Path

#: sub-command name -> module (relative to this package) that implements it
COMMANDS = {
    "train": ".train",
    "prune-curve": ".prune_curve",
    "reproduce": ".reproduce",
    "verify": ".verify",
}


class UserError(Exception):
    """An error caused by the user's input; printed without a traceback."""


def os_error_line(exc: OSError) -> str:
    """``"<path>: <cause>"`` for an ``OSError`` (its own text when it names no path).

    Examples
    --------
    >>> os_error_line(PermissionError(13, "Permission denied", "/root/x"))
    '/root/x: Permission denied'
    """
    if exc.filename is None:
        return str(exc)
    cause = exc.strerror or str(exc)
    if exc.filename2 is not None:
        return f"{exc.filename} -> {exc.filename2}: {cause}"
    return f"{exc.filename}: {cause}"


def _nearest_existing(path: Path) -> Path:
    p = path
    while not os.path.lexists(p) and p != p.parent:
        p = p.parent
    return p


def check_out_dir(path, option: str = "--out", may_exist: bool = True) -> Path:
    """Check that ``path`` can be a directory this process writes into; return it as a Path.

    Refused with :class:`UserError`: an empty string (it would mean the current directory), an
    existing file, a path under a file, a directory (or its nearest existing ancestor, when it
    does not exist yet) that this user cannot write into.
    """
    if path is None or str(path).strip() == "":
        raise UserError(f"{option} must name a directory, got an empty string (use '.' for the "
                        "current directory)")
    from ..data.places import expand_home

    path = expand_home(path, option)
    if path.exists():
        if not path.is_dir():
            raise UserError(f"{option} {path}: exists and is not a directory")
        if not may_exist:
            raise UserError(f"{option} {path}: already exists")
        target = path
    else:
        target = _nearest_existing(path.parent if path.parent != path else path)
        if not target.is_dir():
            raise UserError(f"{option} {path}: cannot be created, {target} is not a directory")
    if not os.access(target, os.W_OK | os.X_OK):
        raise UserError(f"{option} {path}: cannot write into {target} (permission denied)")
    return path


def check_data_dir(path, option: str = "--data-dir") -> None:
    """Refuse a data directory that exists but is not a directory, or cannot be read."""
    if path is None:
        return
    if str(path).strip() == "":
        raise UserError(f"{option} must name a directory, got an empty string")
    from ..data.places import expand_home

    p = expand_home(path, option)
    if p.exists() and not p.is_dir():
        raise UserError(f"{option} {p}: exists and is not a directory")
    if p.is_dir() and not os.access(p, os.R_OK | os.X_OK):
        raise UserError(f"{option} {p}: cannot read this directory (permission denied)")


def check_download_target(data_dir) -> None:
    """With ``--download``: refuse when the place MNIST would be downloaded into is a file."""
    from ..data import search_dirs

    target, origin = search_dirs(data_dir)[0]
    if target.exists() and not target.is_dir():
        raise UserError(f"--download: would download MNIST into {target} ({origin}), which is a "
                        f"file, not a directory; point {origin} at a directory")


def commands_for(argv) -> tuple:
    """The sub-commands whose modules parsing ``argv`` needs: the one it names; none when it
    holds top-level options only (``--version``); every one for the top-level ``--help`` or a
    name that is no command (the error lists the choices).

    Examples
    --------
    >>> commands_for(["verify", "--fn", "port:f"]), commands_for(["--version"])
    (('verify',), ())
    >>> len(commands_for(["--help"])) == len(commands_for(["trian"])) == len(COMMANDS)
    True
    """
    for token in argv:
        if token in ("-h", "--help"):
            break
        if not token.startswith("-"):
            return (token,) if token in COMMANDS else tuple(COMMANDS)
    else:
        return ()
    return tuple(COMMANDS)


def build_parser(commands=None) -> argparse.ArgumentParser:
    """Return the top-level parser with the sub-commands ``commands`` registered (default: every
    available one). A command's module is imported only when it is registered, so a command
    starts without importing the others (:func:`commands_for`)."""
    parser = argparse.ArgumentParser(
        prog="entropy-ref",
        description="Reference implementation of the configuration-entropy regularizer "
        "(Bayandorian, arXiv 2301.07285): train, prune, reproduce, verify.",
    )
    from .._version import __version__

    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name, module in COMMANDS.items():
        if commands is not None and name not in commands:
            continue
        try:
            mod = importlib.import_module(module, __name__)
        except ModuleNotFoundError as exc:  # a command not built yet
            if exc.name and exc.name.startswith(__name__):
                continue
            raise
        mod.add_parser(sub)
    return parser


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot fail again (see the
    Python docs, 'Note on SIGPIPE'); a no-op when stdout has no file descriptor (tests)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        pass


#: what an interrupted command has kept, and how to continue it
_ON_INTERRUPT = {
    "train": "the run directory keeps every completed epoch; the same command with --resume "
             "continues it",
    "reproduce": "finished runs and curves are kept; run the same command again to continue",
}


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``entropy-ref`` console script; returns the exit status.

    Ctrl-C at any point from here on (importing the command, loading data, training) ends the
    command with one line and exit status 130, never a traceback.
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        args = build_parser(commands_for(argv)).parse_args(argv)
    except KeyboardInterrupt:           # while the command's modules were being imported
        print("entropy-ref: interrupted", file=sys.stderr)
        return 130
    command = args.command
    try:
        return int(args.run(args) or 0)
    except KeyboardInterrupt:
        hint = _ON_INTERRUPT.get(command)
        print("entropy-ref: interrupted" + (f"; {hint}" if hint else ""), file=sys.stderr)
        return 130
    except UnicodeEncodeError as exc:   # a name this terminal's encoding cannot print
        bad = exc.object[exc.start:exc.end] if isinstance(exc.object, str) else "?"
        print(f"entropy-ref {command}: error: cannot print {bad!r} in {exc.encoding}: a path or "
              "argument that is not valid text; rename it, or set PYTHONIOENCODING="
              f"{exc.encoding}:surrogateescape", file=sys.stderr)
        return 2
    except (UserError, ValueError, TypeError) as exc:
        print(f"entropy-ref {command}: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:     # `entropy-ref ... | head`: the reader left; nothing to report
        _silence_stdout()
        return 0
    except OSError as exc:      # the last line of defence: one line naming the path and cause
        print(f"entropy-ref {command}: error: {os_error_line(exc)}", file=sys.stderr)
        return 2
    except MemoryError as exc:  # e.g. --hidden 1000000000: say so instead of a traceback
        print(f"entropy-ref {command}: error: out of memory: {exc or 'MemoryError'} "
              "(smaller sizes, please)", file=sys.stderr)
        return 2
