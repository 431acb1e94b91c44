"""Weight regularizers by name: ``get("sparsity")(weights, lam) -> (total, values, grads)``.

=========  ==========================================================  =====================
name       penalty added to the loss                                   module
=========  ==========================================================  =====================
none       0 (dense baseline)                                          :mod:`.none`
sparsity   ``lam * sum_l l_C(W_l)``, ``l_C = -H_C`` (paper eq. 3, s.5)  :mod:`.configuration`
entropy    ``lam * sum_l H_C(W_l)``                                    :mod:`.configuration`
l1         ``lam * sum_l sum |W_l|``                                   :mod:`.l1`
hoyer      ``lam * sum_l (sum |W_l|)^2 / sum W_l^2`` (DeepHoyer)         :mod:`.hoyer`
=========  ==========================================================  =====================

Biases are never regularized. Adding a regularizer is one small module defining a
:class:`~.base.Regularizer` plus one line in ``REGISTRY`` below.
"""

from __future__ import annotations

from . import configuration, hoyer, l1, none
from .base import Regularizer, per_layer_lam

__all__ = ["Regularizer", "REGISTRY", "get", "names", "per_layer_lam"]

#: name -> Regularizer
REGISTRY = {
    "none": none.REGULARIZER,
    "sparsity": configuration.SPARSITY,
    "entropy": configuration.ENTROPY,
    "l1": l1.REGULARIZER,
    "hoyer": hoyer.REGULARIZER,
}


def names():
    """Registered regularizer names, in registry order.

    Examples
    --------
    >>> names()
    ('none', 'sparsity', 'entropy', 'l1', 'hoyer')
    """
    return tuple(REGISTRY)


def get(name):
    """The :class:`Regularizer` called ``name``; ``ValueError`` listing the choices otherwise.

    Examples
    --------
    >>> get("l1").name
    'l1'
    >>> get("l2")
    Traceback (most recent call last):
    ...
    ValueError: unknown regularizer 'l2'; choose one of: none, sparsity, entropy, l1, hoyer
    """
    try:
        return REGISTRY[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown regularizer {name!r}; choose one of: "
                         f"{', '.join(REGISTRY)}") from None
