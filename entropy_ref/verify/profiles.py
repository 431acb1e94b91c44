"""Tolerance profiles: at which precision ``check(fn, profile=...)`` judges an implementation.

* ``"float64"`` (default): every case in its own dtype at the golden set's tolerance
  (``1e-10`` for the float64 cases, ``1e-4`` for the float32 ones).
* ``"float32"``: every case's input is cast to float32 before ``fn`` sees it, the expected outputs
  are the reference's at that float32 input (computed in float64), and each case is judged at the
  tolerance of :func:`float32_tolerance`: a first-order rounding-error bound for a correct float32
  implementation of ``H_C`` on that very input, times a safety factor of 2. The derivation is in
  ``docs/verifying.md`` ("The float32 profile").

Examples
--------
>>> from entropy_ref import golden
>>> case = case_for_profile(golden.load()["lenet300_fc2_f64"], "float32")
>>> str(case.W.dtype), case.tolerance.name
('float32', 'float32-profile')
>>> 1e-5 < case.tolerance.value_atol < 1e-3 and 1e-6 < case.tolerance.array_rtol < 1e-3
True
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from ..entropy import configuration_entropy_grad
from ..errors import DegenerateInputError
from ..validation.arrays import as_float_array, normalize_axes
from ..scharr import scharr_gradient, scharr_gradient_adjoint

#: profile names accepted by ``check(fn, profile=...)`` and ``entropy-ref verify --profile``
PROFILES = ("float64", "float32")

#: unit roundoff of float32 (round to nearest): 2**-24
U32 = 2.0 ** -24
#: Higham & Mary's probabilistic factor: a sum of n terms errs by at most LAMBDA * sqrt(n) * u
#: relative to the sum of the magnitudes, with probability at least 1 - 2 n exp(-LAMBDA**2 / 2)
LAMBDA = 8.0
#: the bound is first order and ignores libm's last-ulp errors and other groupings: doubled
SAFETY = 2.0


@dataclass(frozen=True)
class ProfileTolerance:
    """Pass thresholds of one case under a profile (duck-types :class:`golden.Tolerance`).

    Attributes
    ----------
    name : str
        ``"float32-profile"``.
    value_atol : float
        Largest absolute error of ``H_C`` in nats.
    array_rtol : float
        Largest max-norm relative error of the gradient.
    component_rtol : float
        Largest max-norm relative error of each Scharr component.
    """

    name: str
    value_atol: float
    array_rtol: float
    component_rtol: float


def validate_profile(profile) -> str:
    """Return ``profile`` if it names a profile, else raise ``ValueError`` listing them.

    Examples
    --------
    >>> validate_profile("float32")
    'float32'
    """
    if profile not in PROFILES:
        raise ValueError(f"profile must be one of {PROFILES} (float32: every case cast to float32 "
                         f"and judged at float32 rounding), got {profile!r}")
    return profile


def _gamma(m: int, u: float) -> float:
    return m * u / (1.0 - m * u)


def float32_tolerance(W, axes, u: float = U32) -> ProfileTolerance:
    """Rounding-error bound of a correct float32 ``H_C`` implementation at the input ``W``.

    Parameters
    ----------
    W : ndarray
        The input as the implementation receives it (already float32); read in float64 here.
    axes : tuple of int
    u : float
        Unit roundoff (``2**-24``).

    Returns
    -------
    ProfileTolerance

    Notes
    -----
    With ``m = 2 * 3**(k-1)`` nonzero taps per component entry (``k = len(axes)``), ``n = W.size``,
    ``E = sum_c ||g_c||^2``, ``S = sum |W|`` and ``gamma_m = m u / (1 - m u)`` (``docs/verifying.md``):

    * components: ``|dg_c| <= gamma_m (|K_c| * |W|)``, and ``|K_c|`` sums to 1, so
      ``||dg_c||_2 <= gamma_m ||W||_2`` and ``||dg_c||_inf <= gamma_m ||W||_inf``;
    * energy: ``dE/E <= 2 gamma_m ||W||_2 sum_c ||g_c||_2 / E + (LAMBDA sqrt(k n) + 1) u``;
    * ``dS/S <= LAMBDA sqrt(n) u`` (any summation order, probabilistic bound);
    * value: ``dH <= dE/(2E) + dS/S + 2u (|log(E/k)|/2 + |log S|) + u (1/2 + |H|)``;
    * gradient ``A/E - sign(W)/S`` with ``A = sum_c K_c^T g_c`` (the adjoint):
      ``||dA||_inf <= gamma_m (k ||W||_inf + sum_c ||g_c||_inf) + gamma_{k-1} sum_c ||g_c||_inf``,
      ``||dg||_inf <= ||dA||_inf/E + ||A/E||_inf (dE/E + u) + (dS/S + u)/S + u ||A/E||_inf + u/S``,
      divided by ``||g||_inf``.

    Each bound is multiplied by :data:`SAFETY`.
    """
    W = as_float_array(W).astype(np.float64, copy=False)
    axes = normalize_axes(axes, W.ndim)
    k, n = len(axes), W.size
    m = 2 * 3 ** (k - 1)
    gm = _gamma(m, u)
    comps = scharr_gradient(W, axes)
    E = float(sum(np.vdot(c, c) for c in comps))
    S = float(np.sum(np.abs(W)))
    if not (E > 0.0 and S > 0.0):
        raise DegenerateInputError(f"float32_tolerance: H_C is undefined at this W (shape "
                                   f"{W.shape}): sum |W| = {S:g}, gradient energy E = {E:g}")
    w2, winf = float(np.linalg.norm(W.ravel())), float(np.max(np.abs(W)))
    c2 = sum(float(np.linalg.norm(c.ravel())) for c in comps)
    cinf = [float(np.max(np.abs(c))) for c in comps]
    eps_E = 2.0 * gm * w2 * c2 / E + (LAMBDA * math.sqrt(k * n) + 1.0) * u
    eps_S = LAMBDA * math.sqrt(n) * u
    H = 0.5 * math.log(E / k) - math.log(S)
    d_value = (0.5 * eps_E + eps_S + 2.0 * u * (0.5 * abs(math.log(E / k)) + abs(math.log(S)))
               + u * (0.5 + abs(H)))
    a = scharr_gradient_adjoint(comps, axes) / E
    a_inf = float(np.max(np.abs(a)))
    g_inf = float(np.max(np.abs(a - np.sign(W) / S)))
    dA = gm * (k * winf + sum(cinf)) + _gamma(k - 1, u) * sum(cinf)
    d_grad = dA / E + a_inf * (eps_E + 2.0 * u) + (eps_S + 2.0 * u) / S
    comp_rtol = max((gm * winf / c for c in cinf if c > 0.0), default=1.0)
    return ProfileTolerance("float32-profile", value_atol=SAFETY * d_value,
                            array_rtol=min(1.0, SAFETY * d_grad / g_inf),
                            component_rtol=min(1.0, SAFETY * comp_rtol))


def case_for_profile(case, profile: str = "float64"):
    """The golden ``case`` as judged under ``profile`` (the case itself for ``"float64"``).

    Under ``"float32"`` the input is cast to float32 (read-only), the expected value, gradient and
    components are the reference's at that float32 input, computed in float64, and the tolerance
    is :func:`float32_tolerance` of that input.
    """
    validate_profile(profile)
    if profile == "float64":
        return case
    hit = _CACHE.get(id(case))
    if hit is not None and hit[0] is case:       # golden cases are immutable and cached by load()
        return hit[1]
    profiled = _float32_case(case)
    if len(_CACHE) > 256:
        _CACHE.clear()
    _CACHE[id(case)] = (case, profiled)          # holding `case` keeps its id from being reused
    return profiled


_CACHE: dict = {}


def _float32_case(case):
    W32 = np.array(case.W, dtype=np.float32)
    W32.setflags(write=False)
    changes = {"W": W32, "tolerance": float32_tolerance(W32, case.axes)}
    if case.W.dtype != np.float32:        # the cast rounded the input: recompute the expectations
        W64 = W32.astype(np.float64)
        H, g = configuration_entropy_grad(W64, case.axes)
        g.setflags(write=False)
        changes.update(value_nats=float(H), value_bits=float(H) / math.log(2.0), grad=g)
        if case.components is not None:
            comps = {}
            for a, c in zip(case.axes, scharr_gradient(W64, case.axes)):
                c.setflags(write=False)
                comps[a] = c
            changes["components"] = comps
    return dataclasses.replace(case, **changes)
