"""Checks of :mod:`entropy_ref.optim`'s inputs: every error names the field or the buffer, and
an in-place step is refused *before* anything is written (a half-applied step would corrupt the
optimizer state without a trace)."""

from __future__ import annotations

import numbers

import numpy as np

from .buffers import check_out, refuse_overlaps

__all__ = ["check_real_fields", "step_count", "check_shapes", "check_inplace", "check_tree",
           "square_checked"]


def check_real_fields(hp) -> None:
    """Every field of the dataclass ``hp`` must be a real number (not a bool, not a string)."""
    for name, value in vars(hp).items():
        if not isinstance(value, numbers.Real) or isinstance(value, bool):
            raise TypeError(f"Adam: {name} must be a real number, got {value!r}")


def step_count(state) -> int:
    """``state["t"]``, the number of steps taken so far: an integer >= 0, or a clear error."""
    if not isinstance(state, dict) or not {"t", "m", "v"} <= set(state):
        raise TypeError(f"Adam: state must be the dict {{'t', 'm', 'v'}} made by adam_init; got "
                        f"{type(state).__name__}"
                        + (f" with keys {sorted(state)}" if isinstance(state, dict) else ""))
    t = state["t"]
    if isinstance(t, np.ndarray) and t.ndim == 0:
        t = t[()]
    if not isinstance(t, numbers.Integral) or isinstance(t, bool) or t < 0:
        raise ValueError(f"Adam: state['t'] (the step count) must be an integer >= 0, got {t!r}")
    return int(t)


def check_shapes(w, dw, state) -> None:
    """``w``, ``dw``, ``m``, ``v`` must be arrays of one shape."""
    for name, a in (("w", w), ("dw", dw), ("m", state["m"]), ("v", state["v"])):
        if not isinstance(a, np.ndarray):
            raise TypeError(f"Adam: {name} must be a NumPy array, got {type(a).__name__}")
    shapes = [np.shape(a) for a in (w, dw, state["m"], state["v"])]
    if any(sh != shapes[0] for sh in shapes):
        raise ValueError("Adam: shapes differ: w {}, dw {}, m {}, v {}".format(*shapes))


def check_inplace(w, dw, state, scratch) -> None:
    """Everything :func:`entropy_ref.optim.adam_step_inplace` writes is a writeable array that
    overlaps nothing else it reads or writes; ``scratch`` (optional) is like ``w``."""
    step_count(state)
    check_shapes(w, dw, state)
    who = "adam_step_inplace"
    for name, a in (("w", w), ("m", state["m"]), ("v", state["v"])):
        check_out(a, w.shape, None, who=who, name=name)
    check_out(scratch, w.shape, w.dtype, who=who, name="scratch")
    refuse_overlaps(who, [("w", w), ("m", state["m"]), ("v", state["v"]), ("scratch", scratch)],
                    [("dw", dw)])


def check_tree(params, grads, state, scratch=None) -> None:
    """``params``, ``grads``, ``state["m"]``/``["v"]`` (and ``scratch``): dicts with the same keys,
    each a list of the same length (checked before any array is stepped)."""
    step_count(state)
    trees = [("params", params), ("grads", grads), ("state['m']", state["m"]),
             ("state['v']", state["v"])] + ([("scratch", scratch)] if scratch is not None else [])
    for name, tree in trees:
        if not isinstance(tree, dict):
            raise TypeError(f"Adam: {name} must be a dict of lists of arrays, like "
                            f"{{'W': [...], 'b': [...]}}; got {type(tree).__name__}")
        if set(tree) != set(params):
            raise ValueError(f"Adam: {name} has keys {sorted(tree)}, params has {sorted(params)}")
        for key in params:
            if len(tree[key]) != len(params[key]):
                raise ValueError(f"Adam: {name}[{key!r}] has {len(tree[key])} arrays, "
                                 f"params has {len(params[key])}")


def square_checked(dw, out=None):
    """``dw * dw`` (into ``out``), or a ``ValueError`` when it overflows ``dw``'s dtype: the second
    moment ``v`` would become inf and the step silently 0 (what PyTorch does), a diverged run."""
    try:
        with np.errstate(over="raise"):
            return np.multiply(dw, dw, out=out)
    except FloatingPointError:
        big = max(float(dw.max()), -float(dw.min()))
        raise ValueError(f"Adam: the gradient has entries up to {big:.3g}, whose square (the "
                         f"second moment v) overflows {dw.dtype}: the training has diverged; "
                         f"try a smaller learning rate or lam") from None
