"""Weight regularizers by name: ``get("sparsity")(weights, lam) -> (total, values, grads)``.

=========  ==========================================================  =====================
name       penalty added to the loss                                   module
=========  ==========================================================  =====================
none       0 (dense baseline)                                          :mod:`.none`
sparsity   ``lam * sum_l l_C(W_l)``, ``l_C = -H_C`` (paper eq. 3, s.5)  :mod:`.configuration`
entropy    ``lam * sum_l H_C(W_l)``                                    :mod:`.configuration`
l1         ``lam * sum_l sum |W_l|``                                   :mod:`.l1`
hoyer      ``lam * sum_l (sum |W_l|)^2 / sum W_l^2`` (DeepHoyer)         :mod:`.hoyer`
loghoyer   ``lam * sum_l 1/2 log(|W_l|_1^2 / |W_l|_2^2)``, half of l_C   :mod:`.loghoyer`
rayleigh   ``lam * sum_l -1/2 log(E(W_l) / |W_l|_2^2)``, other half      :mod:`.rayleigh`
=========  ==========================================================  =====================

``sparsity = loghoyer + rayleigh`` exactly, in value and gradient (``docs/ablation.md`` eq. A1).
:func:`with_layout` runs the Scharr-based ones (:data:`SPATIAL`) on the first layer's 28 x 28
receptive fields instead of the whole matrix (:mod:`.layout`).

Every regularizer keeps one contract, ``(weights, lam, out) -> (total, values, grads)``, described
once in :mod:`.base`; :func:`~.total.layer_sum` checks its arguments and sums the layers.
Biases are never regularized. Adding a regularizer is one small module (its penalty of one matrix,
summed by :func:`~.total.layer_sum`, in a :class:`~.base.Regularizer`) plus one line in
``REGISTRY`` below.
"""

from __future__ import annotations

from . import configuration, hoyer, l1, loghoyer, none, rayleigh
from ..validation.weights import broadcast_lam
from .base import Regularizer
from .total import layer_sum
from .layout import LAYOUTS, SPATIAL, normalize_layout, with_layout

__all__ = ["Regularizer", "REGISTRY", "LAYOUTS", "SPATIAL", "broadcast_lam", "get", "layer_sum",
           "names", "normalize_layout", "with_layout"]

#: name -> Regularizer
REGISTRY = {
    "none": none.REGULARIZER,
    "sparsity": configuration.SPARSITY,
    "entropy": configuration.ENTROPY,
    "l1": l1.REGULARIZER,
    "hoyer": hoyer.REGULARIZER,
    "loghoyer": loghoyer.REGULARIZER,
    "rayleigh": rayleigh.REGULARIZER,
}


def names():
    """Registered regularizer names, in registry order.

    Examples
    --------
    >>> names()
    ('none', 'sparsity', 'entropy', 'l1', 'hoyer', 'loghoyer', 'rayleigh')
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
    ValueError: unknown regularizer 'l2'; choose one of: none, sparsity, entropy, l1, hoyer, loghoyer, rayleigh
    """
    try:
        return REGISTRY[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown regularizer {name!r}; choose one of: "
                         f"{', '.join(REGISTRY)}") from None
