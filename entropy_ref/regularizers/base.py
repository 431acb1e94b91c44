"""What a regularizer is: the :class:`Regularizer` record and the contract every one of them keeps.

A regularizer is a named function ``penalty_and_grads(weights, lam=1.0, out=None) -> (total,
values, grads)`` of a penalty ``f`` of one matrix, summed over the layers:

Parameters
    * ``weights``: a list of weight matrices ``W_l``, each a non-empty float array (biases are
      never regularized; a single array is refused, since its rows are not layers);
    * ``lam``: one finite number ``>= 0`` for every matrix, or one per matrix (default 1, the
      paper's setting);
    * ``out``: optional gradient buffers, one of each matrix's shape and dtype (any strides),
      overwritten and returned; none may share memory with a matrix or with another buffer.

Returns
    * ``total = sum_l lam_l * values[l]``, a float;
    * ``values[l] = f(W_l)``, unweighted floats;
    * ``grads[l] = lam_l * df/dW_l``, of ``W_l``'s shape and dtype (the buffer ``out[l]`` when
      given).

The arguments are checked once, by :func:`.total.layer_sum`, before any work; every error is
one line starting with the regularizer's name. A regularizer module holds only its ``f`` and the
line that sums it (:mod:`.l1` is the smallest example).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Regularizer"]


@dataclass(frozen=True)
class Regularizer:
    """A named penalty on the weight matrices.

    Attributes
    ----------
    name : str
        Registry key (``--reg`` on the command line).
    description : str
        One line for ``--help`` and the run's printed configuration.
    penalty_and_grads : callable
        ``(weights, lam=1.0, out=None) -> (total, values, grads)``, the contract above.
    trivial : bool
        ``True`` when the penalty is identically zero (lets the trainer skip adding gradients).
    """

    name: str
    description: str
    penalty_and_grads: Callable
    trivial: bool = False

    def __call__(self, weights, lam=1.0, out=None):
        return self.penalty_and_grads(weights, lam, out)
