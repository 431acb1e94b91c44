"""Property checks on the port itself, at seeded random shapes and scales (after the golden cases).

The golden cases fix a few inputs; a port can still break on a row vector, an odd size, a batch,
or at a scale where a naive sum of squares overflows. :func:`check_properties` draws shapes
(``1 x n``, ``n x 1``, odd sizes, a random matrix whose entries span 12 decades of magnitude as
trained weights do, and, when ``fn`` takes ``axes``, a batch
``(B, R, C)`` with ``axes=(1, 2)``) and power-of-two scales ``c`` (``2**-66 .. 2**66`` ~
``1e-20 .. 1e20`` in float64, ``2**-50 .. 2**50`` ~ ``1e-15 .. 1e15`` under the float32 profile;
powers of two so that ``c W`` is exact) and checks, each failure with its own diagnosis:

``prop_value`` / ``prop_gradient``
    ``fn``'s value / gradient at ``W`` and at ``c W`` against the reference's;
``prop_scale_invariance``
    ``H(c W) = H(W)`` (``H_C`` is 0-homogeneous);
``prop_euler``
    ``<W, grad H(W)> = 0`` (Euler's identity for a 0-homogeneous function, eq. D13);
``prop_homogeneity``
    ``grad H(c W) = grad H(W) / c``;
``prop_finite_differences``
    ``fn``'s gradient against central differences of ``fn``'s *own* value along ``W * r``
    (:func:`entropy_ref.gradcheck.directional_check`; the direction keeps every sign);
``prop_non_finite``, ``prop_bad_output``, ``prop_errored``
    NaN/inf (an overflow), an unusable return, an exception.

Tolerances: the profile's (float64: the golden ``1e-10``; float32: the rounding bound
:func:`.profiles.float32_tolerance` of each input), summed over the two sides of a relation.
"""

from __future__ import annotations

import functools
import math
import types

import numpy as np

from .. import golden
from ..entropy import configuration_entropy_grad
from ..gradcheck import directional_check, rel_error
from .arguments import validate_loss_unit_profile, validate_port_arguments
from .calling import Caller, RunEnded
from .endings import ended_result, property_call, timeout_message
from .outputs import outputs_from_return
from .profiles import U32, float32_tolerance
from .quiet import quiet_arithmetic
from .results import ERROR, FAIL, PASS, SKIP, Diagnosis, PropertyResult
from .timeouts import validate_timeout

#: log2 of the largest scale tried, per profile: 2**66 ~ 7e19, 2**50 ~ 1e15
SCALE_EXP = {"float64": 66, "float32": 50}
#: relative finite-difference step per profile (truncation ~ eps**2, rounding ~ atol / eps)
FD_EPS = {"float64": 1e-4, "float32": 1e-2}


def draw_inputs(seed: int, profile: str, with_axes: bool) -> list:
    """The seeded ``(W, axes, c)`` triples: shapes, values (float64 or float32) and scales.

    Examples
    --------
    >>> [W.shape for W, axes, c in draw_inputs(0, "float64", True)][:2]
    [(1, 11), (9, 1)]
    """
    rng = np.random.default_rng(seed)
    odd = (3, 5, 7, 9, 11)
    shapes = [((1, int(rng.integers(2, 13))), (1, 0)), ((int(rng.integers(2, 13)), 1), (1, 0)),
              ((int(rng.choice(odd)), int(rng.choice(odd))), (1, 0)),
              ((int(rng.integers(2, 17)), int(rng.integers(2, 17))), (1, 0))]
    if with_axes:
        shapes.append(((int(rng.integers(2, 5)), int(rng.integers(2, 9)), int(rng.integers(2, 9))),
                       (1, 2)))
    top = SCALE_EXP[profile]
    exps = [top, -top] + [int(rng.integers(-top, top + 1)) for _ in shapes[2:]]
    exps = [exps[i] for i in rng.permutation(len(exps))]
    dtype = np.float32 if profile == "float32" else np.float64
    out = []
    for n, ((shape, axes), e) in enumerate(zip(shapes, exps)):
        W = rng.standard_normal(shape)
        W[np.abs(W) < 0.05] = 0.05      # keeps every entry away from the kink of |w| at 0
        if n == 3:   # the random matrix spans 12 decades, like trained weights (own stream)
            W *= 10.0 ** np.random.default_rng([seed, 3]).uniform(-12.0, 0.0, shape)
        out.append((W.astype(dtype), axes, math.ldexp(1.0, e)))
    return out


def _tol(W, axes, profile):
    if profile == "float32":
        return float32_tolerance(W, axes)
    return golden.TOLERANCES["float64"]


def _scale_text(c: float) -> str:
    return f"2^{int(math.log2(c))} ~ {c:.0e}" if c != 1.0 else "1"


class _Port:
    """Calls ``fn`` on one input and returns ``(value, grad)`` as ``H_C`` in nats, or a failure."""

    def __init__(self, caller, loss, unit):
        self.caller = caller
        self.factor = (1.0 if loss == "H_C" else -1.0) * (1.0 if unit == "nats" else math.log(2.0))

    def __call__(self, W, axes, scale=1.0):
        call = self.caller(np.array(W), axes, property_call(W, axes, scale))
        if call.status is not None:
            name = "prop_errored" if call.status == ERROR else "skipped"
            return None, call.status, Diagnosis(name, call.reason)
        if call.mutated:
            return None, FAIL, Diagnosis("prop_input_mutated", call.mutated)
        try:
            out = outputs_from_return(call.returned, types.SimpleNamespace(shape=W.shape, axes=axes))
        except ValueError as exc:
            return None, FAIL, Diagnosis("prop_bad_output", str(exc))
        grad = np.asarray(out.grad, dtype=np.float64)
        if grad.shape != W.shape:
            return None, FAIL, Diagnosis("prop_bad_output", (
                f"the gradient has shape {grad.shape} for an input of shape {W.shape}"
                + (": a 1 x n / n x 1 input squeezed or transposed?" if 1 in W.shape else "")))
        value = self.factor * float(out.value)
        grad = self.factor * grad
        if not (math.isfinite(value) and np.all(np.isfinite(grad))):
            return None, FAIL, Diagnosis("prop_non_finite", (
                f"NaN or inf at max |W| = {float(np.max(np.abs(W))):.1e} ({W.dtype}): an overflow "
                "or underflow - sum(W**2) exceeds the float32 range near |W| ~ 1e19 and "
                "(sum|W|)**2 near sum|W| ~ 1e19; rescale W by a power of two before squaring "
                "(H_C is scale invariant) or compute in float64"))
        return (value, grad), PASS, None


def _result(results, name, W, axes, c, measured, tol, diagnosis) -> bool:
    """Record one property (``measured <= tol`` holds); True when it held."""
    ok = measured <= tol
    results.append(PropertyResult(name, W.shape, axes, str(W.dtype), c, measured, tol,
                                  PASS if ok else FAIL, [] if ok else [diagnosis]))
    return ok


def _draw_checks(port, W, axes, c, profile, seed, results):
    """Every property at one drawn input: value, gradient and Euler identity at ``W`` and at
    ``c W``, then scale invariance and homogeneity between the two, then finite differences."""
    label = f"{'x'.join(map(str, W.shape))} {W.dtype} axes={axes}"
    cW = (W * c).astype(W.dtype)          # exact: c is a power of two inside the range
    at_W, value_ok = _at_scale(port, W, axes, 1.0, profile, label, results)
    at_cW, _ = _at_scale(port, cW, axes, c, profile, label, results, only_here=value_ok)
    if at_W is None or at_cW is None:
        return
    tol_w, tol_c = _tol(W, axes, profile), _tol(cW, axes, profile)
    where = f"{label}, c = {_scale_text(c)}"
    _scale_invariance(results, W, axes, c, at_W[0], at_cW[0], tol_w, tol_c, where)
    _homogeneity(results, W, axes, c, at_W[1], at_cW[1], tol_w, tol_c, where)
    _finite_differences(results, port, W, axes, at_W[1], profile, seed, tol_w, label)


def _at_scale(port, X, axes, s, profile, label, results, only_here=False):
    """Run ``fn`` at ``X = s W``; check its value, gradient and the Euler identity there.

    Returns ``fn``'s ``(value, grad)`` (``None`` when it failed to run: recorded as ``"runs"``)
    and whether the value held. ``only_here``: the value held at scale 1 (said in the message).
    """
    where = f"{label}, scale {_scale_text(s)}"
    got, status, diag = port(X, axes, s)
    if got is None:
        results.append(PropertyResult("runs", X.shape, axes, str(X.dtype), s, status=status,
                                      diagnoses=[] if status == SKIP else [Diagnosis(
                                          diag.name, f"{where}: {diag.message}")]))
        return None, False
    (value, grad), tol = got, _tol(X, axes, profile)
    ref_v, ref_g = configuration_entropy_grad(X.astype(np.float64), axes)
    value_ok = _result(results, "value", X, axes, s, abs(value - ref_v), tol.value_atol, Diagnosis(
        "prop_value", f"{where}: value off the reference by {value - ref_v:+.3e} nats "
        f"(tolerance {tol.value_atol:.1e})" + (" - only at this scale (right at scale 1): "
        "precision lost to under/overflow of sum(W**2) or sum|W|" if only_here else "")))
    err = rel_error(grad, ref_g)
    _result(results, "gradient", X, axes, s, err, tol.array_rtol, Diagnosis(
        "prop_gradient", f"{where}: gradient off the reference, max-norm relative error "
        f"{err:.2e} (tolerance {tol.array_rtol:.1e})"))
    _euler(results, X, axes, s, grad, tol, where)
    return got, value_ok


def _euler(results, X, axes, s, grad, tol, where):
    """``<W, grad H(W)> = 0``, to the gradient's tolerance times ``sum|W| max|grad|``."""
    euler = abs(float(np.vdot(X.astype(np.float64), grad)))
    bound = tol.array_rtol * float(np.sum(np.abs(X), dtype=np.float64)) * float(
        np.max(np.abs(grad)))
    _result(results, "euler", X, axes, s, euler, bound, Diagnosis(
        "prop_euler", f"{where}: <W, grad H> = {euler:.2e}, not 0 (bound {bound:.1e}): H_C is "
        "scale invariant, so its two gradient terms cancel against W exactly (eq. D13); one "
        "term is scaled or missing"))


def _scale_invariance(results, W, axes, c, v1, v2, tol_w, tol_c, where):
    """``H(c W) = H(W)``, to the sum of the two tolerances."""
    _result(results, "scale_invariance", W, axes, c, abs(v2 - v1),
            tol_w.value_atol + tol_c.value_atol, Diagnosis(
                "prop_scale_invariance", f"{where}: H(cW) - H(W) = {v2 - v1:+.3e} nats, but H_C is "
                "scale invariant: an additive eps inside a log (log(E + eps)), a clamp, or "
                "precision lost at one of the two scales"))


def _homogeneity(results, W, axes, c, g1, g2, tol_w, tol_c, where):
    """``c grad H(c W) = grad H(W)``, to the sum of the two tolerances."""
    err = rel_error(c * g2, g1)
    _result(results, "homogeneity", W, axes, c, err, tol_w.array_rtol + tol_c.array_rtol,
            Diagnosis("prop_homogeneity", f"{where}: c * grad H(cW) differs from grad H(W) by "
                      f"{err:.2e} (max-norm relative): the gradient of a scale-invariant "
                      "function scales like 1/c; an eps added to a denominator or a log breaks it"))


def _port_value(port, dtype, axes, y):
    """``fn``'s value at ``y`` (cast to the drawn dtype), NaN when it fails."""
    got, _, _ = port(y.astype(dtype), axes)
    return got[0] if got is not None else math.nan


def _reference_value(axes, y):
    return configuration_entropy_grad(y, axes)[0]


def _finite_differences(results, port, W, axes, grad, profile, seed, tol_w, label):
    """``fn``'s gradient against central differences of ``fn``'s own value along ``W * r``.

    The bound: twice the reference's own truncation error along the same direction, plus the
    value's error and the input cast divided by the step, plus the gradient's tolerance.
    """
    rng = np.random.default_rng([seed, W.size])
    x = W.astype(np.float64)
    direction = x * rng.standard_normal(W.shape)
    eps = FD_EPS[profile]
    err = directional_check(functools.partial(_port_value, port, W.dtype, axes), grad, x,
                            eps=eps, directions=[direction])
    ref_g = configuration_entropy_grad(x, axes)[1]
    trunc = directional_check(functools.partial(_reference_value, axes), ref_g, x, eps=eps,
                              directions=[direction])
    h = eps * max(1.0, float(np.linalg.norm(x)))
    d = abs(float(np.vdot(ref_g, direction))) / float(np.linalg.norm(direction))
    u = U32 if profile == "float32" else 2.0 ** -53
    noise = tol_w.value_atol + 2 * u * float(np.sum(np.abs(ref_g * x)))   # value error + input cast
    bound = 2.0 * trunc + noise / (h * d) + tol_w.array_rtol if d > 0 else math.inf
    _result(results, "finite_differences", W, axes, 1.0, err if math.isfinite(err) else math.inf,
            bound, Diagnosis(
                "prop_finite_differences", f"{label}: the gradient disagrees with central "
                f"differences of fn's own value along W*r (relative error {err:.2e}, bound "
                f"{bound:.1e}): value and gradient do not belong together - a backward pass that "
                "does not match the forward one"))


@quiet_arithmetic
def check_properties(fn, loss: str = "H_C", unit: str = "nats", profile: str = "float64",
                     seed: int = 0, with_axes: bool = True,
                     skip_on=NotImplementedError, timeout=None) -> list:
    """Run every property at the seeded inputs of :func:`draw_inputs`; one result per check.

    Parameters
    ----------
    fn : callable
        As for :func:`entropy_ref.verify.check`.
    loss, unit, profile : str
    seed : int
    with_axes : bool
        Whether ``fn`` takes ``axes`` (then the batch ``(B, R, C)`` with ``axes=(1, 2)`` is tried).
    skip_on : exception type or tuple
    timeout : float or None
        Seconds one call may take (:mod:`.timeouts`); a call that exceeds it ends the checks with
        a ``prop_timeout`` result.

    Returns
    -------
    list of PropertyResult

    Examples
    --------
    >>> from entropy_ref import configuration_entropy_grad
    >>> results = check_properties(configuration_entropy_grad, seed=1)
    >>> all(r.passed for r in results), sorted({r.name for r in results})[:3]
    (True, ['euler', 'finite_differences', 'gradient'])
    """
    validate_port_arguments(fn, skip_on, True, seed)
    validate_loss_unit_profile(loss, unit, profile)
    if not isinstance(with_axes, bool):
        raise TypeError(f"with_axes must be True or False, got {with_axes!r}")
    timeout = validate_timeout(timeout)
    results: list = []
    try:
        run_properties(Caller(fn, with_axes, skip_on, timeout), loss, unit, profile, seed,
                       results.append)
    except RunEnded as ended:
        results.append(ended_result(ended.what, "timeout",
                                    timeout_message(ended.reason, "timeout=")))
    return results


def run_properties(caller, loss: str, unit: str, profile: str, seed: int, add) -> None:
    """Every property at every drawn input, each result passed to ``add`` (input by input)."""
    port = _Port(caller, loss, unit)
    for W, axes, c in draw_inputs(seed, profile, caller.with_axes):
        found: list = []
        try:
            _draw_checks(port, W, axes, c, profile, seed, found)
        finally:
            for result in found:
                add(result)
