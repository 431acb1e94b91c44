"""Run-directory I/O: ``config.json``, ``history.json`` and ``model.npz``, all written atomically.

Layout of ``RUN_DIR``:

``config.json``
    :meth:`TrainConfig.to_dict`, written once when the run starts.
``history.json``
    ``{"format": 1, "epochs": [record, ...]}`` with one record per completed epoch (see
    :func:`entropy_ref.train.stats.epoch_record`).
``model.npz``
    ``W0, W1, ..., b0, b1, ...`` (float arrays), ``adam_t``, ``adam_m_W0``, ``adam_v_W0``, ...,
    ``epoch`` (completed epochs) and ``rng_state`` (JSON of the shuffling generator's
    ``bit_generator.state``). Loadable with plain ``numpy.load``.

Every file is written to a temporary file in the same directory and moved into place with
``os.replace``, so an interrupted run (Ctrl-C, crash, power loss) leaves the previous complete
version. After each epoch ``history.json`` is written first and ``model.npz`` last: the checkpoint
is the commit point, and :func:`load_checkpoint` drops history records past its epoch.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np

from .._atomic import atomic_write_bytes
from .config import TrainConfig

__all__ = ["CONFIG", "HISTORY", "MODEL", "atomic_write_bytes", "write_json", "read_json",
           "save_checkpoint", "load_checkpoint", "load_history", "write_history", "load_config",
           "load_run"]

CONFIG, HISTORY, MODEL = "config.json", "history.json", "model.npz"
_FORMAT = 1


def write_json(path, obj):
    """Atomically write ``obj`` as indented JSON."""
    atomic_write_bytes(path, (json.dumps(obj, indent=1) + "\n").encode())


def read_json(path, what):
    """Read a JSON file; a clear ``ValueError`` (naming ``what``) when it is corrupt."""
    try:
        return json.loads(Path(path).read_text())
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: corrupt {what} ({exc})") from None


def save_checkpoint(run_dir, params, opt_state, epoch, rng):
    """Atomically write ``model.npz``: parameters, Adam state, completed epochs, RNG state.

    Examples
    --------
    >>> import tempfile
    >>> from entropy_ref.mlp import init_mlp; from entropy_ref.optim import adam_init
    >>> p, rng = init_mlp((4, 3, 2)), np.random.default_rng(0)
    >>> with tempfile.TemporaryDirectory() as d:
    ...     save_checkpoint(d, p, adam_init(p), 1, rng)
    ...     ck = load_checkpoint(d)
    >>> ck["epoch"], bool(np.array_equal(ck["params"]["W"][1], p["W"][1]))
    (1, True)
    """
    arrays = {"format": np.array(_FORMAT), "epoch": np.array(int(epoch)),
              "adam_t": np.array(int(opt_state["t"])),
              "rng_state": np.array(json.dumps(rng.bit_generator.state))}
    for key in ("W", "b"):
        for l, a in enumerate(params[key]):
            arrays[f"{key}{l}"] = a
            arrays[f"adam_m_{key}{l}"] = opt_state["m"][key][l]
            arrays[f"adam_v_{key}{l}"] = opt_state["v"][key][l]
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    atomic_write_bytes(Path(run_dir) / MODEL, buf.getvalue())


def load_checkpoint(run_dir):
    """Read ``model.npz`` back: ``{"params", "opt_state", "epoch", "rng_state"}``.

    Raises ``FileNotFoundError`` when it is missing and ``ValueError`` when it is unreadable.
    """
    path = Path(run_dir) / MODEL
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no checkpoint (model.npz) in this run directory")
    try:
        with np.load(path, allow_pickle=False) as z:
            data = {k: z[k] for k in z.files}
        n = sum(1 for k in data if k.startswith("W"))
        params = {key: [data[f"{key}{l}"] for l in range(n)] for key in ("W", "b")}
        opt_state = {"t": int(data["adam_t"]),
                     "m": {key: [data[f"adam_m_{key}{l}"] for l in range(n)] for key in "Wb"},
                     "v": {key: [data[f"adam_v_{key}{l}"] for l in range(n)] for key in "Wb"}}
        epoch, rng_state = int(data["epoch"]), json.loads(str(data["rng_state"]))
    except (OSError, KeyError, ValueError, EOFError) as exc:
        raise ValueError(f"{path}: corrupt checkpoint ({type(exc).__name__}: {exc})") from None
    return {"params": params, "opt_state": opt_state, "epoch": epoch, "rng_state": rng_state}


def load_history(run_dir, epoch=None):
    """History records of a run dir (``[]`` if absent), truncated to ``epoch`` records if given."""
    path = Path(run_dir) / HISTORY
    if not path.is_file():
        records = []
    else:
        obj = read_json(path, "history")
        if not isinstance(obj, dict) or not isinstance(obj.get("epochs"), list):
            raise ValueError(f"{path}: corrupt history (expected an object with an 'epochs' list)")
        records = obj["epochs"]
    if epoch is not None:
        if len(records) < epoch:
            raise ValueError(f"{path}: has {len(records)} epoch records but the checkpoint is at "
                             f"epoch {epoch}")
        records = records[:epoch]
    return records


def write_history(run_dir, records):
    """Atomically write ``history.json``."""
    write_json(Path(run_dir) / HISTORY, {"format": _FORMAT, "epochs": records})


def load_config(run_dir):
    """The :class:`TrainConfig` saved in ``RUN_DIR/config.json``."""
    path = Path(run_dir) / CONFIG
    if not path.is_file():
        raise FileNotFoundError(f"{path}: not a run directory (no config.json)")
    obj = read_json(path, "config")
    if not isinstance(obj, dict):
        raise ValueError(f"{path}: corrupt config (expected a JSON object)")
    return TrainConfig.from_dict(obj)


def load_run(run_dir):
    """Load a finished or interrupted run: ``(config, params, history)``.

    Parameters
    ----------
    run_dir : str or path-like

    Returns
    -------
    config : TrainConfig
    params : dict
        Weights ``{"W": [...], "b": [...]}`` after the last completed epoch.
    history : list of dict
        One record per completed epoch.
    """
    config = load_config(run_dir)
    ck = load_checkpoint(run_dir)
    return config, ck["params"], load_history(run_dir, ck["epoch"])
