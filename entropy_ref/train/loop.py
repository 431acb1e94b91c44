"""The training loop: start or resume a run, train epoch by epoch, record and checkpoint."""

from __future__ import annotations

import time
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from .. import regularizers
from ..data import data_fingerprint, load_mnist
from ..storage.lock import lock_directory
from ..validation.weights import broadcast_lam
from ..mlp import accuracy, n_weights
from ..optim import AdamHP
from . import runio, runrecord
from .config import TrainConfig
from .identity import run_identity
from .progress import InEpochProgress, epoch_line, format_duration
from .start import check_out, start
from .stats import epoch_record
from .step import TrainingDivergedError, overflow_message, pack_state, run_epoch

__all__ = ["RunResult", "Dataset", "prepare_data", "train"]


@dataclass
class RunResult:
    """What :func:`train` returns.

    Attributes
    ----------
    config : TrainConfig
    params : dict
        Final weights and biases.
    history : list of dict
        One record per completed epoch (see :mod:`entropy_ref.train.stats`).
    run_dir : pathlib.Path or None
    opt_state : dict
        Final Adam state.
    epochs_trained : int
        Epochs trained by this call (0 when the checkpoint already had them all).
    """

    config: TrainConfig
    params: dict
    history: list
    run_dir: Path | None
    opt_state: dict
    epochs_trained: int = 0

    @property
    def test_accuracy(self):
        """Test accuracy after the last epoch (``None`` before any epoch)."""
        return self.history[-1]["test_accuracy"] if self.history else None


class Dataset(NamedTuple):
    """Features (N, 784) in [0, 1] of the training dtype and int64 labels."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray | None
    y_val: np.ndarray | None
    X_test: np.ndarray
    y_test: np.ndarray


def prepare_data(config, data=None):
    """Load MNIST (unless ``data`` is given) and apply the validation split and training subset.

    The validation set is the LAST ``config.val_size`` training images (the same for every seed,
    so runs with different seeds are compared on the same images); the training set is the rest,
    cut to its first ``config.train_subset`` images when that is set.
    """
    from ..data import load_mnist, to_features

    if data is None:
        data = load_mnist(config.data_dir, download=config.download)
    dtype = np.dtype(config.dtype)
    n_all = len(data.train_images)
    n_fit = n_all - config.val_size
    if n_fit < 1:
        raise ValueError(f"val_size={config.val_size} leaves no training images (there are "
                         f"{n_all})")
    if config.train_subset is not None and config.train_subset > n_fit:
        raise ValueError(f"train_subset={config.train_subset} exceeds the {n_fit} training images "
                         f"available (after holding out val_size={config.val_size})")
    n_train = n_fit if config.train_subset is None else config.train_subset
    labels = data.train_labels.astype(np.int64)
    X_val = y_val = None
    if config.val_size:
        X_val, y_val = to_features(data.train_images[n_fit:], dtype), labels[n_fit:]
    return Dataset(to_features(data.train_images[:n_train], dtype), labels[:n_train],
                   X_val, y_val, to_features(data.test_images, dtype),
                   data.test_labels.astype(np.int64))


def _diverged(exc, epoch, config):
    """The divergence message with a hint naming what to change: lambda first when a penalty
    is on (a huge lambda makes the penalty gradient dwarf the cross-entropy's), then lr."""
    what = str(exc).removesuffix("; try a smaller learning rate")
    lr = f"a smaller learning rate (--lr, now {config.lr:g})"
    if regularizers.get(config.reg).trivial:
        hint = f"try {lr}"
    else:
        hint = (f"try a smaller penalty weight (--lam, now lambda = {config.lam}: the "
                f"{config.reg} penalty's gradient scales with lambda) or {lr}")
    return f"training diverged in epoch {epoch}: {what}; {hint}"


def train(config, data=None, log=print, resume=False, progress=None):
    """Train LeNet300 (or ``config.hidden``) on MNIST with Adam and ``config.reg``.

    Parameters
    ----------
    config : TrainConfig
    data : entropy_ref.data.MNIST, optional
        Preloaded data (saves reloading across many runs); default: ``load_mnist(config.data_dir)``.
    log : callable, default print
        Receives every line the trainer reports; ``lambda *a: None`` silences it.
    resume : bool, default False
        Continue the checkpoint in ``config.out`` (bit-identical to an uninterrupted run); it must
        be a checkpoint of the same settings and data (:mod:`.start`). Without it, an existing
        checkpoint there is an error rather than being overwritten.
    progress : bool, optional
        In-epoch progress on stderr; default: only when stderr is a terminal.

    Returns
    -------
    RunResult

    Notes
    -----
    With ``config.out``, the run directory is locked while it is written (a second writer gets
    one line naming this one), and after every epoch ``history.json``, ``model.npz`` and the
    commit record ``run.json`` are written, in that order (:mod:`.runio`).

    Examples
    --------
    >>> import tempfile
    >>> from entropy_ref.data import load_mnist, write_synthetic_mnist
    >>> with tempfile.TemporaryDirectory() as d:
    ...     data = load_mnist(write_synthetic_mnist(d, 200, 50), verbose=False)
    >>> r = train(TrainConfig(reg="none", epochs=2, hidden=(20,)), data=data, log=lambda *a: None)
    >>> len(r.history), 0 <= r.test_accuracy <= 1
    (2, True)
    """
    _check_config(config)
    run_dir = None if config.out is None else Path(config.out)
    with nullcontext() if run_dir is None else lock_directory(run_dir):
        return _train(config, data, log, resume, progress, run_dir)


def _train(config, data, log, resume, progress, run_dir):
    """:func:`train` once the run directory (if any) is locked."""
    reg = regularizers.with_layout(regularizers.get(config.reg), config.layout)
    lams = broadcast_lam(config.lam, len(config.sizes) - 1, config.reg)
    check_out(run_dir, resume, log)
    if data is None:
        data = load_mnist(config.data_dir, download=config.download)
    identity = run_identity(config, data_fingerprint(data))
    params, opt_state, epoch0, rng, history = start(config, run_dir, resume, log, identity)
    _log_configuration(config, params, log)
    if epoch0 >= config.epochs:
        log(f"nothing to do: the run already has {epoch0} of {config.epochs} epochs")
        if run_dir is not None:
            runrecord.ensure_committed(run_dir, config, identity, epoch0)
        return RunResult(config, params, history, run_dir, opt_state)
    ds = prepare_data(config, data)
    log(f"  data         = {len(ds.X_train):,} training, "
        f"{0 if ds.X_val is None else len(ds.X_val):,} validation, {len(ds.X_test):,} test images")
    if run_dir is not None:
        runio.write_json(run_dir / runio.CONFIG, config.to_dict())
        log(f"  saved to     {run_dir / runio.CONFIG}")
    hp = AdamHP(lr=config.lr, beta1=config.betas[0], beta2=config.betas[1], eps=config.eps)
    state = pack_state(params, opt_state, min(config.batch_size, len(ds.X_train)))
    run = _Run(config, ds, state, rng, reg, lams, hp, run_dir, history, log, progress, identity)
    durations = run.epochs(epoch0)
    log(f"done: {len(durations)} epoch(s) in {format_duration(sum(durations))}, "
        f"test accuracy {100 * history[-1]['test_accuracy']:.2f}%")
    return RunResult(config, state.params, history, run_dir, state.opt_state, len(durations))


def _check_config(config) -> None:
    if not isinstance(config, TrainConfig):
        raise TypeError(f"train: config must be a TrainConfig, got {type(config).__name__}")
    if config.out is not None and not str(config.out).strip():
        raise ValueError("out must name a run directory, got an empty string (it would write "
                         "into the current directory); use '.' for that, or None to write nothing")


def _log_configuration(config, params, log) -> None:
    log("entropy-ref train: configuration (all values, defaults included)")
    for line in config.describe():
        log(line)
    log(f"  network      = {'-'.join(map(str, config.sizes))} ReLU MLP, "
        f"{n_weights(params):,} weights")


@dataclass
class _Run:
    """Everything the epochs of one :func:`train` call share (the state is updated in place)."""

    config: TrainConfig
    ds: Dataset
    state: object          # step.PackedState: params and Adam state are views into it
    rng: np.random.Generator
    reg: object
    lams: list
    hp: AdamHP
    run_dir: Path | None
    history: list
    log: object
    progress: bool | None
    identity: dict

    def epochs(self, epoch0: int) -> list:
        """Train epochs ``epoch0 + 1 .. config.epochs``, checkpointing each; their durations."""
        config, durations, epoch, saved = self.config, [], epoch0, epoch0
        try:
            for epoch in range(epoch0 + 1, config.epochs + 1):
                t0 = time.perf_counter()
                record = self.epoch(epoch)
                self.history.append(record)
                if self.run_dir is not None:     # history, checkpoint, then the record
                    runio.write_history(self.run_dir, self.history)
                    runio.save_checkpoint(self.run_dir, self.state.params, self.state.opt_state,
                                          epoch, self.rng, self.identity)
                    runrecord.commit_run(self.run_dir, self.identity, epoch)
                    saved = epoch
                durations.append(time.perf_counter() - t0)
                eta = float(np.mean(durations)) * (config.epochs - epoch)
                self.log(epoch_line(record, config.epochs, config.reg, eta))
        except KeyboardInterrupt:
            where = f"; {self.run_dir} holds epoch {saved}" if self.run_dir else ""
            self.log(f"interrupted during epoch {epoch}{where}")
            raise
        return durations

    def epoch(self, epoch: int) -> dict:
        """One epoch of training, then the evaluation: the epoch's history record."""
        ds, params = self.ds, self.state.params
        n_steps = -(-len(ds.X_train) // self.config.batch_size)
        bar = InEpochProgress(epoch, self.config.epochs, n_steps, enabled=self.progress)
        t0 = time.perf_counter()
        try:
            ce_sum, pen_sums, steps = run_epoch(self.state, ds.X_train, ds.y_train, self.rng,
                                                self.reg, self.lams, self.hp, bar)
        except TrainingDivergedError as exc:
            raise TrainingDivergedError(_diverged(exc, epoch, self.config)) from None
        finally:
            bar.close()
        t1 = time.perf_counter()
        try:
            test_acc = accuracy(params, ds.X_test, ds.y_test)
            val_acc = None if ds.X_val is None else accuracy(params, ds.X_val, ds.y_val)
            return epoch_record(epoch, ce_sum, len(ds.X_train), pen_sums, steps, params["W"],
                                test_acc, val_acc, t1 - t0, time.perf_counter() - t1)
        except RuntimeWarning as exc:           # -W error: the weights of the last step overflow
            what = overflow_message(exc, steps, ce_sum / len(ds.X_train), evaluating=True)
            raise TrainingDivergedError(_diverged(what, epoch, self.config)) from None
