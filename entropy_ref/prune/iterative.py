"""Global pruning to a level, one-shot or iterative (prune a share of the survivors, retrain).

The weights of all layers are ranked together (one global threshold) by a score: the magnitude
``|w|`` or the paper's sensitivity ``|w * dCE/dw|`` (:func:`.scores.sensitivity`). Removing
``p`` percent of ``n`` weights removes ``round(n * p / 100)`` of them (half up, exact integer
arithmetic), the count of the sweep point at ``p`` (:func:`.plan.make_plan`), and ties in the
score are broken by position as in :func:`.scores.pruning_order` (layer, then row-major: the
lower position goes first). :func:`oneshot_masks` with the sensitivity is therefore the mask of
that sweep point.

**Iterative pruning** (Han et al. 2015, "Learning both Weights and Connections"): each *cycle*
removes ``fraction`` of the weights still kept, ranked by the score of the current weights among
the kept ones only, then retrains the survivors with cross-entropy only, the mask kept
(:func:`.finetune.finetune`, fresh Adam state, ``epochs`` epochs). A cycle that would go past
the next reported level stops exactly on it (:func:`schedule`), so every level is measured. With
``fraction = 0.5`` and the levels 90, 95, 97, 98, 99 and 99.5% removed the cycles keep 50, 25,
12.5, 10, 5, 3, 2, 1 and 0.5% of the weights. Cycle ``c`` of seed ``s`` shuffles with
``default_rng((s, c))``.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from .finetune import finetune
from .scores import sensitivity

__all__ = ["RANKINGS", "n_kept", "schedule", "ranking_scores", "prune_masks", "oneshot_masks",
           "iterative_prune"]

#: the scores a global ranking may use
RANKINGS = ("magnitude", "sensitivity")


def _exact(value, name):
    """``value`` (a finite real, not a bool) as an exact fraction of its decimal spelling."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not np.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return Fraction(repr(float(value)))


def n_kept(n, level):
    """Weights kept out of ``n`` when ``level`` percent are removed: ``n - round(n * level / 100)``.

    Examples
    --------
    >>> n_kept(266200, 90), n_kept(266200, 99.5), n_kept(3, 50)
    (26620, 1331, 1)
    """
    p = _exact(level, "level")
    if not 0 <= p <= 100:
        raise ValueError(f"level must be a percentage in [0, 100], got {level!r}")
    removed = int(n * p / 100 + Fraction(1, 2))           # round half up, exactly
    return int(n) - removed


def schedule(n, levels, fraction=0.5):
    """Weights kept after each cycle, and the level each cycle lands on (None between levels).

    Each cycle keeps ``kept - round(kept * fraction)`` (at least one weight fewer); a cycle that
    would keep no more than the next level's count keeps exactly that count instead.

    Examples
    --------
    >>> steps = schedule(1000, (90, 99))
    >>> [kept for kept, _ in steps], [level for _, level in steps if level]
    ([500, 250, 125, 100, 50, 25, 12, 10], [90.0, 99.0])
    """
    f = _exact(fraction, "fraction")
    if not 0 < f < 1:
        raise ValueError(f"fraction must be in (0, 1), got {fraction!r}")
    levels = tuple(float(v) for v in levels)
    if not levels or list(levels) != sorted(set(levels)) or not all(0 < v < 100 for v in levels):
        raise ValueError(f"levels must be increasing percentages in (0, 100), got {levels}")
    goals = [n_kept(n, v) for v in levels]
    if goals[0] >= n or any(a <= b for a, b in zip(goals, goals[1:])):
        raise ValueError(f"levels {levels} do not each remove more of the {n} weights than the "
                         f"one before (kept: {goals})")
    out, kept = [], int(n)
    for goal, level in zip(goals, levels):
        while kept > goal:
            nxt = min(kept - 1, kept - int(kept * f + Fraction(1, 2)))
            kept = max(nxt, goal)
            out.append((kept, level if kept == goal else None))
    return out


def ranking_scores(params, ranking, X=None, y=None):
    """Per-weight scores of ``ranking``: ``|w|``, or the sensitivity on ``(X, y)`` (float64)."""
    if ranking == "magnitude":
        return [np.abs(np.asarray(W, dtype=np.float64)) for W in params["W"]]
    if ranking == "sensitivity":
        if X is None or y is None:
            raise ValueError("ranking 'sensitivity' needs the data its gradient is taken on")
        return sensitivity(params, X, y)
    raise ValueError(f"ranking must be one of {', '.join(RANKINGS)}, got {ranking!r}")


def prune_masks(scores, keep, n_keep):
    """Keep-masks with the ``n_keep`` best-scored of the weights ``keep`` still holds.

    Parameters
    ----------
    scores : list of ndarray
        Finite scores ``>= 0`` for the kept weights (pruned weights' scores are ignored).
    keep : list of ndarray of bool
        Current keep-masks, same shapes.
    n_keep : int
        At most the number of weights ``keep`` holds.

    Returns
    -------
    keep : list of ndarray of bool

    Examples
    --------
    >>> s = [np.array([[0.3, 0.1], [0.2, 0.1]])]
    >>> prune_masks(s, [np.ones((2, 2), bool)], 2)[0]
    array([[ True, False],
           [ True, False]])
    """
    if len(scores) != len(keep) or any(np.shape(s) != np.shape(k) for s, k in zip(scores, keep)):
        raise ValueError("prune_masks: need one score array per keep-mask, same shapes")
    flat = np.concatenate([np.asarray(s, dtype=np.float64).ravel() for s in scores])
    kept = np.concatenate([np.asarray(k, dtype=bool).ravel() for k in keep])
    if not (np.isfinite(flat[kept]).all() and (flat[kept] >= 0).all()):
        raise ValueError("prune_masks: the kept weights' scores must be finite and >= 0")
    if not 0 <= int(n_keep) <= int(kept.sum()):
        raise ValueError(f"prune_masks: cannot keep {n_keep} of {int(kept.sum())} kept weights")
    order = np.argsort(np.where(kept, flat, -np.inf), kind="stable")
    out = np.zeros(flat.size, dtype=bool)
    out[order[flat.size - int(n_keep):]] = True
    sizes = np.cumsum([np.size(k) for k in keep])[:-1]
    return [part.reshape(np.shape(k)) for part, k in zip(np.split(out, sizes), keep)]


def oneshot_masks(scores, level):
    """Keep-masks removing ``level`` percent of all weights, lowest scores first."""
    n = sum(np.size(s) for s in scores)
    return prune_masks(scores, [np.ones(np.shape(s), dtype=bool) for s in scores],
                       n_kept(n, level))


def iterative_prune(params, X, y, levels, ranking="magnitude", fraction=0.5, epochs=1, lr=1e-4,
                    batch_size=100, seed=0, X_rank=None, y_rank=None, evaluate=None):
    """Prune ``fraction`` of the survivors and retrain, cycle after cycle, down to ``levels[-1]``.

    Parameters
    ----------
    params : dict
        Trained network (not modified).
    X, y : ndarray
        Training features (their dtype is the retraining dtype) and labels.
    levels : sequence of float
        Percentages removed that the cycles land on exactly (increasing).
    ranking : {"magnitude", "sensitivity"}
        Score of the global ranking, recomputed on the current weights every cycle.
    fraction, epochs : float, int
        Share of the kept weights each cycle removes; retraining epochs per cycle.
    lr, batch_size, seed
        Adam on the batch-mean cross-entropy (fresh state every cycle); cycle ``c`` (from 1)
        shuffles with ``default_rng((seed, c))``.
    X_rank, y_rank : ndarray, optional
        Data the sensitivity is taken on (default ``X``, ``y``; float64 is exact).
    evaluate : callable, optional
        ``evaluate(params) -> float``: recorded after pruning and after retraining.

    Returns
    -------
    params : dict
        The last cycle's network (pruned weights exactly zero).
    masks : list of ndarray of bool
    cycles : list of dict
        Per cycle: ``cycle``, ``n_kept``, ``removed_percent``, ``level`` (None between levels),
        ``retrain_epochs`` (cumulative), ``train_ce``, and with ``evaluate`` the
        ``pruned_accuracy`` and ``accuracy``.
    """
    if not isinstance(epochs, int) or isinstance(epochs, bool) or epochs < 1:
        raise ValueError(f"epochs must be an integer >= 1, got {epochs!r}")
    Xr, yr = (X, y) if X_rank is None else (X_rank, y_rank)
    n = sum(W.size for W in params["W"])
    keep = [np.ones(W.shape, dtype=bool) for W in params["W"]]
    current, cycles = params, []
    for c, (kept, level) in enumerate(schedule(n, levels, fraction), start=1):
        keep = prune_masks(ranking_scores(current, ranking, Xr, yr), keep, kept)
        record = {"cycle": c, "n_kept": kept, "removed_percent": 100.0 * (n - kept) / n,
                  "level": level, "retrain_epochs": c * epochs}
        if evaluate is not None:
            record["pruned_accuracy"] = float(evaluate(
                {"W": [np.where(m, W, 0) for W, m in zip(current["W"], keep)],
                 "b": current["b"]}))
        current, ce = finetune(current, keep, X, y, epochs=epochs, lr=lr, batch_size=batch_size,
                               seed=(int(seed), c))
        record["train_ce"] = [float(v) for v in ce]
        if evaluate is not None:
            record["accuracy"] = float(evaluate(current))
        cycles.append(record)
    return current, keep, cycles
