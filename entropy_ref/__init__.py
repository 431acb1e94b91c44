"""entropy_ref: NumPy/SciPy reference implementation of the configuration-entropy regularizer.

Bayandorian, "A Novel Sparse Regularizer", arXiv 2301.07285. ``configuration_entropy`` is the
paper's ``H_C`` (right-hand side of eq. 3); ``sparsity_loss`` is its ``l_C = -H_C``. Conventions:
``docs/conventions.md``; derivation with numbered equations: ``docs/derivation.md``.
"""

from .errors import DegenerateInputError
from .entropy import (
    configuration_entropy,
    configuration_entropy_grad,
    configuration_entropy_grad_reference,
    sparsity_loss,
    sparsity_loss_grad,
)
from .regularizers.configuration import PenaltyResult, penalty_sum
from .scharr import (
    scharr_gradient,
    scharr_gradient_adjoint,
    scharr_gradient_adjoint_loop,
    scharr_gradient_loop,
)

from ._version import __version__

__all__ = [
    "DegenerateInputError",
    "PenaltyResult",
    "configuration_entropy",
    "configuration_entropy_grad",
    "configuration_entropy_grad_reference",
    "penalty_sum",
    "scharr_gradient",
    "scharr_gradient_adjoint",
    "scharr_gradient_adjoint_loop",
    "scharr_gradient_loop",
    "sparsity_loss",
    "sparsity_loss_grad",
]
