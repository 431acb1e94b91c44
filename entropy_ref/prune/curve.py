"""The accuracy-vs-nonzero-weights curve: its record, the naive reference, targets and CSV I/O.

:func:`naive_curve` is the definition: for every point of the :class:`~.plan.PrunePlan` it builds
the pruned float64 network and classifies the test set with :func:`reference_predictions` (one
full forward pass per point). :func:`.fast_curve` must return exactly the same ``nonzero`` and
``n_correct`` arrays, in a fraction of the time.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

import numpy as np

from ..mlp import predict
from ..storage.atomic import atomic_write_text
from ..errors import CorruptFileError
from ..storage.readers import corrupt
from .plan import PrunePlan, masked_params
from .scores import as_float64_params

__all__ = ["Curve", "ACCURACY_TARGETS", "reference_predictions", "naive_curve",
           "accuracy_targets", "write_curve_csv", "read_curve_csv", "CSV_COLUMNS"]

#: test accuracies at which the smallest nonzero count is reported
ACCURACY_TARGETS = (0.90, 0.95, 0.96, 0.97, 0.98)

#: columns of ``curve.csv``
CSV_COLUMNS = ("percentile", "threshold", "nonzero", "test_accuracy")


@dataclass
class Curve:
    """Test accuracy of the pruned network at every point of a sensitivity sweep.

    Attributes
    ----------
    percentile, threshold : ndarray, shape (P,)
    nonzero : ndarray of int64, shape (P,)
        Nonzero weights kept (biases excluded).
    n_correct : ndarray of int64, shape (P,)
        Correctly classified test images.
    n_test : int
    n_biases, nonzero_biases : int
        Biases are never pruned; reported here, not counted in ``nonzero``.
    stats : dict
        How the curve was computed (method, timing, guard counters).
    """

    percentile: np.ndarray
    threshold: np.ndarray
    nonzero: np.ndarray
    n_correct: np.ndarray
    n_test: int
    n_biases: int = 0
    nonzero_biases: int = 0
    stats: dict = field(default_factory=dict)

    @property
    def test_accuracy(self):
        """``n_correct / n_test``, shape (P,)."""
        return self.n_correct / self.n_test

    @classmethod
    def from_plan(cls, plan: PrunePlan, n_correct, n_test, stats=None):
        """Attach per-point correct counts to a plan."""
        return cls(plan.percentile.copy(), plan.threshold.copy(), plan.nonzero.copy(),
                   np.asarray(n_correct, dtype=np.int64), int(n_test), plan.n_biases,
                   plan.nonzero_biases, dict(stats or {}))


def reference_predictions(params64, X64):
    """Predicted classes of the float64 network: the one call both curve methods trust.

    Examples
    --------
    >>> p = {"W": [np.array([[1.0], [-1.0]])], "b": [np.zeros(2)]}
    >>> reference_predictions(p, np.array([[2.0], [-3.0]]))
    array([0, 1])
    """
    return predict(params64, X64, batch_size=max(1, X64.shape[0]))


def float64_inputs(params, X, y, who):
    """``(params, X, y)`` as float64 parameters, a contiguous float64 ``(N, fan_in)`` X with
    ``N >= 1`` and finite entries, and int64 labels, one per row; ``ValueError`` naming ``who``."""
    p64 = as_float64_params(params)
    X64 = np.ascontiguousarray(X, dtype=np.float64)
    y = np.asarray(y)
    if X64.ndim != 2 or X64.shape[1] != p64["W"][0].shape[1] or X64.shape[0] == 0:
        raise ValueError(f"{who}: X must have shape (N, {p64['W'][0].shape[1]}) with N >= 1, "
                         f"got {X64.shape}")
    if y.shape != (X64.shape[0],):
        raise ValueError(f"{who}: need one label per row of X, got {y.shape}")
    if not np.isfinite(X64).all():
        raise ValueError(f"{who}: X contains NaN or inf")
    return p64, X64, y.astype(np.int64)


def naive_curve(params, plan, X, y):
    """The reference curve: one full float64 forward pass over ``X`` per point of ``plan``.

    Parameters
    ----------
    params : dict
    plan : PrunePlan
    X : ndarray, shape (N, fan_in)
        Test inputs.
    y : ndarray of int, shape (N,)

    Returns
    -------
    curve : Curve

    Examples
    --------
    >>> from entropy_ref.prune import make_plan
    >>> p = {"W": [np.array([[1.0, 0.0], [0.0, 1.0]])], "b": [np.array([0.0, 0.5])]}
    >>> plan = make_plan(p, [np.array([[2.0, 0.0], [0.0, 1.0]])], step=50)
    >>> c = naive_curve(p, plan, np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([0, 1]))
    >>> c.nonzero.tolist(), c.test_accuracy.tolist()
    ([2, 2, 0], [1.0, 1.0, 0.5])
    """
    p64, X64, y = float64_inputs(params, X, y, "naive_curve")
    correct = np.zeros(plan.n_pruned.size, dtype=np.int64)
    for j in range(plan.n_pruned.size):
        pred = reference_predictions(masked_params(p64, plan, j), X64)
        correct[j] = np.count_nonzero(pred == y)
    return Curve.from_plan(plan, correct, X64.shape[0], {"method": "naive"})


def accuracy_targets(curve, targets=ACCURACY_TARGETS):
    """Smallest nonzero count whose pruned network reaches each test accuracy.

    Parameters
    ----------
    curve : Curve
    targets : sequence of float
        Accuracies in [0, 1].

    Returns
    -------
    result : dict
        ``target -> (nonzero, accuracy)`` of the sparsest point with accuracy ``>= target``, or
        ``target -> None`` when no point reaches it.

    Examples
    --------
    >>> c = Curve(np.array([0.0, 50.0, 100.0]), np.full(3, np.nan), np.array([10, 5, 0]),
    ...           np.array([97, 95, 10]), 100)
    >>> accuracy_targets(c, (0.9, 0.96, 0.99))
    {0.9: (5, 0.95), 0.96: (10, 0.97), 0.99: None}
    """
    acc = curve.test_accuracy
    out = {}
    for t in targets:
        ok = np.flatnonzero(acc >= t)
        if ok.size == 0:
            out[t] = None
        else:
            best = ok[np.argmin(curve.nonzero[ok])]
            out[t] = (int(curve.nonzero[best]), float(acc[best]))
    return out


def write_curve_csv(curve, path):
    """Atomically write ``percentile,threshold,nonzero,test_accuracy`` (one row per point).

    Floats are written with ``repr`` precision, so :func:`read_curve_csv` gives them back exactly.
    """
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for p, t, nz, a in zip(curve.percentile, curve.threshold, curve.nonzero,
                           curve.test_accuracy):
        w.writerow([repr(float(p)), repr(float(t)), int(nz), repr(float(a))])
    atomic_write_text(path, buf.getvalue())


def read_curve_csv(path):
    """Read a ``curve.csv`` back: dict of column name -> ndarray.

    Examples
    --------
    >>> import os, tempfile
    >>> d = tempfile.mkdtemp()
    >>> c = Curve(np.array([0.0, 100.0]), np.array([np.nan, 0.5]), np.array([3, 0]),
    ...           np.array([9, 1]), 10)
    >>> write_curve_csv(c, os.path.join(d, "curve.csv"))
    >>> r = read_curve_csv(os.path.join(d, "curve.csv"))
    >>> r["nonzero"].tolist(), r["test_accuracy"].tolist()
    ([3, 0], [0.9, 0.1])
    """
    try:
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise corrupt(path, "curve file", f"{type(exc).__name__}: {exc}") from None
    if not rows or tuple(rows[0]) != CSV_COLUMNS:
        raise CorruptFileError(f"{path}: not a curve file (expected header "
                               f"{','.join(CSV_COLUMNS)})")
    bad = next((i for i, r in enumerate(rows[1:], 2) if len(r) != len(CSV_COLUMNS)), None)
    if bad is not None:
        raise corrupt(path, "curve file", f"line {bad} has {len(rows[bad - 1])} fields, expected "
                      f"{len(CSV_COLUMNS)}")
    try:
        cols = list(zip(*rows[1:])) if len(rows) > 1 else [()] * len(CSV_COLUMNS)
        out = {name: np.array([int(v) if name == "nonzero" else float(v) for v in col],
                              dtype=np.int64 if name == "nonzero" else np.float64)
               for name, col in zip(CSV_COLUMNS, cols)}
    except (ValueError, OverflowError) as exc:
        raise corrupt(path, "curve file", exc) from None
    acc, pct = out["test_accuracy"], out["percentile"]
    if not (np.all((acc >= 0) & (acc <= 1)) and np.all((pct >= 0) & (pct <= 100))
            and np.all(out["nonzero"] >= 0)):
        raise corrupt(path, "curve file", "a percentile outside [0, 100], an accuracy outside "
                      "[0, 1] or a negative nonzero count")
    return out
