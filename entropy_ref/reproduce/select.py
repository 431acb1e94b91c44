"""Choosing the baselines' lambda on a validation split carved from the training set.

Protocol (never looks at the test set): hold out the **last** ``select_val_size`` training
images; for each lambda of the regularizer's grid train seed 0 on the remaining images for
``select_epochs`` epochs; compute its sensitivity-pruning curve with the sensitivity taken on
those training images and the accuracy measured on the held-out images; pick the lambda that
needs the **fewest nonzero weights to reach ``select_target`` validation accuracy** (the paper's
own figure of merit). Ties, and the case where no lambda reaches the target, are decided by the
higher best validation accuracy along the curve. The chosen lambda is then used to train the
real runs on the full training set.
"""

from __future__ import annotations

import math

from ..prune import accuracy_targets
from ..train import TrainConfig

__all__ = ["selection_config", "select_lambda", "choose"]


def selection_config(settings, reg, lam, extra=None):
    """The :class:`TrainConfig` of one validation run (``extra``: more TrainConfig fields)."""
    return TrainConfig(reg=reg, lam=float(lam), epochs=settings.select_epochs or settings.epochs,
                       batch_size=settings.batch_size, lr=settings.lr, seed=0,
                       dtype=settings.dtype, data_dir=settings.data_dir,
                       train_subset=settings.train_subset, val_size=settings.select_val_size,
                       hidden=settings.hidden, **(extra or {}))


def choose(rows):
    """Index of the winning row: fewest nonzero at target, then best validation accuracy.

    Examples
    --------
    >>> choose([{"nonzero_at_target": None, "best_val_accuracy": 0.9},
    ...         {"nonzero_at_target": 500, "best_val_accuracy": 0.95},
    ...         {"nonzero_at_target": 800, "best_val_accuracy": 0.97}])
    1
    >>> choose([{"nonzero_at_target": None, "best_val_accuracy": 0.8},
    ...         {"nonzero_at_target": None, "best_val_accuracy": 0.85}])
    1
    """
    def key(i):
        nz = rows[i]["nonzero_at_target"]
        return (math.inf if nz is None else nz, -rows[i]["best_val_accuracy"])
    return min(range(len(rows)), key=key)


def select_lambda(store, settings, reg, log=print, extra=None):
    """Run the validation sweep of ``reg`` and return its record (``chosen`` is the lambda).

    Parameters
    ----------
    store : RunStore
    settings : ReproSettings
    reg : str
    log : callable
    extra : dict, optional
        More :class:`TrainConfig` fields of the runs (e.g. a layer layout).

    Returns
    -------
    record : dict
        ``{"reg", "grid", "target", "val_size", "epochs", "rows": [...], "chosen"}`` where each
        row has ``lam``, ``unpruned_val_accuracy``, ``best_val_accuracy``,
        ``nonzero_at_target`` (None when not reached) and ``run``.
    """
    grid = settings.grid_for(reg)
    log(f"selecting lambda for {reg} on a {settings.select_val_size}-image validation split: "
        f"grid {', '.join(f'{v:g}' for v in grid)}")
    rows = []
    for lam in grid:
        config = selection_config(settings, reg, lam, extra)
        config, params, history = store.ensure(config)
        curve = store.curve(config, params, split="val", step=settings.step,
                            sensitivity_data="train", targets=(settings.select_target,))
        hit = accuracy_targets(curve, (settings.select_target,))[settings.select_target]
        rows.append({"lam": float(lam), "unpruned_val_accuracy": float(curve.test_accuracy[0]),
                     "best_val_accuracy": float(curve.test_accuracy.max()),
                     "nonzero_at_target": None if hit is None else hit[0],
                     "run": store.run_dir(config).name,
                     "train_seconds": float(sum(h.get("seconds", 0.0) for h in history)),
                     "curve_seconds": float(curve.stats.get("seconds", 0.0))
                     + float(curve.stats.get("sensitivity_seconds", 0.0))})
    best = choose(rows)
    chosen = rows[best]["lam"]
    log(f"  {reg}: chose lambda {chosen:g}")
    return {"reg": reg, "grid": [float(v) for v in grid], "target": settings.select_target,
            "val_size": settings.select_val_size,
            "epochs": settings.select_epochs or settings.epochs, "rows": rows, "chosen": chosen}
