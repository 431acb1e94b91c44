"""Every convention of the project, in one place (mirrored by ``docs/conventions.md``).

Kernels
-------
The paper's normalised Scharr operators (section 3) are

    G_x = 1/32 [[ 3, 0,  -3],        G_y = G_x^T = 1/32 [[ 3,  10,  3],
                [10, 0, -10],                            [ 0,   0,  0],
                [ 3, 0,  -3]]                            [-3, -10, -3]]

and they are separable: ``G_x = outer(SMOOTHING, DERIVATIVE)`` with the central difference
``DERIVATIVE = [1, 0, -1] / 2`` and the smoothing ``SMOOTHING = [3, 10, 3] / 16``
(``docs/derivation.md``, eq. D2).

Operation
---------
``G * W`` is a true 2-D *convolution* (the kernel is flipped), zero padded, with an output of the
same shape as ``W`` ("same" mode, kernel centred). Axis 1 (columns) is the paper's x / "row
direction": ``g_x[i, j] ~ (W[i, j+1] - W[i, j-1]) / 2`` in the interior. Cross-correlation with the same
kernel only flips the sign of every component, which leaves ``H_C`` unchanged (eq. D3).

Sign and names
--------------
``configuration_entropy`` is ``H_C`` = the right-hand side of eq. 3; ``sparsity_loss`` is the paper's
``l_C = -H_C``. Reductions are sums over all entries; the energy carries a ``1/k`` factor for ``k``
chosen axes (``k = 2`` reproduces the paper's 1/2). Logs are natural (nats) unless ``unit="bits"``.
"""

from __future__ import annotations

import math

import numpy as np

#: 1-D central-difference kernel, in convolution order (``(d * w)[j] = (w[j+1] - w[j-1]) / 2``)
DERIVATIVE = np.array([1.0, 0.0, -1.0]) / 2.0
#: 1-D Scharr smoothing kernel (symmetric), sums to 1
SMOOTHING = np.array([3.0, 10.0, 3.0]) / 16.0
#: the paper's normalised Scharr kernel along axis 1 (x, "row direction")
G_X = np.outer(SMOOTHING, DERIVATIVE)
#: the paper's normalised Scharr kernel along axis 0 (y, "column direction")
G_Y = G_X.T.copy()
#: overall normalisation of the 2-D kernels: ``G_X == KERNEL_INTEGER_X / 32``
KERNEL_NORMALISATION = 32.0
KERNEL_INTEGER_X = np.array([[3.0, 0.0, -3.0], [10.0, 0.0, -10.0], [3.0, 0.0, -3.0]])

#: zero padding, same-size output: the only boundary handling implemented
PADDING = "zeros"
#: ``G * W`` is a convolution (kernel flipped), not a cross-correlation
OPERATION = "convolution"

#: units of ``H_C``: the divisor applied to the natural-log value
UNITS = {"nats": 1.0, "bits": math.log(2.0)}

for _array in (DERIVATIVE, SMOOTHING, G_X, G_Y, KERNEL_INTEGER_X):
    _array.setflags(write=False)
del _array


def unit_divisor(unit: str) -> float:
    """Return the number a natural-log quantity is divided by to express it in ``unit``.

    Parameters
    ----------
    unit : {"nats", "bits"}

    Returns
    -------
    float
        ``1`` for nats, ``ln 2`` for bits (paper section 5.1).

    Examples
    --------
    >>> unit_divisor("nats"), round(unit_divisor("bits"), 6)
    (1.0, 0.693147)
    """
    try:
        return UNITS[unit]
    except (KeyError, TypeError):
        raise ValueError(f"unit must be one of {sorted(UNITS)}, got {unit!r}") from None
