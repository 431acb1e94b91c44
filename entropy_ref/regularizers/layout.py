"""Where the Scharr operator runs, per weight matrix: the ``matrix`` or the ``receptive`` layout.

* ``matrix`` (the paper's setting, the default): ``W_l`` of shape ``(fan_out, fan_in)`` is one
  image; neighbours are adjacent hidden units (rows) and adjacent inputs (columns).
* ``receptive`` (first layer only): ``W_1`` of shape ``(units, 784)`` is viewed
  as the stack ``(units, 28, 28)`` of the units' receptive fields (pixel ``(r, c)`` is input
  ``28 r + c``, the row-major flattening of :func:`entropy_ref.data.to_features`), and the operator
  runs over ``axes=(1, 2)`` (paper appendix eq. 7, ``docs/derivation.md`` eq. D12). Neighbours are
  adjacent *pixels* of one unit; units are never compared with each other, so the order of the
  hidden units no longer matters.

With ``axes=(1, 2)`` the stack still has **one** scalar ``H_C`` (eq. D12): the energy is summed
over every unit's field and ``S = sum |W_1|`` over the whole matrix,
``H_C = 1/2 log((1/2) sum_u (||G_x * F_u||^2 + ||G_y * F_u||^2)) - log(sum_u sum |F_u|)``
with ``F_u`` unit ``u``'s 28 x 28 field (``docs/ablation.md`` eq. A8). It is *not* the sum of
the 300 per-unit ``H_C``.

Only the regularizers built on the Scharr operator depend on the layout (:data:`SPATIAL`); for the
others (l1, hoyer, loghoyer: functions of the multiset of entries) it would change nothing, so
asking for it is an error rather than a silently identical run.
"""

from __future__ import annotations

import math

from ..entropy import configuration_entropy_grad, sparsity_loss_grad
from ..hoyer_rayleigh import rayleigh_grad
from .base import Regularizer
from .total import check_arguments, weighted_sum

__all__ = ["LAYOUTS", "SPATIAL", "normalize_layout", "receptive_view", "with_layout"]

#: the layouts a weight matrix can have
LAYOUTS = ("matrix", "receptive")

#: regularizer name -> value-and-gradient of one array ``f(W, axes, out=...)``: the ones whose
#: value depends on the arrangement of the entries
SPATIAL = {
    "sparsity": lambda W, axes, out: sparsity_loss_grad(W, axes, out=out),
    "entropy": lambda W, axes, out: configuration_entropy_grad(W, axes, out=out),
    "rayleigh": lambda W, axes, out: rayleigh_grad(W, axes, out=out),
}

_ONLY_FIRST = ("only the first weight matrix can use the receptive layout: its inputs are the "
               "28 x 28 pixels, while layer {n}'s inputs are hidden units, which have no spatial "
               "arrangement")


def normalize_layout(layout, n_layers: int, reg: str | None = None):
    """The canonical form of a layout setting: ``"matrix"``, or one name per weight matrix.

    Parameters
    ----------
    layout : str or sequence of str
        ``"matrix"`` (every matrix), ``"receptive"`` (shorthand: the first matrix receptive, the
        others matrix), a comma list like ``"receptive,matrix,matrix"``, or a sequence of names,
        one per weight matrix.
    n_layers : int
        Number of weight matrices.
    reg : str, optional
        The regularizer; a receptive layout with a regularizer outside :data:`SPATIAL` is an error.

    Returns
    -------
    "matrix" or tuple of str
        ``"matrix"`` when every matrix has the matrix layout (today's behaviour), else a tuple of
        ``n_layers`` names.

    Examples
    --------
    >>> normalize_layout("receptive", 3)
    ('receptive', 'matrix', 'matrix')
    >>> normalize_layout(["matrix", "matrix"], 2)
    'matrix'
    >>> normalize_layout("matrix,receptive", 2)
    Traceback (most recent call last):
    ...
    ValueError: layout: only the first weight matrix can use the receptive layout: its inputs are the 28 x 28 pixels, while layer 2's inputs are hidden units, which have no spatial arrangement
    """
    if isinstance(layout, str):
        names = [s.strip() for s in layout.split(",")]
        if names == ["receptive"]:
            names = ["receptive"] + ["matrix"] * (n_layers - 1)
        elif names == ["matrix"]:
            names = ["matrix"] * n_layers
    elif isinstance(layout, (list, tuple)):
        names = list(layout)
    else:
        raise ValueError(f"layout must be 'matrix', 'receptive' or one name per weight matrix, "
                         f"got {layout!r}")
    for name in names:
        if name not in LAYOUTS:
            raise ValueError(f"layout: unknown layout {name!r}; choose one of: "
                             f"{', '.join(LAYOUTS)}")
    if len(names) != n_layers:
        raise ValueError(f"layout has {len(names)} values but the network has {n_layers} weight "
                         f"matrices (give one name, or one per matrix)")
    for l, name in enumerate(names[1:], start=1):
        if name == "receptive":
            raise ValueError("layout: " + _ONLY_FIRST.format(n=l + 1))
    if all(name == "matrix" for name in names):
        return "matrix"
    if reg is not None and reg not in SPATIAL:
        raise ValueError(f"layout: the receptive layout changes only the regularizers built on "
                         f"the Scharr operator ({', '.join(SPATIAL)}); {reg} does not depend on "
                         f"where the weights sit, so use layout 'matrix'")
    return tuple(names)


def receptive_view(W):
    """``W`` of shape ``(units, s*s)`` viewed as ``(units, s, s)`` (a view, no copy), and its axes.

    Examples
    --------
    >>> import numpy as np
    >>> V, axes = receptive_view(np.zeros((3, 784)))
    >>> V.shape, axes
    ((3, 28, 28), (1, 2))
    >>> receptive_view(np.zeros((3, 300)))
    Traceback (most recent call last):
    ...
    ValueError: receptive layout: W has 300 inputs, not the pixels of a square image (need s * s with s >= 2)
    """
    if W.ndim != 2:
        raise ValueError(f"receptive layout: W must be a (units, pixels) matrix, got shape "
                         f"{W.shape}")
    side = math.isqrt(W.shape[1])
    if side < 2 or side * side != W.shape[1]:
        raise ValueError(f"receptive layout: W has {W.shape[1]} inputs, not the pixels of a "
                         f"square image (need s * s with s >= 2)")
    return W.reshape(W.shape[0], side, side), (1, 2)


def with_layout(reg: Regularizer, layout) -> Regularizer:
    """``reg`` evaluated with a layout per weight matrix; ``reg`` itself for all-``matrix``.

    Parameters
    ----------
    reg : Regularizer
        One of :data:`SPATIAL` when ``layout`` has a receptive entry.
    layout : "matrix" or sequence of str
        As returned by :func:`normalize_layout`.

    Returns
    -------
    Regularizer
        Same name; ``penalty_and_grads(weights, lam, out)`` with the contract of
        :class:`~.base.Regularizer`: values ``f(W_l)`` under layer ``l``'s layout, gradients of
        ``W_l``'s own shape (written into ``out[l]`` when given).

    Examples
    --------
    >>> import numpy as np
    >>> from entropy_ref.regularizers import get
    >>> from entropy_ref import configuration_entropy
    >>> rng = np.random.default_rng(0); Ws = [rng.standard_normal((5, 784)), rng.standard_normal((3, 5))]
    >>> r = with_layout(get("entropy"), ("receptive", "matrix"))
    >>> total, values, grads = r(Ws)
    >>> bool(np.isclose(values[0], configuration_entropy(Ws[0].reshape(5, 28, 28), axes=(1, 2)),
    ...                 rtol=1e-12)), grads[0].shape
    (True, (5, 784))
    >>> with_layout(get("sparsity"), "matrix") is get("sparsity")
    True
    """
    if layout == "matrix":
        return reg
    layout = tuple(layout)
    if reg.name not in SPATIAL:
        normalize_layout(layout, len(layout), reg.name)            # raises the explanation
    f = SPATIAL[reg.name]

    def value_and_grad(W_and_layout, buf):
        W, name = W_and_layout
        if name == "matrix":
            return f(W, None, buf)
        V, axes = receptive_view(W)                      # (units, 28, 28), axes (1, 2): eq. D12
        if buf is None or not buf.flags.c_contiguous:    # (reshaping it would copy, not view)
            value, g = f(V, axes, None)
            if buf is None:
                return value, g.reshape(W.shape)
            buf[...] = g.reshape(W.shape)
            return value, buf
        return f(V, axes, receptive_view(buf)[0])[0], buf

    def penalty_and_grads(weights, lam=1.0, out=None):
        weights, lams, outs = check_arguments(weights, lam, out, reg.name)
        if len(weights) != len(layout):
            raise ValueError(f"{reg.name}: layout {layout} is for {len(layout)} weight matrices, "
                             f"got {len(weights)}")
        return weighted_sum(value_and_grad, list(zip(weights, layout)), lams, outs, reg.name)

    return Regularizer(reg.name, f"{reg.description}; layout {', '.join(layout)}",
                       penalty_and_grads, reg.trivial)
