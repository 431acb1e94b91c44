"""Run-directory I/O: ``config.json``, ``history.json``, ``model.npz`` and the commit record ``run.json``.

Layout of ``RUN_DIR``:

``config.json``
    :meth:`TrainConfig.to_dict`, written when the run starts (and when it is resumed).
``history.json``
    ``{"format": 1, "epochs": [record, ...]}`` with one record per completed epoch (see
    :func:`entropy_ref.train.stats.epoch_record`; read back by :mod:`.history`).
``model.npz``
    ``W0, W1, ..., b0, b1, ...`` (float arrays), ``adam_t``, ``adam_m_W0``, ``adam_v_W0``, ...,
    ``epoch`` (completed epochs), ``rng_state`` (JSON of the shuffling generator's
    ``bit_generator.state``) and ``identity`` (JSON of the run's trajectory, :mod:`.identity`:
    every setting but the epochs, and the data fingerprint). Loadable with plain ``numpy.load``.
``run.json``
    The commit record (:mod:`entropy_ref.storage.commit`): the run's identity, the epochs done,
    and the size and SHA-256 of the three files above. Written last.
``.lock``
    Held while a process writes the directory (:mod:`entropy_ref.storage.lock`).

Every file is written to a temporary file in the same directory and moved into place with
``os.replace``, so an interrupted run (Ctrl-C, crash, power loss) leaves the previous complete
version. After each epoch ``history.json`` is written first, ``model.npz`` second and
``run.json`` last. The checkpoint is self-contained (it names its run), so a run resumes from it
whichever write was interrupted (:func:`load_checkpoint` drops history records past its epoch);
a run counts as *finished* for reuse only when ``run.json`` matches every file
(:func:`entropy_ref.train.runrecord.committed_run`).
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
from .history import HISTORY, load_history, write_history
from .identity import mismatch, run_identity, trajectory

__all__ = ["CONFIG", "HISTORY", "MODEL", "RUN_RECORD", "atomic_write_bytes", "write_json",
           "read_json", "save_checkpoint", "load_checkpoint", "load_history", "write_history",
           "load_config", "load_run", "clean_run_dir"]

CONFIG, MODEL, RUN_RECORD = "config.json", "model.npz", "run.json"
#: checkpoint format (2: with the run's ``identity``)
_FORMAT = 2


def write_json(path, obj):
    """Atomically write ``obj`` as indented JSON."""
    atomic_write_bytes(path, (json.dumps(obj, indent=1) + "\n").encode())


def save_checkpoint(run_dir, params, opt_state, epoch, rng, identity=None):
    """Atomically write ``model.npz``: parameters, Adam state, completed epochs, RNG state and
    the run's trajectory (``identity`` without its epochs; ``None`` records no identity, and such
    a checkpoint cannot be resumed).

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
              "rng_state": np.array(json.dumps(rng.bit_generator.state)),
              "identity": np.array(json.dumps(None if identity is None
                                              else trajectory(identity)))}
    for key in ("W", "b"):
        for l, a in enumerate(params[key]):
            arrays[f"{key}{l}"] = a
            arrays[f"adam_m_{key}{l}"] = opt_state["m"][key][l]
            arrays[f"adam_v_{key}{l}"] = opt_state["v"][key][l]
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    atomic_write_bytes(Path(run_dir) / MODEL, buf.getvalue())


_SCALARS = {"format": "i", "epoch": "i", "adam_t": "i", "rng_state": "U", "identity": "U"}


def _checkpoint_problem(headers, sizes, dtype):
    """What is wrong with the declared arrays of a checkpoint (None if nothing), before reading."""
    for key, kind in _SCALARS.items():
        if key not in headers:
            if key == "identity":
                continue                    # format 1: refused by its format number below
            return f"no {key!r} array"
        shape, dt = headers[key]
        if shape != () or dt.kind not in ("iu" if kind == "i" else "U"):
            return f"{key!r} is {dt} of shape {shape}, expected a single " + (
                "integer" if kind == "i" else "string")
    for key in ("rng_state", "identity"):
        if key in headers and headers[key][1].itemsize > 2**20:
            return f"{key!r} is implausibly long"
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
    """Read ``model.npz`` back: ``{"params", "opt_state", "epoch", "rng_state", "identity"}``.

    Every array header is checked before any data is read (names, shapes chaining layer to
    layer, Adam moments shaped like their parameters, and ``sizes``/``dtype`` when given), then
    the values (finite, ``epoch >= 0``, ``adam_t >= 0``, a PCG64 generator state whose every
    field is in range, an identity object).

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
    if "identity" not in data:
        raise corrupt(path, "checkpoint", "no 'identity' array")
    for key, a in data.items():   # nothing to resume or prune from (and not a lambda problem)
        if a.dtype.kind == "f" and not np.all(np.isfinite(a)):
            raise corrupt(path, "checkpoint", f"{key} has {int(np.sum(~np.isfinite(a)))} "
                          "non-finite entries (NaN or inf): a damaged file or a diverged step")
        if key.startswith("adam_v_") and np.any(a < 0):
            raise corrupt(path, "checkpoint", f"{key} (Adam's second moment) has negative entries")
    if epoch < 0 or opt_state["t"] < 0:
        raise corrupt(path, "checkpoint", f"epoch {epoch} and Adam step {opt_state['t']}; "
                      "both must be >= 0")
    return {"params": params, "opt_state": opt_state, "epoch": epoch,
            "rng_state": _rng_state(path, str(data["rng_state"])),
            "identity": _identity(path, str(data["identity"]))}


_PCG64_KEYS = {"bit_generator", "state", "has_uint32", "uinteger"}


def _rng_state(path, text):
    """The generator state of a checkpoint, every field checked before it is used."""
    def bad(why):
        return corrupt(path, "checkpoint", f"invalid rng_state: {why}")

    try:
        state = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise bad(f"{type(exc).__name__}: {exc}") from None
    if not isinstance(state, dict) or set(state) != _PCG64_KEYS:
        raise bad(f"expected the keys {', '.join(sorted(_PCG64_KEYS))}")
    if state["bit_generator"] != "PCG64":
        raise bad(f"bit_generator {state['bit_generator']!r}, expected 'PCG64'")
    inner = state["state"]
    if not isinstance(inner, dict) or set(inner) != {"state", "inc"}:
        raise bad("'state' must be an object with the integers 'state' and 'inc'")
    for name, value, bound in (("state.state", inner["state"], 2**128),
                               ("state.inc", inner["inc"], 2**128),
                               ("has_uint32", state["has_uint32"], 2),
                               ("uinteger", state["uinteger"], 2**32)):
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < bound:
            raise bad(f"{name} must be an integer in [0, {bound}), got {value!r:.40}")
    try:
        np.random.default_rng().bit_generator.state = state
    except (ValueError, TypeError, KeyError, OverflowError) as exc:
        raise bad(f"{type(exc).__name__}: {exc}") from None
    return state


def _identity(path, text):
    """The trajectory identity a checkpoint records (None: it records none)."""
    try:
        ident = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise corrupt(path, "checkpoint", f"invalid identity: {type(exc).__name__}: {exc}") \
            from None
    if ident is not None and not (isinstance(ident, dict) and isinstance(ident.get("config"),
                                                                         dict)):
        raise corrupt(path, "checkpoint", "invalid identity: expected an object with a "
                      "'config' object")
    return ident


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

    Every file is checked (:func:`load_config`, :func:`load_checkpoint`,
    :func:`~.history.load_history`), and the checkpoint must have been trained with the settings
    of ``config.json`` (two writers mixing one run's settings with another's weights are caught
    here). The history is cut back to the checkpoint's epoch.

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
    if ck["identity"] is not None:         # the same settings, whatever the data
        problem = mismatch(ck["identity"],
                           trajectory(run_identity(config, ck["identity"].get("data"))))
        if problem:
            raise corrupt(Path(run_dir) / MODEL, "checkpoint",
                          f"it does not belong to {CONFIG}: {problem}")
    return config, ck["params"], load_history(run_dir, ck["epoch"], len(config.sizes) - 1)


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
