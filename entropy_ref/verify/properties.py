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

import math
import types
from dataclasses import dataclass, field

import numpy as np

from .quiet import quiet_arithmetic
from .. import golden
from ..entropy import configuration_entropy_grad
from ..gradcheck import directional_check, rel_error
from .outputs import outputs_from_return
from .profiles import U32, float32_tolerance
from .report import ERROR, FAIL, PASS, SKIP, Diagnosis

#: log2 of the largest scale tried, per profile: 2**66 ~ 7e19, 2**50 ~ 1e15
SCALE_EXP = {"float64": 66, "float32": 50}
#: relative finite-difference step per profile (truncation ~ eps**2, rounding ~ atol / eps)
FD_EPS = {"float64": 1e-4, "float32": 1e-2}


@dataclass
class PropertyResult:
    """One property at one input.

    Attributes
    ----------
    name : str
        ``"value"``, ``"gradient"``, ``"scale_invariance"``, ``"euler"``, ``"homogeneity"``,
        ``"finite_differences"`` or ``"runs"``.
    shape : tuple
    axes : tuple
    dtype : str
    scale : float
        The ``c`` of ``c W`` (1.0 when the property is at ``W`` only).
    measured, tolerance : float or None
    status : {"pass", "FAIL", "ERROR", "skipped"}
    diagnoses : list of Diagnosis
    """

    name: str
    shape: tuple
    axes: tuple
    dtype: str
    scale: float = 1.0
    measured: float | None = None
    tolerance: float | None = None
    status: str = PASS
    diagnoses: list = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """True unless the property failed or ``fn`` raised (a skip is not a failure)."""
        return self.status in (PASS, SKIP)


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

    def __init__(self, fn, loss, unit, with_axes, skip_on):
        self.fn, self.with_axes, self.skip_on = fn, with_axes, skip_on
        self.factor = (1.0 if loss == "H_C" else -1.0) * (1.0 if unit == "nats" else math.log(2.0))

    def __call__(self, W, axes):
        from .check import call_fn

        returned, status, reason = call_fn(self.fn, np.array(W), axes, self.with_axes, self.skip_on)
        if status is not None:
            name = "prop_errored" if status == ERROR else "skipped"
            return None, status, Diagnosis(name, reason)
        try:
            out = outputs_from_return(returned, types.SimpleNamespace(shape=W.shape, axes=axes))
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


def _result(results, name, W, axes, c, measured, tol, diagnosis):
    ok = measured <= tol
    results.append(PropertyResult(name, W.shape, axes, str(W.dtype), c, measured, tol,
                                  PASS if ok else FAIL, [] if ok else [diagnosis]))


def _draw_checks(port, W, axes, c, profile, seed, results):
    shape_txt = f"{'x'.join(map(str, W.shape))} {W.dtype} axes={axes}"
    cW = (W * c).astype(W.dtype)          # exact: c is a power of two inside the range
    outs = {}
    value_ok_at_W = False
    for key, X in (("W", W), ("cW", cW)):
        got, status, diag = port(X, axes)
        if got is None:
            results.append(PropertyResult("runs", W.shape, axes, str(W.dtype),
                                          1.0 if key == "W" else c, status=status,
                                          diagnoses=[] if status == SKIP else [Diagnosis(
                                              diag.name, f"{shape_txt}, scale "
                                              f"{_scale_text(1.0 if key == 'W' else c)}: "
                                              f"{diag.message}")]))
            continue
        outs[key] = got
        ref_v, ref_g = configuration_entropy_grad(X.astype(np.float64), axes)
        tol = _tol(X, axes, profile)
        where = f"{shape_txt}, scale {_scale_text(1.0 if key == 'W' else c)}"
        s = 1.0 if key == "W" else c
        only_here = key == "cW" and value_ok_at_W
        _result(results, "value", X, axes, s, abs(got[0] - ref_v), tol.value_atol, Diagnosis(
            "prop_value", f"{where}: value off the reference by {got[0] - ref_v:+.3e} nats "
            f"(tolerance {tol.value_atol:.1e})" + (" - only at this scale (right at scale 1): "
            "precision lost to under/overflow of sum(W**2) or sum|W|" if only_here else "")))
        if key == "W":
            value_ok_at_W = results[-1].passed
        _result(results, "gradient", X, axes, s, rel_error(got[1], ref_g), tol.array_rtol,
                Diagnosis("prop_gradient", f"{where}: gradient off the reference, max-norm "
                          f"relative error {rel_error(got[1], ref_g):.2e} (tolerance "
                          f"{tol.array_rtol:.1e})"))
        euler = abs(float(np.vdot(X.astype(np.float64), got[1])))
        bound = tol.array_rtol * float(np.sum(np.abs(X), dtype=np.float64)) * float(
            np.max(np.abs(got[1])))
        _result(results, "euler", X, axes, s, euler, bound, Diagnosis(
            "prop_euler", f"{where}: <W, grad H> = {euler:.2e}, not 0 (bound {bound:.1e}): H_C is "
            "scale invariant, so its two gradient terms cancel against W exactly (eq. D13); one "
            "term is scaled or missing"))
    if "W" not in outs or "cW" not in outs:
        return
    tol_w, tol_c = _tol(W, axes, profile), _tol(cW, axes, profile)
    (v1, g1), (v2, g2) = outs["W"], outs["cW"]
    where = f"{shape_txt}, c = {_scale_text(c)}"
    _result(results, "scale_invariance", W, axes, c, abs(v2 - v1),
            tol_w.value_atol + tol_c.value_atol, Diagnosis(
                "prop_scale_invariance", f"{where}: H(cW) - H(W) = {v2 - v1:+.3e} nats, but H_C is "
                "scale invariant: an additive eps inside a log (log(E + eps)), a clamp, or "
                "precision lost at one of the two scales"))
    _result(results, "homogeneity", W, axes, c, rel_error(c * g2, g1),
            tol_w.array_rtol + tol_c.array_rtol, Diagnosis(
                "prop_homogeneity", f"{where}: c * grad H(cW) differs from grad H(W) by "
                f"{rel_error(c * g2, g1):.2e} (max-norm relative): the gradient of a scale-invariant "
                "function scales like 1/c; an eps added to a denominator or a log breaks it"))
    # the port's gradient against central differences of the port's own value, at W
    rng = np.random.default_rng([seed, W.size])
    x = W.astype(np.float64)
    direction = x * rng.standard_normal(W.shape)
    eps = FD_EPS[profile]

    def own_value(y):
        got, _, _ = port(y.astype(W.dtype), axes)
        return got[0] if got is not None else math.nan

    def ref_value(y):
        return configuration_entropy_grad(y, axes)[0]

    err = directional_check(own_value, g1, x, eps=eps, directions=[direction])
    ref_g = configuration_entropy_grad(x, axes)[1]
    trunc = directional_check(ref_value, ref_g, x, eps=eps, directions=[direction])
    h = eps * max(1.0, float(np.linalg.norm(x)))
    d = abs(float(np.vdot(ref_g, direction))) / float(np.linalg.norm(direction))
    u = U32 if profile == "float32" else 2.0 ** -53
    noise = tol_w.value_atol + 2 * u * float(np.sum(np.abs(ref_g * x)))   # value error + input cast
    bound = 2.0 * trunc + noise / (h * d) + tol_w.array_rtol if d > 0 else math.inf
    _result(results, "finite_differences", W, axes, 1.0, err if math.isfinite(err) else math.inf,
            bound, Diagnosis(
                "prop_finite_differences", f"{shape_txt}: the gradient disagrees with central "
                f"differences of fn's own value along W*r (relative error {err:.2e}, bound "
                f"{bound:.1e}): value and gradient do not belong together - a backward pass that "
                "does not match the forward one"))


@quiet_arithmetic
def check_properties(fn, loss: str = "H_C", unit: str = "nats", profile: str = "float64",
                     seed: int = 0, with_axes: bool = True,
                     skip_on=NotImplementedError) -> list:
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
    from .check import _validate, validate_loss_unit_profile

    _validate(fn, None, None, skip_on, True, seed)
    validate_loss_unit_profile(loss, unit, profile)
    if not isinstance(with_axes, bool):
        raise TypeError(f"with_axes must be True or False, got {with_axes!r}")
    port = _Port(fn, loss, unit, with_axes, skip_on)
    results: list = []
    for W, axes, c in draw_inputs(seed, profile, with_axes):
        _draw_checks(port, W, axes, c, profile, seed, results)
    return results


def format_properties(results: list, seed) -> str:
    """The property section of the report: a count line, then each failure once."""
    shapes = []
    for r in results:
        txt = "x".join(map(str, r.shape)) + (f" axes={r.axes}" if len(r.shape) != 2 else "")
        if txt not in shapes:
            shapes.append(txt)
    scales = [r.scale for r in results if r.scale != 1.0]
    failed = [r for r in results if not r.passed]
    skipped = [r for r in results if r.status == SKIP]
    head = (f"Property checks (seed {seed}; shapes {', '.join(shapes)}; "
            + (f"scales {min(scales):.0e} .. {max(scales):.0e}" if scales else "no scales")
            + f"): {sum(r.status == PASS for r in results)} of {len(results)} hold")
    if skipped:
        head += f", {len(skipped)} skipped (fn raised NotImplementedError)"
    lines = [head]
    by_name: dict = {}
    for r in failed:
        for d in r.diagnoses:
            by_name.setdefault(d.name, []).append(d.message)
    for name, messages in by_name.items():
        more = f" (and {len(messages) - 1} more input(s))" if len(messages) > 1 else ""
        lines.append(f"  property [{name}] {messages[0]}{more}")
    return "\n".join(lines)
