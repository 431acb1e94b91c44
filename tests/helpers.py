"""Helpers shared by the test modules (test modules never import each other; they import this)."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = REPO_ROOT / "examples"


def example_module(name: str):
    """Import ``examples/<name>.py`` as a module (the examples folder is not a package)."""
    key = f"_example_{name}"
    if key in sys.modules:
        return sys.modules[key]
    if str(EXAMPLES) not in sys.path:          # the examples import each other (paper_matrices)
        sys.path.append(str(EXAMPLES))
    spec = importlib.util.spec_from_file_location(key, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    saved, sys.dont_write_bytecode = sys.dont_write_bytecode, True
    try:
        spec.loader.exec_module(module)
    finally:
        sys.dont_write_bytecode = saved
    sys.modules[key] = module
    return module


def figure1_matrices(*args, **kwargs):
    """The paper's Figure 1 pair ``(W_D, W_S)`` from ``examples/paper_matrices.py``."""
    return example_module("paper_matrices").figure1_matrices(*args, **kwargs)


def repo_env(**extra) -> dict:
    """``os.environ`` with this checkout first on ``PYTHONPATH`` (for scripts run as subprocesses)."""
    path = os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path, **extra}
