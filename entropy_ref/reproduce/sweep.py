"""The sign and lambda question, measured: ``sparsity`` (``+lam l_C``) vs ``entropy`` (``+H_C``).

The paper trains with ``lam = 1`` and says nothing about whether its cross-entropy was a batch
mean or a batch sum; with a batch of 100 the sum reading is ``lam = 0.01`` in our (mean) terms.
The sweep trains seed 0 under the main protocol (full training set, ``sweep_epochs`` epochs) for
both signs and every ``lam`` of ``sweep_grid`` (default 0.001 ... 3, which contains both
readings), plus a dense reference at the same epochs, and records the unpruned test accuracy, the
final ``H_C`` of each layer and the nonzero weights needed for 95/96/97% test accuracy. A
combination whose training diverges (NaN loss) is recorded as such (``diverged``: the message)
instead of stopping the sweep.
"""

from __future__ import annotations

from ..prune import accuracy_targets
from ..train import TrainConfig, TrainingDivergedError

__all__ = ["SWEEP_TARGETS", "main_config", "run_record", "lambda_sweep"]

#: accuracies reported by the sweep
SWEEP_TARGETS = (0.95, 0.96, 0.97)


def main_config(settings, reg, lam, seed, epochs=None):
    """The :class:`TrainConfig` of a main-protocol run (full training set, no validation split)."""
    return TrainConfig(reg=reg, lam=float(lam), epochs=epochs or settings.epochs,
                       batch_size=settings.batch_size, lr=settings.lr, seed=seed,
                       dtype=settings.dtype, data_dir=settings.data_dir,
                       train_subset=settings.train_subset, val_size=0, hidden=settings.hidden)


def run_record(store, config, params, history, curve, targets):
    """JSON-ready facts about one trained and pruned run."""
    last = history[-1] if history else {}
    return {
        "seed": config.seed, "reg": config.reg, "lam": float(config.lam),
        "run": store.run_dir(config).name,
        "unpruned_accuracy": float(curve.test_accuracy[0]),
        "trainer_test_accuracy": last.get("test_accuracy"),
        "entropy_per_layer": last.get("entropy_per_layer"),
        "targets": {f"{t:g}": (None if v is None else list(v))
                    for t, v in accuracy_targets(curve, targets).items()},
        "epochs": len(history),
        "train_seconds": float(sum(h.get("seconds", 0.0) for h in history)),
        "curve_seconds": float(curve.stats.get("seconds", 0.0)),
        "sensitivity_seconds": float(curve.stats.get("sensitivity_seconds", 0.0)),
        "curve_cached": bool(curve.stats.get("cached", False)),
    }


def lambda_sweep(store, settings, log=print):
    """Train and prune every (sign, lambda) of the sweep; return its JSON-ready record."""
    epochs = settings.sweep_epochs or settings.epochs
    targets = tuple(sorted(set(SWEEP_TARGETS) | set(settings.targets)))
    grid = ", ".join(f"{v:g}" for v in settings.sweep_grid)
    log(f"lambda sweep: sparsity and entropy at lambda {grid} ({epochs} epochs, seed 0)")
    rows = []
    for reg, grid in (("none", (0.0,)), ("sparsity", settings.sweep_grid),
                      ("entropy", settings.sweep_grid)):
        for lam in grid:
            config = main_config(settings, reg, lam, 0, epochs)
            try:
                config, params, history = store.ensure(config)
            except TrainingDivergedError as exc:
                log(f"  [{store.run_dir(config).name}] diverged: {exc}")
                rows.append({"reg": reg, "lam": float(lam), "run": store.run_dir(config).name,
                             "diverged": str(exc), "unpruned_accuracy": None,
                             "entropy_per_layer": None,
                             "targets": {f"{t:g}": None for t in targets}})
                continue
            curve = store.curve(config, params, "test", settings.step, settings.sensitivity_data,
                                targets)
            rows.append(run_record(store, config, params, history, curve, targets))
    return {"epochs": epochs, "seed": 0, "grid": [float(v) for v in settings.sweep_grid],
            "targets": list(SWEEP_TARGETS), "rows": rows}
