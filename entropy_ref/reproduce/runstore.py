"""Trained runs of a reproduction, cached on disk: a finished run is loaded, never retrained.

Every run lives in ``OUT/runs/<name>`` where the name spells out what defines it (regularizer,
lambda, seed, epochs, widths, training subset, validation split, and any non-default batch
size, learning rate or dtype), so equal settings share a directory. :meth:`RunStore.ensure`
loads a finished run, continues an interrupted one (the trainer's bit-identical ``resume``) and
trains a missing one; curves are cached next to the model (:mod:`.curves`).
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

from ..train import TrainConfig, load_run, train
from ..train.runio import MODEL, load_checkpoint
from .curves import compute_curve, float64_dataset, load_cached_curve, save_curve

__all__ = ["run_name", "RunStore"]

_DEFAULT = TrainConfig()
#: fields spelled out above, or that do not change the weights
_NAMED = {"reg", "lam", "seed", "epochs", "hidden", "train_subset", "val_size", "batch_size", "lr",
          "betas", "eps", "dtype", "data_dir", "out", "download"}
_LOG_PREFIXES = ("epoch ", "done", "resuming", "interrupted")


def run_name(config):
    """Directory name of a run: every setting that changes the trained weights.

    Examples
    --------
    >>> run_name(TrainConfig(reg="l1", lam=1e-4, seed=2, epochs=20))
    'l1_lam0.0001_seed2_ep20_h300-100_nall_val0'
    >>> run_name(TrainConfig(reg="none", epochs=1, hidden=(8,), train_subset=50, lr=1e-3))
    'none_lam1_seed0_ep1_h8_n50_val0_lr0.001'
    """
    lam = config.lam if isinstance(config.lam, tuple) else (config.lam,)
    parts = [config.reg, "lam" + ",".join(f"{v:.6g}" for v in lam), f"seed{config.seed}",
             f"ep{config.epochs}", "h" + "-".join(map(str, config.hidden)),
             f"n{config.train_subset or 'all'}", f"val{config.val_size}"]
    for field, tag in (("batch_size", "bs"), ("lr", "lr"), ("betas", "betas"), ("eps", "eps")):
        value = getattr(config, field)
        if value != getattr(_DEFAULT, field):
            values = value if isinstance(value, tuple) else (value,)
            parts.append(tag + ",".join(f"{v:g}" for v in values))
    if config.dtype != _DEFAULT.dtype:
        parts.append(config.dtype)
    for f in dataclasses.fields(config):          # any other option that changes the weights
        value = getattr(config, f.name)
        if f.name not in _NAMED and value != getattr(_DEFAULT, f.name):
            values = value if isinstance(value, tuple) else (value,)
            parts.append(f.name + ",".join("-" if v is None else str(v) for v in values))
    return "_".join(parts)


class RunStore:
    """Trains or reloads runs under ``root`` and computes or reloads their curves.

    Parameters
    ----------
    root : path-like
        Directory of the run directories.
    data : entropy_ref.data.MNIST
        The loaded images (shared by every run).
    log : callable
        Receives progress lines.
    """

    def __init__(self, root, data, log=print):
        self.root = Path(root)
        self.data = data
        self.log = log
        self._datasets = {}
        self.timing = {"train_seconds": 0.0, "curve_seconds": 0.0, "trained_epochs": 0,
                       "reused_runs": 0, "reused_curves": 0}

    def run_dir(self, config):
        """Where ``config``'s run lives."""
        return self.root / run_name(config)

    def ensure(self, config):
        """``(config, params, history)`` of a finished run, training what is missing.

        A run whose checkpoint already has ``config.epochs`` epochs is loaded; a shorter one is
        resumed; a missing one is trained. ``config.out`` is set to the run directory.
        """
        out = self.run_dir(config)
        config = dataclasses.replace(config, out=str(out))
        name = out.name
        if ((out / MODEL).is_file()
                and load_checkpoint(out, config.sizes, config.dtype)["epoch"] == config.epochs):
            self.timing["reused_runs"] += 1
            self.log(f"  [{name}] finished run reused")
            saved, params, history = load_run(out)
            return saved, params, history
        self.root.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()

        def log(line):
            if str(line).startswith(_LOG_PREFIXES):
                self.log(f"  [{name}] {line}")

        n_before = 0
        if (out / MODEL).is_file():
            n_before = load_checkpoint(out, config.sizes, config.dtype)["epoch"]
        result = train(config, data=self.data, log=log, resume=True, progress=False)
        self.timing["train_seconds"] += time.perf_counter() - t0
        self.timing["trained_epochs"] += len(result.history) - n_before
        return result.config, result.params, result.history

    def dataset(self, config):
        """float64 features for ``config``'s split and subset (cached in memory)."""
        key = (config.val_size, config.train_subset)
        if key not in self._datasets:
            self._datasets[key] = float64_dataset(config, self.data)
        return self._datasets[key]

    def curve(self, config, params, split="test", step=0.1, sensitivity_data="train",
              targets=None):
        """The pruning curve of a run (cached in its directory when settings and weights match)."""
        out = self.run_dir(config)
        cached = load_cached_curve(out, params, split, step, sensitivity_data)
        if cached is not None:
            self.timing["reused_curves"] += 1
            return cached
        t0 = time.perf_counter()
        curve = compute_curve(params, self.dataset(config), split, step, sensitivity_data)
        kwargs = {} if targets is None else {"targets": targets}
        save_curve(out, curve, params, split, step, sensitivity_data, **kwargs)
        seconds = time.perf_counter() - t0
        self.timing["curve_seconds"] += seconds
        self.log(f"  [{out.name}] {split} curve: {curve.percentile.size} points in "
                 f"{seconds:.1f}s (fast curve {curve.stats['seconds']:.1f}s)")
        return curve
