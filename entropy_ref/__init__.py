"""entropy_ref: NumPy/SciPy reference implementation of the configuration-entropy regularizer.

Bayandorian, "A Novel Sparse Regularizer", arXiv 2301.07285. ``configuration_entropy`` is the
paper's ``H_C`` (right-hand side of eq. 3); ``sparsity_loss`` is its ``l_C = -H_C``. Conventions:
``docs/conventions.md``; derivation with numbered equations: ``docs/derivation.md``.

The names below are imported from their modules on first use (``entropy_ref.penalty_sum``,
``from entropy_ref import sparsity_loss``), so that ``import entropy_ref.cli`` does not load NumPy:
the command line then starts, and answers Ctrl-C, before any heavy import.
"""

import importlib

from ._version import __version__
from .errors import DegenerateInputError

#: public name -> module (relative to this package) that defines it
_HOMES = {
    "configuration_entropy": ".entropy",
    "configuration_entropy_grad": ".entropy",
    "configuration_entropy_grad_reference": ".entropy",
    "sparsity_loss": ".entropy",
    "sparsity_loss_grad": ".entropy",
    "PenaltyResult": ".regularizers.configuration",
    "penalty_sum": ".regularizers.configuration",
    "scharr_gradient": ".scharr",
    "scharr_gradient_adjoint": ".scharr",
    "scharr_gradient_adjoint_loop": ".scharr",
    "scharr_gradient_loop": ".scharr",
}

__all__ = sorted(["DegenerateInputError", *_HOMES])


def __getattr__(name):
    """A public name, or a submodule (``entropy_ref.scharr``), imported on first use."""
    if name in _HOMES:
        value = getattr(importlib.import_module(_HOMES[name], __name__), name)
    else:
        try:
            value = importlib.import_module(f".{name}", __name__)
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
