"""A second input per golden case: the same shape, dtype and axes, other contents.

A port that caches its result by shape, or that recognises the golden inputs, passes every golden
case. So ``check(fn)`` also calls ``fn`` on a second input made from each case (its entries
permuted, each with a random sign; seeded by the case's name, so every run uses the same) and
judges it against the reference computed here, at the case's tolerance (under the float32
profile: the float32 rounding bound of that input). The golden run itself thus sees two contents
of every shape, with or without the property checks.
"""

from __future__ import annotations

import dataclasses
import math
import zlib

import numpy as np

from ..entropy import configuration_entropy_grad
from ..errors import DegenerateInputError
from ..scharr import scharr_gradient
from .profiles import float32_tolerance
from .results import Diagnosis

#: what the report calls the second input
WHAT = ("a second input of the same shape, dtype and axes (the case's entries permuted, each with "
        "a random sign; seeded)")


def second_input(case):
    """The golden ``case`` with another input of its shape and dtype, and the expected outputs
    and tolerance at that input (cached per case object).

    Examples
    --------
    >>> from entropy_ref import golden
    >>> case = golden.load()["tiny_2x2_f64"]
    >>> other = second_input(case)
    >>> other.W.shape == case.W.shape and sorted(np.abs(other.W).ravel()) == sorted(case.W.ravel())
    True
    """
    hit = _CACHE.get(id(case))
    if hit is not None and hit[0] is case:
        return hit[1]
    made = _second(case)
    if len(_CACHE) > 256:
        _CACHE.clear()
    _CACHE[id(case)] = (case, made)            # holding `case` keeps its id from being reused
    return made


_CACHE: dict = {}


def _second(case):
    rng = np.random.default_rng(zlib.crc32(case.name.encode()))
    flat = case.W.ravel()
    for _ in range(100):
        W = (flat[rng.permutation(flat.size)] * rng.choice([-1.0, 1.0], flat.size)).reshape(
            case.shape).astype(case.W.dtype) + case.W.dtype.type(0.0)    # + 0: no -0.0 entries
        if np.array_equal(W, case.W):
            continue
        try:
            H, g = configuration_entropy_grad(W.astype(np.float64), case.axes)
        except DegenerateInputError:
            continue
        break
    else:   # pragma: no cover - every golden case has two distinct entries
        raise ValueError(f"{case.name}: no second input differs from the case")
    W.setflags(write=False)
    g.setflags(write=False)
    comps = None
    if case.components is not None:
        comps = dict(zip(case.axes, scharr_gradient(W.astype(np.float64), case.axes)))
        for c in comps.values():
            c.setflags(write=False)
    tol = (float32_tolerance(W, case.axes) if case.tolerance.name == "float32-profile"
           else case.tolerance)
    return dataclasses.replace(case, W=W, value_nats=float(H), value_bits=float(H) / math.log(2.0),
                               grad=g, components=comps, tolerance=tol)


def same_outputs(a, b) -> bool:
    """Are two :class:`~.outputs.Outputs` bit for bit the same value and gradient?"""
    return (a.value == b.value or (math.isnan(a.value) and math.isnan(b.value))) and \
        a.grad.shape == b.grad.shape and np.array_equal(a.grad, b.grad, equal_nan=True)


def cached_by_shape() -> Diagnosis:
    return Diagnosis("cached_by_shape", (
        f"fn returned exactly the same value and gradient for {WHAT}: its result depends on the "
        "shape of W, not on its contents - a cache keyed by shape (a memo dict, functools.cache "
        "on W.shape, a jit-compiled function that captured W as a constant) or W ignored. Key a "
        "cache by the contents, or do not cache"))


def second_input_failed(result) -> Diagnosis:
    """The case passed, its second input did not (``result``: the second input's CaseResult)."""
    if result.status == "ERROR" or not result.diagnoses:
        found = "; ".join(d.message for d in result.diagnoses) or result.status
    else:
        found = "; ".join(f"[{d.name}] {d.message}" for d in result.diagnoses)
    errors = ""
    if result.value_abs is not None and result.grad_rel is not None:
        errors = (f" (value off by {result.value_abs:.2e} nats, gradient by {result.grad_rel:.2e} "
                  "max-norm relative)")
    return Diagnosis("second_input", (
        f"the golden input passes, but {WHAT} does not{errors}: there, {found}. A port that is "
        "right only on the golden inputs (a lookup, a special case) or whose mistake this input "
        "happens not to show"))
