"""Trained runs of a reproduction, cached on disk: a finished run is loaded, never retrained.

Every run lives in ``OUT/runs/<name>`` where the name spells out what defines it (regularizer,
lambda, seed, epochs, widths, training subset, validation split, and any non-default batch
size, learning rate or dtype), so equal settings share a directory. What a directory holds is
known from its commit record (:mod:`entropy_ref.train.runrecord`): a run is reused only when the
record names exactly the run asked for (every setting and the data fingerprint) and every file
matches it. A directory that holds another run (other data, or extended by hand to more epochs)
is never touched: the run goes to the first free sibling ``<name>.2``, ``<name>.3``, ...; a
corrupt one is moved aside to ``<name>.corrupt-N`` (said in the log) and trained again.
:meth:`RunStore.ensure` loads a finished run, continues an interrupted one (the trainer's
bit-identical ``resume``) and trains a missing one; curves are cached next to the model
(:mod:`.curves`), committed by their ``curve.json``.
"""

from __future__ import annotations

import dataclasses
import itertools
import time
from pathlib import Path

from ..data import data_fingerprint
from ..errors import CorruptFileError
from ..storage.identity import digest
from ..storage.lock import lock_directory
from ..train import TrainConfig, load_run, train
from ..train.identity import run_identity
from ..train.runrecord import committed_run
from .curves import compute_curve, curve_files, float64_dataset, load_cached_curve, save_curve

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


def _status(run_dir, identity):
    """:func:`committed_run`, with a corrupt directory reported as ``("corrupt", error)``."""
    try:
        return committed_run(run_dir, identity)
    except CorruptFileError as exc:
        return "corrupt", exc


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
        self.fingerprint = data_fingerprint(data)
        self._datasets, self._dirs = {}, {}
        self.timing = {"train_seconds": 0.0, "curve_seconds": 0.0, "trained_epochs": 0,
                       "reused_runs": 0, "reused_curves": 0}

    def identity(self, config):
        """The run identity of ``config`` on this store's data."""
        return run_identity(config, self.fingerprint)

    def run_dir(self, config):
        """Where ``config``'s run lives: ``<name>``, or the first sibling not holding another."""
        ident = self.identity(config)
        key = digest(ident)
        if key not in self._dirs:
            base = self.root / run_name(config)
            for k in itertools.count(1):
                d = base if k == 1 else base.with_name(f"{base.name}.{k}")
                status, why = _status(d, ident)
                if status != "other":
                    break
                self.log(f"  [{d.name}] holds another run ({why}): left as it is")
            self._dirs[key] = d
        return self._dirs[key]

    def finished(self, config):
        """True when ``config``'s run is finished and committed (nothing is loaded)."""
        return _status(self.run_dir(config), self.identity(config))[0] == "finished"

    def _set_aside(self, run_dir, why):
        for k in itertools.count(1):
            aside = run_dir.with_name(f"{run_dir.name}.corrupt-{k}")
            if not aside.exists():
                break
        run_dir.rename(aside)
        self.log(f"  [{run_dir.name}] {why}; moved to {aside.name} and trained again")

    def ensure(self, config):
        """``(config, params, history)`` of a finished run, training what is missing.

        A run committed with all its epochs is loaded; a shorter one is resumed; a missing one
        is trained; a corrupt one is moved aside and trained again. ``config.out`` is set to
        the run directory.
        """
        ident = self.identity(config)
        out = self.run_dir(config)
        config = dataclasses.replace(config, out=str(out))
        name = out.name
        status, detail = _status(out, ident)
        if status == "finished":
            try:
                saved, params, history = load_run(out)
            except CorruptFileError as exc:
                status, detail = "corrupt", exc
            else:
                self.timing["reused_runs"] += 1
                self.log(f"  [{name}] finished run reused")
                return saved, params, history
        if status == "other":                        # changed since it was located
            del self._dirs[digest(ident)]
            return self.ensure(config)
        if status == "corrupt":
            self._set_aside(out, detail)
        self.root.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()

        def log(line):
            if str(line).startswith(_LOG_PREFIXES):
                self.log(f"  [{name}] {line}")

        result = train(config, data=self.data, log=log, resume=True, progress=False)
        self.timing["train_seconds"] += time.perf_counter() - t0
        self.timing["trained_epochs"] += result.epochs_trained
        return result.config, result.params, result.history

    def dataset(self, config):
        """float64 features for ``config``'s split and subset (cached in memory)."""
        key = (config.val_size, config.train_subset)
        if key not in self._datasets:
            self._datasets[key] = float64_dataset(config, self.data)
        return self._datasets[key]

    def curve_source(self, config):
        """What ties a curve to its run and data (see :func:`.curves.curve_identity`)."""
        return {"run": digest(self.identity(config)), "data": self.fingerprint}

    def cached_curve(self, config, params, split="test", step=0.1, sensitivity_data="train"):
        """The committed curve of a run, or None (a corrupt one is reported and ignored)."""
        out = self.run_dir(config)
        try:
            return load_cached_curve(out, params, split, step, sensitivity_data,
                                     self.curve_source(config))
        except CorruptFileError as exc:
            self.log(f"  [{out.name}] {exc}; computing the curve again")
            return None

    def has_curve_files(self, config, split="test"):
        """True when both files of a curve exist (for estimates; not a check of their content)."""
        return all(p.is_file() for p in curve_files(self.run_dir(config), split))

    def curve(self, config, params, split="test", step=0.1, sensitivity_data="train",
              targets=None):
        """The pruning curve of a run (cached in its directory when it is this curve)."""
        out = self.run_dir(config)
        cached = self.cached_curve(config, params, split, step, sensitivity_data)
        if cached is not None:
            self.timing["reused_curves"] += 1
            return cached
        t0 = time.perf_counter()
        curve = compute_curve(params, self.dataset(config), split, step, sensitivity_data)
        kwargs = {} if targets is None else {"targets": targets}
        with lock_directory(out):
            save_curve(out, curve, params, split, step, sensitivity_data,
                       source=self.curve_source(config), **kwargs)
        seconds = time.perf_counter() - t0
        self.timing["curve_seconds"] += seconds
        self.log(f"  [{out.name}] {split} curve: {curve.percentile.size} points in "
                 f"{seconds:.1f}s (fast curve {curve.stats['seconds']:.1f}s)")
        return curve
