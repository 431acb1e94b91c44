"""The golden cases of every version: recipes for the inputs, and the tolerances that apply.

Version 2 (the default, :data:`VERSION`) holds the 15 cases of version 1 with the same inputs and
expected outputs, plus a batch of matrices ``(B, R, C)`` with ``axes=(1, 2)`` (whose per-matrix
mean of ``H_C`` differs visibly from the one ``H_C`` of the batch), float32 N-D cases, a 1 x n row
and a matrix on which a reshape and a transpose give clearly different ``H_C``. Version 1 stays
shipped and loadable (``golden.load(1)``) with its files unchanged.

Each input ``W`` is built by a *recipe*: a few lines of NumPy that assign ``W``. The recipe text is
stored verbatim in the golden files (``golden_v<N>.npz`` / ``golden_v<N>.json``) and it is literally
the code the generator runs (:func:`build_input` executes it), so the documentation of an input
can never drift from the input itself. The inputs themselves are stored too (compressed), so a
reader in another language never has to reproduce NumPy's random generator.

Tolerances (one pair per dtype, see ``docs/verifying.md``)
----------------------------------------------------------
The value ``H_C`` is compared in *absolute* terms (nats): it is a difference of logarithms, so an
absolute error ``d`` in ``H_C`` is a relative error ``d`` in ``sqrt(E) / sum |W|``, and a relative
error on ``H_C`` itself would be meaningless near ``H_C = 0``. Arrays (gradient, Scharr components)
are compared with the max-norm relative error ``max|a - b| / max(max|a|, max|b|)``
(:func:`entropy_ref.gradcheck.rel_error`).

* float64: ``1e-10``. The largest case sums ``n = 235 200`` terms; even naive left-to-right
  summation has a worst-case relative error bound ``n u = 2.6e-11`` (``u = 1.1e-16``), so every
  correct float64 implementation passes whatever its summation order, while float32 rounding
  (``u = 6e-8``, observed errors ``1e-7``) fails it by a factor of a thousand.
* float32: ``1e-4``. Observed errors of correct float32 implementations on these cases are
  ``1e-7`` (pairwise summation, PyTorch) to ``1.5e-6`` (naive sequential float32 accumulation over
  the 30 000 entries of the largest float32 case): a 60-fold margin. (Version 1's rationale adds
  "100x below the smallest porting-mistake effect"; that was wrong: non-zero padding moves the value
  of the 100 x 300 case by 1.4e-3 to 6.7e-3 nats, about 14 times the tolerance, and its gradient
  error, 0.25 to 0.46, is what catches it. Version 2 states the measured figures, checked by
  ``tests/test_golden.py``.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: version of the conformance set used by default; bump it (and keep the old files) when a case or
#: value changes
VERSION = 2
#: every shipped version (each has golden_v<N>.npz / .json beside this module)
VERSIONS = (1, 2)


@dataclass(frozen=True)
class Tolerance:
    """Pass thresholds for one dtype class.

    Attributes
    ----------
    name : str
        ``"float64"`` or ``"float32"``.
    value_atol : float
        Largest absolute error of ``H_C`` in nats.
    array_rtol : float
        Largest max-norm relative error of the gradient and of each Scharr component.
    """

    name: str
    value_atol: float
    array_rtol: float


TOLERANCES = {
    "float64": Tolerance("float64", value_atol=1e-10, array_rtol=1e-10),
    "float32": Tolerance("float32", value_atol=1e-4, array_rtol=1e-4),
}

#: why the tolerances are what they are (stored in the golden files next to the numbers), version 1
TOLERANCE_RATIONALE_V1 = {
    "float64": "value: absolute error of H_C in nats (= relative error of sqrt(E)/sum|W|); arrays: "
               "max-norm relative error. Naive summation of the largest case (235 200 terms) is "
               "bounded by n*u = 2.6e-11, so any correct float64 code passes; float32 rounding "
               "(~1e-7) fails by 1000x.",
    "float32": "same metrics; correct float32 code shows 1e-7 (pairwise sums) to 1.5e-6 (naive "
               "sequential float32 sums over 30 000 entries): 60x margin, and 100x below the "
               "smallest porting-mistake effect on these cases.",
}

#: version 2: the float32 sentence corrected (tests/test_golden.py measures the padding effect)
TOLERANCE_RATIONALE = {
    "float64": TOLERANCE_RATIONALE_V1["float64"],
    "float32": "same metrics; correct float32 code shows 1e-7 (pairwise sums) to 1.5e-6 (naive "
               "sequential float32 sums over 30 000 entries): 60x margin. Non-zero padding moves "
               "the value of the 100 x 300 case by 1.4e-3 (reflect) to 6.7e-3 (replicate) nats, "
               "about 14x the tolerance; its gradient error, 0.25 to 0.46, is what catches it.",
}
#: rationale stored in the files of each version
TOLERANCE_RATIONALE_BY_VERSION = {1: TOLERANCE_RATIONALE_V1, 2: TOLERANCE_RATIONALE}


@dataclass(frozen=True)
class CaseSpec:
    """Recipe and metadata of one golden case (the expected outputs are computed by the generator).

    Attributes
    ----------
    name : str
    recipe : str
        Python code that assigns ``W`` (``np`` is NumPy); the exact text stored in the files.
    axes : tuple of int
        The axes the Scharr operator runs over (``(1, 0)`` for matrices: x first, then y).
    description : str
    tags : tuple of str
    """

    name: str
    recipe: str
    axes: tuple
    description: str
    tags: tuple = ()

    @property
    def dtype(self) -> str:
        """``"float32"`` for the cases tagged so, else ``"float64"`` (checked by the generator)."""
        return "float32" if "float32" in self.tags else "float64"

    @property
    def tolerance(self) -> Tolerance:
        """The tolerance class of the case's dtype."""
        return TOLERANCES[self.dtype]


def _dyadic(shape: tuple, seed: int) -> str:
    # nonzero multiples of 1/2048 in [-1, 1]: exact in float32 and float64, no exact zeros, and
    # they compress well (12 significant bits), which keeps the LeNet300 cases small on disk
    return (f"rng = np.random.default_rng({seed})\n"
            f"k = rng.integers(1, 2049, size={shape}) * rng.choice([-1, 1], size={shape})\n"
            f"W = k / 2048.0")


def _f32(spec: CaseSpec) -> CaseSpec:
    base = spec.name.removesuffix("_f64")
    return CaseSpec(base + "_f32", spec.recipe + "\nW = W.astype(np.float32)", spec.axes,
                    spec.description + " Stored as float32: checked at float32 tolerance.",
                    tuple(spec.tags) + ("float32",))


_F64 = [
    CaseSpec("tiny_2x2_f64", "W = np.arange(1.0, 5.0).reshape(2, 2)", (1, 0),
             "Smallest matrix with a nonzero gradient energy; every entry is on the boundary.",
             ("tiny", "square")),
    CaseSpec("tiny_3x3_f64", "W = np.arange(9.0).reshape(3, 3) - 4.0", (1, 0),
             "Signed ramp with an exact zero in the centre (tests sign(0) = 0 in the gradient).",
             ("tiny", "square", "signed", "exact-zeros")),
    CaseSpec("rect_3x5_f64", "W = np.linspace(0.1, 1.5, 15).reshape(3, 5) ** 2", (1, 0),
             "Wide, positive, smooth; non-square so a transposed result shows up as a shape error.",
             ("non-square",)),
    CaseSpec("linspace_8x9_f64",
             "W = np.cos(np.linspace(0.0, 6.0, 72)).reshape(8, 9) + np.arange(72.0).reshape(8, 9) / 72",
             (1, 0), "Deterministic from np.linspace / np.arange only (no random generator): an "
             "oscillation on a ramp, non-square, mixed signs.", ("non-square", "signed")),
    CaseSpec("square_6x6_f64", "W = np.random.default_rng(6).standard_normal((6, 6))", (1, 0),
             "Square, random, not symmetric: a transposed gradient has the right shape but not "
             "the right values.", ("square", "signed")),
    CaseSpec("tall_9x4_f64", "W = np.random.default_rng(94).standard_normal((9, 4))", (1, 0),
             "Tall random matrix (more rows than columns).", ("non-square", "signed")),
    CaseSpec("sparse_signed_12x10_f64",
             "rng = np.random.default_rng(1210)\n"
             "W = rng.standard_normal((12, 10)) * (rng.random((12, 10)) < 0.3)",
             (1, 0), "About 70 % exact zeros, mixed signs: the subgradient sign(0) = 0 matters.",
             ("sparse", "signed", "exact-zeros", "non-square")),
    CaseSpec("lenet300_fc1_f64", _dyadic((300, 784), 784), (1, 0),
             "LeNet300 first layer (out x in = 300 x 784), the paper's largest matrix.",
             ("lenet300", "non-square", "signed")),
    CaseSpec("lenet300_fc2_f64", _dyadic((100, 300), 300), (1, 0),
             "LeNet300 second layer (100 x 300).", ("lenet300", "non-square", "signed")),
    CaseSpec("lenet300_fc3_f64", _dyadic((10, 100), 100), (1, 0),
             "LeNet300 output layer (10 x 100).", ("lenet300", "non-square", "signed")),
    CaseSpec("conv_8x3x5x5_f64", "W = np.random.default_rng(8355).standard_normal((8, 3, 5, 5))",
             (2, 3), "Conv kernel bank (out, in, kH, kW) with axes (2, 3): Scharr components within "
             "each (out, in) slice, one H_C summed over the whole tensor.", ("tensor", "signed")),
    CaseSpec("volume_4x5x6_f64", "W = np.random.default_rng(456).standard_normal((4, 5, 6))",
             (0, 1, 2), "Three chosen axes (k = 3): the energy carries 1/k = 1/3, not 1/2.",
             ("tensor", "signed", "k=3")),
]

#: every case of version 1, in a fixed order (frozen: golden_v1.* must keep regenerating)
CASES_V1: tuple[CaseSpec, ...] = tuple(_F64) + tuple(
    _f32(s) for s in _F64 if s.name in ("square_6x6_f64", "lenet300_fc2_f64", "conv_8x3x5x5_f64")
)

_NEW_V2 = [
    CaseSpec("batch_5x6x7_f64",
             "rng = np.random.default_rng(567)\n"
             "W = rng.standard_normal((5, 6, 7)) * np.array([0.5, 1.0, 2.0, 4.0, 8.0])[:, None, None]",
             (1, 2), "A batch of B = 5 matrices 6 x 7 (B, R, C) with axes (1, 2): one H_C over the "
             "whole batch (energy and sum |W| summed over every matrix). The matrices have scales "
             "0.5 to 8, so the mean of per-matrix H_C differs visibly (value and gradient) from H_C "
             "of the batch, and averaging the energy over the batch shifts the value by "
             "-1/2 log 5.", ("tensor", "batch", "signed", "non-square")),
    CaseSpec("reshape_4x7_f64", "W = np.outer(np.arange(1.0, 5.0), (-1.0) ** np.arange(7))", (1, 0),
             "Alternating columns growing down the rows: W.reshape(7, 4) (a reshape mistaken for a "
             "transpose) changes H_C by more than 0.5 nats and its gradient completely, while "
             "H_C(W.T) = H_C(W).", ("non-square", "signed", "layout")),
    CaseSpec("row_1x8_f64", "W = np.array([[3.0, -1.0, 4.0, 1.0, -5.0, 9.0, 2.0, -6.0]])", (1, 0),
             "A single row (1 x n): the y component comes only from the zero padding, so a port "
             "that pads otherwise, or mishandles a dimension of size 1, fails here.",
             ("non-square", "signed", "1xn")),
]


def _v2(spec: CaseSpec) -> CaseSpec:
    if spec.name == "tiny_2x2_f64":     # v1 said "smallest matrix with a nonzero gradient energy"
        return CaseSpec(spec.name, spec.recipe, spec.axes,
                        "The smallest square matrix; every entry is on the boundary (1 x 2 "
                        "matrices such as [[1, 2]] already have a nonzero gradient energy).",
                        spec.tags)
    return spec


_F64_V2 = [_v2(s) for s in _F64] + _NEW_V2

#: every case of version 2, in a fixed order: version 1's cases first (same inputs), then the new
CASES_V2: tuple[CaseSpec, ...] = tuple(_F64_V2) + tuple(
    _f32(s) for s in _F64_V2 if s.name in ("square_6x6_f64", "lenet300_fc2_f64", "conv_8x3x5x5_f64",
                                           "volume_4x5x6_f64", "batch_5x6x7_f64"))

#: the cases of each version
CASES_BY_VERSION = {1: CASES_V1, 2: CASES_V2}
#: the cases of the default version
CASES = CASES_BY_VERSION[VERSION]

#: cases with at most this many entries are also written to the JSON file
JSON_MAX_SIZE = 1000
#: cases with more entries than this store no Scharr components (size budget: 3.8 MB for 300 x 784)
COMPONENTS_MAX_SIZE = 30_000


def build_input(spec: CaseSpec) -> np.ndarray:
    """Run the recipe of ``spec`` and return its ``W``.

    The recipe is a constant string of this module; it is executed (rather than mirrored by a
    function) so that the recipe text stored in the golden files is exactly the code that ran.

    Parameters
    ----------
    spec : CaseSpec

    Returns
    -------
    W : ndarray, float64 or float32

    Examples
    --------
    >>> build_input(CASES[0])
    array([[1., 2.],
           [3., 4.]])
    """
    namespace = {"np": np}
    exec(spec.recipe, namespace)  # noqa: S102 - constant recipe text of this module, see docstring
    W = np.asarray(namespace["W"])
    if W.dtype not in (np.float64, np.float32):
        raise TypeError(f"recipe of {spec.name} produced dtype {W.dtype}; expected float64/float32")
    return W
