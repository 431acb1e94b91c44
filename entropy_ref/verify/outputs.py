"""Turn whatever an implementation returned into checked :class:`Outputs`, or say why not.

The kit must never crash on a port's return value: this module is the one place where that value
is taken apart. Anything that is not ``(value, grad)`` or ``(value, grad, components)`` made of
real numbers raises :class:`BadOutput` (a ``ValueError``) with a one-line message, which the
caller reports as the ``bad_output`` diagnosis of the case. Shapes are *not* judged here: a
gradient or component of the wrong shape is a failing case with its own diagnosis
(``transposed``, ``memory_order``, ``shape_mismatch``), decided by :func:`.compare.evaluate`.

Accepted array types: anything ``np.asarray`` takes (NumPy, JAX arrays, nested lists, Python and
NumPy scalars) and PyTorch tensors, including ones that require grad or live on a GPU (they are
detached and copied to the host).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Outputs:
    """What an implementation returned for one case.

    Attributes
    ----------
    value : float
    grad : ndarray
    components : dict of int -> ndarray, or None
        Scharr component differentiating each axis (``{1: g_x, 0: g_y}`` for a matrix).
    grad_dtype : str or None
        The dtype of the gradient as returned (``"float32"``, ``"bfloat16"``; None when it had
        none, a list): a port must return it in the input's dtype.
    """

    value: float
    grad: np.ndarray
    components: dict | None = None
    grad_dtype: str | None = None


class BadOutput(ValueError):
    """What ``fn`` returned is not ``(value, grad[, components])`` of real numbers."""


def _describe(x) -> str:
    kind = type(x).__name__
    if isinstance(x, (tuple, list, dict)):
        return f"{kind} of length {len(x)}"
    return kind


def to_array(x, what: str) -> np.ndarray:
    """``x`` as a NumPy array of real numbers (bool, int or float dtype); else :class:`BadOutput`.

    Parameters
    ----------
    x : array_like or torch.Tensor
    what : str
        Names ``x`` in the message (``"the gradient"``).

    Returns
    -------
    ndarray

    Examples
    --------
    >>> to_array([[1, 2]], "the gradient").shape
    (1, 2)
    >>> to_array("1.0", "the value")
    Traceback (most recent call last):
    ...
    entropy_ref.verify.outputs.BadOutput: the value is a str, not an array of real numbers
    """
    if x is None or isinstance(x, (str, bytes, dict, set)):
        raise BadOutput(f"{what} is a {type(x).__name__}, not an array of real numbers")
    if hasattr(x, "detach") and callable(x.detach):      # torch.Tensor (may require grad)
        try:
            x = x.detach().cpu()
            if str(getattr(x, "dtype", "")) in ("torch.bfloat16", "torch.float16"):
                x = x.float()
            x = x.numpy()
        except Exception as exc:  # noqa: BLE001 - any failure of a foreign object is a bad output
            raise BadOutput(f"{what}: cannot convert the {type(x).__name__} to NumPy "
                            f"({type(exc).__name__}: {exc})") from None
    try:
        a = np.asarray(x)
    except Exception as exc:  # noqa: BLE001 - ragged lists, objects refusing conversion, ...
        raise BadOutput(f"{what} cannot be converted to a NumPy array ({type(exc).__name__}: "
                        f"{exc}); return plain arrays") from None
    if a.dtype.kind == "c":
        raise BadOutput(f"{what} is complex ({a.dtype}), not real numbers: H_C and its gradient "
                        "are real (return the real part only if the imaginary part is meant to be 0)")
    if a.dtype.kind not in "biuf":
        raise BadOutput(f"{what} must be real numbers; got a {_describe(x)} (NumPy dtype "
                        f"{a.dtype})")
    return a


def outputs_from_return(returned, case) -> Outputs:
    """Validate what ``fn`` returned: ``(value, grad)`` or ``(value, grad, components)``.

    Parameters
    ----------
    returned : object
        The return value of ``fn`` on ``case``.
    case : entropy_ref.golden.GoldenCase
        Only ``case.axes`` and ``case.shape`` are used (to word the messages).

    Returns
    -------
    Outputs
        ``components`` is ``{axis: array}`` or ``None``; components are a sequence in the order of
        ``case.axes`` (``(g_x, g_y)`` for a matrix) or a dict ``{axis: array}``; ``None`` as the
        third element means "no components".

    Raises
    ------
    BadOutput
        With a one-line description of what is wrong.

    Examples
    --------
    >>> from entropy_ref import golden
    >>> case = golden.load()["tiny_2x2_f64"]
    >>> outputs_from_return((1.5, np.zeros((2, 2))), case).value
    1.5
    >>> outputs_from_return((np.zeros((2, 2)), 1.5), case)
    Traceback (most recent call last):
    ...
    entropy_ref.verify.outputs.BadOutput: the value must be a scalar; got shape (2, 2) - (grad, value) returned in the wrong order?
    """
    if not isinstance(returned, (tuple, list)) or len(returned) not in (2, 3):
        raise BadOutput(f"fn must return (value, grad) or (value, grad, components); got "
                        f"{_describe(returned)}")
    value = to_array(returned[0], "the value")
    grad = to_array(returned[1], "the gradient")
    if value.size != 1:
        swapped = grad.size == 1 and value.shape == tuple(case.shape)
        raise BadOutput(f"the value must be a scalar; got shape {value.shape}"
                        + (" - (grad, value) returned in the wrong order?" if swapped else ""))
    comps = None
    if len(returned) == 3 and returned[2] is not None:
        comps = _components(returned[2], tuple(case.axes))
    with np.errstate(all="ignore"):
        v = float(np.asarray(value, dtype=np.float64).reshape(()))
    return Outputs(v, grad, comps, dtype_name(returned[1]))


def dtype_name(x) -> str | None:
    """The name of ``x``'s dtype as its library spells it without prefix (``"float32"``,
    ``"bfloat16"``), or None for an object without a dtype (a list, a Python float).

    Examples
    --------
    >>> dtype_name(np.zeros(2, np.float32)), dtype_name([1.0, 2.0])
    ('float32', None)
    """
    dtype = getattr(x, "dtype", None)
    if dtype is None:
        return None
    return str(dtype).rsplit(".", 1)[-1]


def _components(raw, axes) -> dict:
    """``{axis: array}`` from a sequence in the order of ``axes`` or a dict keyed by axis."""
    if isinstance(raw, dict):
        if not raw:
            raise BadOutput(f"components: an empty dict; give one array per axis of {axes} "
                            "({1: g_x, 0: g_y} for a matrix), or None for no components")
        out = {}
        for key, c in raw.items():
            try:
                axis = int(key)
            except (TypeError, ValueError):
                axis = None
            if axis is None or isinstance(key, (bool, float)) or axis not in axes:
                raise BadOutput(f"components: key {key!r} is not one of the case's axes {axes} "
                                "(a dict of components is keyed by axis: {1: g_x, 0: g_y})")
            out[axis] = to_array(c, f"component {axis}")
        return out
    if isinstance(raw, (str, bytes)) or not isinstance(raw, (tuple, list)) and not (
            hasattr(raw, "__len__") and hasattr(raw, "__getitem__")):
        raise BadOutput(f"components must be a sequence (one array per axis of {axes}, in that "
                        f"order) or a dict {{axis: array}}; got {_describe(raw)}")
    try:
        items = list(raw)
    except Exception as exc:  # noqa: BLE001
        raise BadOutput(f"components cannot be iterated ({type(exc).__name__}: {exc})") from None
    if len(items) != len(axes):
        raise BadOutput(f"expected {len(axes)} components (one per axis of {axes}, in that "
                        f"order), got {len(items)}")
    return {a: to_array(c, f"component {n} (axis {a})") for n, (a, c) in enumerate(zip(axes, items))}
