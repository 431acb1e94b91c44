"""``MODULE:FUNCTION`` to a callable, for ``entropy-ref verify --fn`` (in the child process that
runs the port, :mod:`.child`). Every failure is one line (:class:`PortImportError`)."""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path


class PortImportError(ValueError):
    """``MODULE:FUNCTION`` cannot be imported or is not a callable (a user error: one line)."""


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


def split_spec(spec: str) -> tuple[str, str]:
    """``"package.module:function"`` as ``(module, attribute path)``; one-line error otherwise.

    Examples
    --------
    >>> split_spec("my_port.torch_impl:Impl.loss")
    ('my_port.torch_impl', 'Impl.loss')
    """
    module_name, sep, attr = str(spec).partition(":")
    if not sep or not module_name or not attr:
        raise PortImportError(f"--fn {spec!r}: expected MODULE:FUNCTION, e.g. "
                              "my_port.torch_impl:entropy")
    return module_name, attr


def import_port(spec: str):
    """Import ``"package.module:function"`` (or ``module:Class.method``), the current directory
    on the import path (as with ``python -m``); :class:`PortImportError` naming the problem.

    Examples
    --------
    >>> import_port("entropy_ref:configuration_entropy_grad").__name__
    'configuration_entropy_grad'
    """
    module_name, attr = split_spec(spec)
    if "" not in sys.path:
        sys.path.insert(0, "")
    try:
        obj = importlib.import_module(module_name)
    except SystemExit as exc:   # a script's sys.exit(...) at import: exit 0 would be a false PASS
        raise PortImportError(
            f"--fn {spec}: module {module_name!r} called sys.exit({exc.code!r}) while being "
            "imported (a script without an `if __name__ == '__main__':` guard?)") from None
    except Exception as exc:  # noqa: BLE001 - any import failure is the user's: one line
        raise PortImportError(f"--fn {spec}: cannot import module {module_name!r} "
                              f"({type(exc).__name__}: {exc})" + _path_hint(module_name, attr)
                              ) from None
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise PortImportError(f"--fn {spec}: module {module_name!r} has no attribute "
                                  f"{attr!r}") from None
    if not callable(obj):
        raise PortImportError(f"--fn {spec}: {attr!r} is a {type(obj).__name__}, not a callable")
    return obj
