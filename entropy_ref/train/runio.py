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
import re
from pathlib import Path

import numpy as np

from ..storage.atomic import atomic_write_bytes, clean_stale_temps
from ..storage.readers import corrupt, read_json, read_npz
from .config import TrainConfig

__all__ = ["CONFIG", "HISTORY", "MODEL", "atomic_write_bytes", "write_json", "read_json",
           "save_checkpoint", "load_checkpoint", "load_history", "write_history", "load_config",
           "load_run", "clean_run_dir"]

CONFIG, HISTORY, MODEL = "config.json", "history.json", "model.npz"
_FORMAT = 1


def write_json(path, obj):
    """Atomically write ``obj`` as indented JSON."""
    atomic_write_bytes(path, (json.dumps(obj, indent=1) + "\n").encode())


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


_SCALARS = {"format": "i", "epoch": "i", "adam_t": "i", "rng_state": "U"}


def _checkpoint_problem(headers, sizes, dtype):
    """What is wrong with the declared arrays of a checkpoint (None if nothing), before reading."""
    for key, kind in _SCALARS.items():
        if key not in headers:
            return f"no {key!r} array"
        shape, dt = headers[key]
        if shape != () or dt.kind not in ("iu" if kind == "i" else "U"):
            return f"{key!r} is {dt} of shape {shape}, expected a single " + (
                "integer" if kind == "i" else "string")
    if headers["rng_state"][1].itemsize > 2**20:
        return "'rng_state' is implausibly long"
    n = 0
    while f"W{n}" in headers:
        n += 1
    if n == 0:
        return "no weight matrices (W0, W1, ...)"
    expected = {f"{prefix}{key}{l}" for l in range(n) for key in ("W", "b")
                for prefix in ("", "adam_m_", "adam_v_")}
    missing = sorted(expected - set(headers))
    if missing:
        return f"no {missing[0]!r} array"
    extra = sorted(set(headers) - expected - set(_SCALARS))
    if extra:
        return f"unexpected array {extra[0]!r} (the weights are W0..W{n - 1})"
    shapes = [headers[f"W{l}"][0] for l in range(n)]
    dt = headers["W0"][1]
    if dt.kind != "f":
        return f"W0 has dtype {dt}, expected a floating type"
    if dtype is not None and dt != np.dtype(dtype):
        return f"W0 has dtype {dt}, but config.json says {np.dtype(dtype)}"
    for l, shape in enumerate(shapes):
        if len(shape) != 2:
            return f"W{l} has shape {shape}, expected a matrix"
        if l and shape[1] != shapes[l - 1][0]:
            return f"W{l} has shape {shape}, which does not chain with W{l - 1} {shapes[l - 1]}"
        want = {"W": shape, "b": (shape[0],)}
        for key in ("W", "b"):
            for prefix in ("", "adam_m_", "adam_v_"):
                name = f"{prefix}{key}{l}"
                if headers[name] != (want[key], dt):
                    return (f"{name} is {headers[name][1]} of shape {headers[name][0]}, expected "
                            f"{dt} of shape {want[key]}")
    if sizes is not None:
        found = (shapes[0][1],) + tuple(s[0] for s in shapes)
        if found != tuple(sizes):
            return (f"layer sizes {'-'.join(map(str, found))}, but config.json says "
                    f"{'-'.join(map(str, sizes))}")
    return None


def load_checkpoint(run_dir, sizes=None, dtype=None):
    """Read ``model.npz`` back: ``{"params", "opt_state", "epoch", "rng_state"}``.

    Every array header is checked before any data is read (names, shapes chaining layer to
    layer, Adam moments shaped like their parameters, and ``sizes``/``dtype`` when given), then
    the values (``epoch >= 0``, ``adam_t >= 0``, a valid generator state).

    Parameters
    ----------
    run_dir : path-like
    sizes : sequence of int, optional
        Expected layer widths (``TrainConfig.sizes``); a checkpoint of other sizes is refused
        before its arrays are read.
    dtype : str or dtype, optional
        Expected floating type of the parameters.

    Raises
    ------
    FileNotFoundError
        ``model.npz`` is missing.
    CorruptFileError
        (a ``ValueError``) naming the file, when it is truncated, corrupt or inconsistent.
    """
    path = Path(run_dir) / MODEL
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no checkpoint (model.npz) in this run directory")
    problem = []

    def check(headers):
        problem.append(_checkpoint_problem(headers, sizes, dtype))
        return problem[0]

    data, _ = read_npz(path, "checkpoint", headers_check=check)
    n = sum(1 for k in data if re.fullmatch(r"W\d+", k))
    params = {key: [data[f"{key}{l}"] for l in range(n)] for key in ("W", "b")}
    opt_state = {"t": int(data["adam_t"]),
                 "m": {key: [data[f"adam_m_{key}{l}"] for l in range(n)] for key in "Wb"},
                 "v": {key: [data[f"adam_v_{key}{l}"] for l in range(n)] for key in "Wb"}}
    epoch, fmt = int(data["epoch"]), int(data["format"])
    if fmt != _FORMAT:
        raise corrupt(path, "checkpoint", f"format {fmt}, this version reads format {_FORMAT}")
    for key, a in data.items():   # nothing to resume or prune from (and not a lambda problem)
        if a.dtype.kind == "f" and not np.all(np.isfinite(a)):
            raise corrupt(path, "checkpoint", f"{key} has {int(np.sum(~np.isfinite(a)))} "
                          "non-finite entries (NaN or inf): a damaged file or a diverged step")
        if key.startswith("adam_v_") and np.any(a < 0):
            raise corrupt(path, "checkpoint", f"{key} (Adam's second moment) has negative entries")
    if epoch < 0 or opt_state["t"] < 0:
        raise corrupt(path, "checkpoint", f"epoch {epoch} and Adam step {opt_state['t']}; "
                      "both must be >= 0")
    try:
        rng_state = json.loads(str(data["rng_state"]))
        np.random.default_rng().bit_generator.state = rng_state
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as exc:
        raise corrupt(path, "checkpoint", f"invalid rng_state: {type(exc).__name__}: {exc}") \
            from None
    return {"params": params, "opt_state": opt_state, "epoch": epoch, "rng_state": rng_state}


def load_history(run_dir, epoch=None):
    """History records of a run dir (``[]`` if absent), truncated to ``epoch`` records if given.

    Each record must be an object whose ``"epoch"`` counts 1, 2, ... and whose
    ``"test_accuracy"`` is a number in [0, 1]; anything else is a :class:`CorruptFileError`.
    """
    path = Path(run_dir) / HISTORY
    if not path.is_file():
        records = []
    else:
        obj = read_json(path, "history")
        if not isinstance(obj.get("epochs"), list):
            raise corrupt(path, "history", "expected an object with an 'epochs' list")
        records = obj["epochs"]
        for i, r in enumerate(records, 1):
            acc = r.get("test_accuracy") if isinstance(r, dict) else None
            if (not isinstance(r, dict) or r.get("epoch") != i or isinstance(acc, bool)
                    or not isinstance(acc, (int, float)) or not 0 <= acc <= 1):
                raise corrupt(path, "history", f"record {i} is not the record of epoch {i} "
                              "with a test_accuracy in [0, 1]")
    if epoch is not None:
        if len(records) < epoch:
            raise corrupt(path, "history", f"{len(records)} epoch records but the checkpoint is "
                          f"at epoch {epoch}" if path.is_file() else "the file is missing, but "
                          f"the checkpoint is at epoch {epoch}")
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
    try:
        return TrainConfig.from_dict(obj)
    except (ValueError, TypeError) as exc:
        raise corrupt(path, "config", exc) from None


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
    ck = load_checkpoint(run_dir, config.sizes, config.dtype)
    return config, ck["params"], load_history(run_dir, ck["epoch"])


def clean_run_dir(run_dir, log=None):
    """Remove stale temporary files (``.*.part``) that a killed writer left in ``run_dir``.

    A SIGKILL or power loss between creating a temporary file and moving it into place leaves
    it behind; the next start of a run in the same directory removes those older than a minute
    (a younger one may belong to a writer that is still running). Returns the removed paths.
    """
    removed = clean_stale_temps(run_dir)
    if removed and log is not None:
        log(f"removed {len(removed)} stale temporary file(s) left by an interrupted write in "
            f"{run_dir}")
    return removed
