"""How much work is left, and how fast it goes: the estimate of a run and the progress tracker.

:func:`run_seconds` estimates the seconds a run (and its curve) still needs from what is on disk,
so estimates shrink as runs finish; :class:`Tracker` turns units of estimated work done into a
share of the total and an ETA, one line per unit.
"""

from __future__ import annotations

import time

from ..train.progress import format_duration
from ..train.runrecord import read_run_record

__all__ = ["SECONDS_PER_EPOCH", "SECONDS_PER_CURVE", "split_seconds", "run_seconds", "Tracker"]

#: seconds per epoch of LeNet300 on 60,000 images on the project's 2-core machine (measured);
#: the estimate scales it by images and weights
SECONDS_PER_EPOCH = {"none": 1.2, "l1": 1.3, "hoyer": 1.35, "loghoyer": 1.4, "sparsity": 2.0,
                     "entropy": 2.0, "rayleigh": 2.0}
#: seconds of one 1,001-point (step 0.1) sensitivity + curve computation of LeNet300 (idle)
SECONDS_PER_CURVE = 10.5
_N_LENET = 784 * 300 + 300 * 100 + 100 * 10


def _epochs_done(run_dir) -> int:
    try:
        rec = read_run_record(run_dir)
    except (ValueError, OSError):
        return 0
    return 0 if rec is None else rec["epoch"]


def split_seconds(store, config, n_train_all, curve_step=None, factor=1.0):
    """Estimated seconds still needed to train ``config`` and to compute its curve: a pair.

    Parameters
    ----------
    store : RunStore
    config : TrainConfig
    n_train_all : int
        Training images before the validation split.
    curve_step : float, optional
        Step of the run's curve (None: no curve).
    factor : float
        Scales the training time (a slower variant of the regularizer).
    """
    out = store.run_dir(config)
    done = min(_epochs_done(out), config.epochs)
    n_img = config.train_subset or n_train_all - config.val_size
    sizes = config.sizes
    n_w = sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
    per_epoch = SECONDS_PER_EPOCH.get(config.reg, 2.0) * n_img / 60000 * n_w / _N_LENET * factor
    curve = 0.0
    if curve_step is not None:
        split = "val" if config.val_size else "test"
        if not store.has_curve_files(config, split):
            curve = SECONDS_PER_CURVE * n_w / _N_LENET * (n_img + 10000) / 70000 \
                * 0.1 / curve_step
    return (config.epochs - done) * per_epoch, curve


def run_seconds(store, config, n_train_all, curve_step=None, factor=1.0) -> float:
    """Estimated seconds still needed to train ``config`` (and compute its curve): the sum of
    :func:`split_seconds`."""
    return sum(split_seconds(store, config, n_train_all, curve_step, factor))


class Tracker:
    """Share of the estimated work done and the ETA, logged after every unit of work."""

    def __init__(self, total, log):
        self.total, self.done, self.log = float(total), 0.0, log
        self.t0 = time.perf_counter()

    def eta(self) -> str:
        """``"42% of the estimate done, 1m 05s elapsed, ETA 1m 30s"``."""
        elapsed = time.perf_counter() - self.t0
        rate = elapsed / self.done if self.done else 1.0
        left = max(0.0, self.total - self.done) * rate
        share = 100 * min(1.0, self.done / self.total) if self.total else 100
        return (f"{share:.0f}% of the estimate done, {format_duration(elapsed)} elapsed, "
                f"ETA {format_duration(left)}")

    def step(self, estimate, what):
        """Count ``estimate`` seconds of planned work as done and log progress."""
        self.done += estimate
        if estimate <= 0:
            return
        self.log(f"[progress] {what}: {self.eta()}")
