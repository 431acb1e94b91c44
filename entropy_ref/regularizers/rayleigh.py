"""``rayleigh``: the second half of ``l_C``, ``-1/2 log(E(W) / ||W||_2^2)`` per layer.

``E`` is the Scharr energy inside eq. 3's log (eq. D4), so ``E / ||W||_2^2`` is the Rayleigh
quotient of the Scharr operator ``K^T K / k``; ``l_C = loghoyer + rayleigh`` exactly
(``docs/ablation.md`` eq. A1). Minimising this half rewards ``W`` that the central difference sees
strongly (isolated spikes, stripes whose sign changes every two entries; not checkerboards, which
it barely sees); it is the only half of ``l_C`` that depends on the arrangement of the entries.
The math and its hand-derived gradient ``-(K^T K W)/(k E) + W/Q`` (eq. A4) are
:func:`entropy_ref.hoyer_rayleigh.rayleigh_grad`.
"""

from __future__ import annotations

from ..hoyer_rayleigh import rayleigh_grad
from .base import Regularizer
from .total import layer_sum

__all__ = ["REGULARIZER", "penalty_and_grads"]


def penalty_and_grads(weights, lam=1.0, out=None):
    """``sum_l lam_l * rayleigh(W_l)`` and its gradients: the contract of :mod:`.base`.

    Examples
    --------
    >>> import numpy as np
    >>> from entropy_ref.regularizers import loghoyer, configuration
    >>> W = np.random.default_rng(0).standard_normal((8, 9))
    >>> r = penalty_and_grads([W])[0] + loghoyer.penalty_and_grads([W])[0]
    >>> bool(np.isclose(r, configuration.sparsity_penalty_and_grads([W])[0], rtol=1e-12))
    True
    """
    return layer_sum(lambda W, buf: rayleigh_grad(W, out=buf), weights, lam, out, who="rayleigh")


REGULARIZER = Regularizer(
    "rayleigh", "lam * sum_l -1/2 log(E(W_l) / |W_l|_2^2) (second half of l_C)",
    penalty_and_grads)
