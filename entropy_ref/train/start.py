"""Where a training run starts: fresh weights, or the checkpoint of the same run (``resume``).

A checkpoint is resumed only when it is the checkpoint of the run asked for: the same settings
(every one but ``epochs``, ``out``, ``data_dir``, ``download``) and the same data (its
fingerprint). Otherwise the error names the difference in one line. ``epochs`` may grow (the run
continues, bit-identical to a run started with the larger number, and the log says that it
becomes a longer run) but not shrink below the epochs already done.
"""

from __future__ import annotations

import numpy as np

from ..mlp import check_params, init_mlp, layer_sizes
from ..optim import adam_init
from . import runio, runrecord
from .identity import mismatch, trajectory

__all__ = ["check_out", "start"]


def check_out(run_dir, resume, log) -> None:
    """Before the data is loaded: remove stale temporaries; an existing run needs ``resume``."""
    if run_dir is None:
        return
    runio.clean_run_dir(run_dir, log)      # temporaries of a writer killed mid-write
    if (run_dir / runio.MODEL).exists() and not resume:
        raise ValueError(f"{run_dir} already holds a run (model.npz); pass --resume to "
                         f"continue it, or choose another --out")


def start(config, run_dir, resume, log, identity):
    """Fresh state, or ``run_dir``'s checkpoint: ``(params, opt_state, epoch, rng, history)``.

    Parameters
    ----------
    config : TrainConfig
    run_dir : pathlib.Path or None
    resume : bool
    log : callable
    identity : dict
        The identity of the run asked for (:func:`.identity.run_identity`).
    """
    if run_dir is not None and (run_dir / runio.MODEL).exists():
        return _resume(config, run_dir, log, identity)
    if resume:
        log("nothing to resume" + (f" in {run_dir}" if run_dir else "") + ": starting afresh")
    rng = np.random.default_rng(config.seed)      # initialisation, then shuffling
    params = init_mlp(config.sizes, rng, np.dtype(config.dtype))
    return params, adam_init(params), 0, rng, []


def _resume(config, run_dir, log, identity):
    saved = runio.load_config(run_dir) if (run_dir / runio.CONFIG).is_file() else None
    ck = runio.load_checkpoint(run_dir, *((saved.sizes, saved.dtype) if saved else (None, None)))
    if ck["identity"] is None:
        raise ValueError(f"cannot resume {run_dir}: its checkpoint does not record which run it "
                         "belongs to")
    problem = mismatch(ck["identity"], trajectory(identity))
    if problem:
        raise ValueError(f"cannot resume {run_dir}: {problem}")
    if ck["epoch"] > config.epochs:
        raise ValueError(f"cannot resume {run_dir} as a {config.epochs}-epoch run: it already "
                         f"holds {ck['epoch']} epochs (epochs {ck['epoch']} -> {config.epochs})")
    record = runrecord.read_run_record(run_dir)
    params = ck["params"]
    check_params(params)
    if layer_sizes(params) != config.sizes or params["W"][0].dtype != np.dtype(config.dtype):
        raise ValueError(f"{run_dir}/model.npz does not match config.json (sizes or dtype)")
    rng = np.random.default_rng()
    rng.bit_generator.state = ck["rng_state"]
    history = runio.load_history(run_dir, ck["epoch"], len(config.sizes) - 1)
    if record is not None and record["epochs"] != config.epochs:
        log(f"{run_dir} was a {record['epochs']}-epoch run; it becomes a {config.epochs}-epoch "
            "run (epochs are part of what a run is)")
    log(f"resuming {run_dir} after epoch {ck['epoch']}")
    return params, ck["opt_state"], ck["epoch"], rng, history
