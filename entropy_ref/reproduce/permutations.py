"""How much ``H_C`` of a weight matrix moves when its rows or columns are reordered.

The order of a layer's hidden units is arbitrary: permuting the rows of ``W_l`` (with the matching
columns of ``W_{l+1}`` and entries of ``b_l``) changes nothing the network computes, yet ``H_C``
(eq. D5) looks at neighbours in the matrix, so it changes. :func:`permutation_study` measures that
change for each matrix, in the matrix layout the trainer uses (default axes, eq. D2):

* ``rows``: ``n_draws`` uniformly random row permutations ``W[p]``;
* ``columns``: ``n_draws`` uniformly random column permutations ``W[:, p]``;
* ``sorted_rows``: the one permutation that sorts the rows by their Euclidean norm, ascending
  (stable, so ties keep their order).

Each change is ``H_C(permuted) - H_C(W)``, in nats (or bits). ``H_C`` is scale invariant, so the
change is comparable across layers and training stages. Computed in float64 whatever the input
dtype. Pure: no files, no global random state, inputs never modified.
"""

from __future__ import annotations

import numpy as np

from ..errors import DegenerateInputError
from ..validation.arrays import as_float_array
from ..entropy import configuration_entropy

__all__ = ["permutation_study", "permutation_changes", "sort_rows_by_norm"]


def _stats(changes) -> dict:
    c = np.asarray(changes, dtype=np.float64)
    return {"n": int(c.size), "mean": float(c.mean()), "std": float(c.std()),
            "min": float(c.min()), "max": float(c.max()),
            "mean_abs": float(np.abs(c).mean()), "changes": [float(v) for v in c]}


def sort_rows_by_norm(W) -> np.ndarray:
    """The row order that sorts ``W``'s rows by Euclidean norm, ascending (stable).

    Examples
    --------
    >>> sort_rows_by_norm(np.array([[3.0, 4.0], [1.0, 0.0], [0.0, -2.0], [1.0, 0.0]]))
    array([1, 3, 2, 0])
    """
    norms = np.sqrt(np.sum(np.square(np.asarray(W, dtype=np.float64)), axis=1))
    return np.argsort(norms, kind="stable")


def permutation_changes(W, perms, axis: int, unit: str = "nats") -> list[float]:
    """``H_C(W permuted by p along axis) - H_C(W)`` for each ``p`` in ``perms``.

    Parameters
    ----------
    W : ndarray, shape (n_rows, n_cols)
    perms : iterable of int arrays
        Each a permutation of ``range(W.shape[axis])``.
    axis : {0, 1}
        0 permutes rows, 1 permutes columns.
    unit : {"nats", "bits"}

    Returns
    -------
    list of float

    Examples
    --------
    >>> W = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 2.0]])
    >>> swap, flip = np.array([1, 0, 2]), np.array([2, 1, 0])   # a flip never changes H_C
    >>> d_swap, d_flip = permutation_changes(W, [swap, flip], axis=0)
    >>> round(d_swap, 6), abs(d_flip) < 1e-12
    (-0.025182, True)
    """
    H0 = configuration_entropy(W, unit=unit)
    out = []
    for p in perms:
        p = np.asarray(p)
        if sorted(p.tolist()) != list(range(W.shape[axis])):
            raise ValueError(f"not a permutation of range({W.shape[axis]}): {p!r}")
        out.append(configuration_entropy(np.take(W, p, axis=axis), unit=unit) - H0)
    return out


def permutation_study(weights, n_draws: int = 20, seed: int = 0, unit: str = "nats") -> list:
    """``H_C`` of each matrix before and after reordering its rows and its columns.

    Parameters
    ----------
    weights : list of ndarray, each shape (fan_out, fan_in)
        The model's weight matrices as it stores them (``params["W"]``): rows are hidden units.
    n_draws : int
        Random permutations drawn per matrix and per axis (>= 1).
    seed : int
        Seeds one ``numpy.random.Generator`` for the whole call; for each matrix in order it draws
        ``n_draws`` row permutations, then ``n_draws`` column permutations.
    unit : {"nats", "bits"}

    Returns
    -------
    list of dict, one per matrix
        ``{"layer", "shape", "H", "rows", "columns", "sorted_rows"}``. ``H`` is ``H_C(W)``;
        ``rows`` and ``columns`` hold ``n``, ``mean``, ``std`` (population), ``min``, ``max``,
        ``mean_abs`` and the list ``changes`` of ``H_C(permuted) - H_C(W)``; ``sorted_rows`` holds
        ``H`` (after sorting rows by norm) and its ``change``. All plain floats (JSON-ready).

    Raises
    ------
    ValueError
        For anything but a non-empty list of 2-D real finite arrays, or ``n_draws < 1``.
    DegenerateInputError
        When ``H_C`` is undefined for a matrix (message names the layer).

    Examples
    --------
    >>> res = permutation_study([np.ones((4, 5))], n_draws=3)     # all rows equal: invariant
    >>> res[0]["shape"], res[0]["rows"]["max"], res[0]["columns"]["min"], res[0]["sorted_rows"]["change"]
    ([4, 5], 0.0, 0.0, 0.0)
    """
    if isinstance(weights, np.ndarray):
        raise TypeError("permutation_study: pass a list of weight matrices, not a single array")
    weights = list(weights)
    if not weights:
        raise ValueError("permutation_study: need at least one weight matrix")
    if not isinstance(n_draws, int) or isinstance(n_draws, bool) or n_draws < 1:
        raise ValueError(f"permutation_study: n_draws must be an integer >= 1, got {n_draws!r}")
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"permutation_study: seed must be an integer >= 0, got {seed!r}")
    rng = np.random.default_rng(seed)
    results = []
    for l, W in enumerate(weights):
        W = as_float_array(W, name=f"weights[{l}]").astype(np.float64)   # measure in float64
        if W.ndim != 2:
            raise ValueError(f"permutation_study: weights[{l}] must be 2-D, got shape {W.shape}")
        try:
            H = configuration_entropy(W, unit=unit)
            rows = permutation_changes(W, [rng.permutation(W.shape[0]) for _ in range(n_draws)],
                                       0, unit)
            cols = permutation_changes(W, [rng.permutation(W.shape[1]) for _ in range(n_draws)],
                                       1, unit)
            (sorted_change,) = permutation_changes(W, [sort_rows_by_norm(W)], 0, unit)
        except DegenerateInputError as exc:
            raise DegenerateInputError(f"permutation_study: weights[{l}]: {exc}") from None
        results.append({"layer": l, "shape": list(W.shape), "H": H,
                        "rows": _stats(rows), "columns": _stats(cols),
                        "sorted_rows": {"H": H + sorted_change, "change": sorted_change}})
    return results
