"""Per-epoch statistics recorded in ``history.json``.

Each record holds: ``epoch``; ``train_ce`` (mean cross-entropy over the epoch's samples, nats);
``penalty`` (mean over the epoch's steps of the total weighted penalty) and ``penalty_per_layer``
(mean of ``lam_l * f(W_l)``; these sum to ``penalty``); ``objective`` (``train_ce + penalty``);
``entropy_per_layer`` (``H_C(W_l)`` in nats at the end of the epoch, for every regularizer, computed
in float64); ``test_accuracy`` and, with a validation split, ``val_accuracy``; ``seconds`` (the
training pass) and ``eval_seconds``; ``abs_w_percentiles`` (the 0th, 1st, ..., 100th percentile of
``|w|`` over all weight matrices pooled, biases excluded: one curve of the paper's Figure 4).
"""

from __future__ import annotations

import numpy as np

from ..errors import DegenerateInputError
from ..entropy import configuration_entropy

__all__ = ["PERCENTILES", "entropy_per_layer", "abs_weight_percentiles", "epoch_record"]

#: percentiles of |w| recorded each epoch
PERCENTILES = np.arange(101)


def entropy_per_layer(weights):
    """``H_C(W_l)`` in nats for each matrix (float64); ``None`` where it is undefined.

    Examples
    --------
    >>> h = entropy_per_layer([np.eye(4), 5 * np.eye(4), np.zeros((2, 2))])  # scale-invariant
    >>> bool(np.isclose(h[0], h[1], rtol=1e-12)), h[2]
    (True, None)
    """
    out = []
    for W in weights:
        try:
            out.append(float(configuration_entropy(np.asarray(W, dtype=np.float64))))
        except DegenerateInputError:
            out.append(None)
    return out


def abs_weight_percentiles(weights, q=PERCENTILES):
    """Percentiles ``q`` of ``|w|`` over all matrices pooled (float64, linear interpolation).

    Examples
    --------
    >>> Ws = [np.array([[-4.0, 1.0]]), np.array([[0.0, 2.0, -3.0]])]
    >>> abs_weight_percentiles(Ws, [0, 50, 100])
    [0.0, 2.0, 4.0]
    """
    pooled = np.concatenate([np.abs(np.asarray(W, dtype=np.float64)).ravel() for W in weights])
    return [float(v) for v in np.percentile(pooled, q)]


def epoch_record(epoch, ce_sum, n_samples, pen_sums, n_steps, weights, test_accuracy,
                 val_accuracy, seconds, eval_seconds):
    """Assemble one history record (see the module docstring for the fields).

    Examples
    --------
    >>> r = epoch_record(1, 3.0, 2, [0.5, 1.5], 2, [np.eye(3)], 0.9, None, 1.25, 0.5)
    >>> r["train_ce"], r["penalty"], r["penalty_per_layer"], r["objective"], "val_accuracy" in r
    (1.5, 1.0, [0.25, 0.75], 2.5, False)
    """
    per_layer = [float(s) / n_steps for s in pen_sums]
    record = {
        "epoch": int(epoch),
        "train_ce": float(ce_sum) / n_samples,
        "penalty": float(sum(per_layer)),
        "penalty_per_layer": per_layer,
        "entropy_per_layer": entropy_per_layer(weights),
        "test_accuracy": float(test_accuracy),
        "seconds": float(seconds),
        "eval_seconds": float(eval_seconds),
        "abs_w_percentiles": abs_weight_percentiles(weights),
    }
    record["objective"] = record["train_ce"] + record["penalty"]
    if val_accuracy is not None:
        record["val_accuracy"] = float(val_accuracy)
    return record
