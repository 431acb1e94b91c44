"""``history.json`` of a run directory: written atomically, every field checked when read back.

``{"format": 1, "epochs": [record, ...]}`` with one record per completed epoch, as
:func:`entropy_ref.train.stats.epoch_record` makes it. :func:`load_history` refuses anything else
with one :class:`~entropy_ref.errors.CorruptFileError` naming the file, the record and the field:
a missing or unexpected field, a string where a number belongs, NaN or infinity, an accuracy
outside [0, 1], a negative duration, percentiles of ``|w|`` that are not 101 non-decreasing
numbers >= 0, per-layer lists of the wrong length.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from ..storage.atomic import atomic_write_bytes
from ..storage.readers import corrupt, read_json
from .stats import PERCENTILES

__all__ = ["HISTORY", "HISTORY_FORMAT", "load_history", "write_history", "record_problem"]

HISTORY = "history.json"
HISTORY_FORMAT = 1

_NUMBERS = ("train_ce", "penalty", "objective", "test_accuracy", "seconds", "eval_seconds")
_FIELDS = set(_NUMBERS) | {"epoch", "penalty_per_layer", "entropy_per_layer",
                           "abs_w_percentiles", "val_accuracy"}


def _number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _show(v) -> str:
    text = json.dumps(v) if not isinstance(v, float) else repr(v)
    return text if len(text) <= 40 else text[:37] + "..."


def _field_problem(r, key, n_layers):
    v = r[key]
    if key in ("test_accuracy", "val_accuracy"):
        if not (_number(v) and 0 <= v <= 1):
            return f"{key!r} must be an accuracy in [0, 1], got {_show(v)}"
    elif key in ("seconds", "eval_seconds", "train_ce"):
        if not (_number(v) and v >= 0):
            return f"{key!r} must be a finite number >= 0, got {_show(v)}"
    elif key in _NUMBERS:
        if not _number(v):
            return f"{key!r} must be a finite number, got {_show(v)}"
    elif key in ("penalty_per_layer", "entropy_per_layer"):
        none_ok = key == "entropy_per_layer"          # H_C is undefined for an all-zero matrix
        if not isinstance(v, list) or not all(_number(x) or (none_ok and x is None) for x in v):
            return f"{key!r} must be a list of finite numbers, got {_show(v)}"
        if n_layers is not None and len(v) != n_layers:
            return f"{key!r} has {len(v)} values for {n_layers} weight matrices"
    elif key == "abs_w_percentiles":
        if (not isinstance(v, list) or len(v) != PERCENTILES.size
                or not all(_number(x) and x >= 0 for x in v)):
            return (f"{key!r} must be {PERCENTILES.size} finite numbers >= 0, got "
                    f"{_show(v)}")
        if any(b < a for a, b in zip(v, v[1:])):
            return f"{key!r} must be non-decreasing (percentiles 0, 1, ..., 100)"
    return None


def record_problem(r, i: int, n_layers: int | None = None) -> str | None:
    """What is wrong with history record ``i`` (counted from 1), or None.

    Examples
    --------
    >>> record_problem({"epoch": 2}, 1)
    "record 1: 'epoch' is 2, expected 1"
    """
    if not isinstance(r, dict):
        return f"record {i}: expected an object, got {_show(r)}"
    if r.get("epoch") != i or not isinstance(r.get("epoch"), int) or isinstance(r["epoch"],
                                                                                bool):
        return f"record {i}: 'epoch' is {_show(r.get('epoch'))}, expected {i}"
    missing = sorted((_FIELDS - {"val_accuracy"}) - set(r))
    if missing:
        return f"record {i}: no {missing[0]!r}"
    extra = sorted(set(r) - _FIELDS)
    if extra:
        return f"record {i}: unexpected field {extra[0]!r}"
    for key in sorted(set(r) - {"epoch"}):
        problem = _field_problem(r, key, n_layers)
        if problem:
            return f"record {i}: {problem}"
    if abs(sum(r["penalty_per_layer"]) - r["penalty"]) > 1e-6 * max(1.0, abs(r["penalty"])):
        return f"record {i}: 'penalty' is not the sum of 'penalty_per_layer'"
    return None


def load_history(run_dir, epoch=None, n_layers=None):
    """History records of a run dir (``[]`` if absent), truncated to ``epoch`` records if given.

    Parameters
    ----------
    run_dir : path-like
    epoch : int, optional
        The checkpoint's epoch: records past it are dropped (written before a checkpoint that was
        not), and fewer records than that are an error.
    n_layers : int, optional
        Weight matrices of the network: the length of the per-layer lists.

    Raises
    ------
    CorruptFileError
        Naming the file, the record and the field (see the module docstring).
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
            problem = record_problem(r, i, n_layers)
            if problem:
                raise corrupt(path, "history", problem)
    if epoch is not None:
        if len(records) < epoch:
            raise corrupt(path, "history", f"{len(records)} epoch records but the checkpoint is "
                          f"at epoch {epoch}" if path.is_file() else "the file is missing, but "
                          f"the checkpoint is at epoch {epoch}")
        records = records[:epoch]
    if path.is_file() and obj.get("format") != HISTORY_FORMAT:
        raise corrupt(path, "history", f"'format' is {_show(obj.get('format'))}, this version "
                      f"reads {HISTORY_FORMAT}")
    return records


def write_history(run_dir, records):
    """Atomically write ``history.json``."""
    atomic_write_bytes(Path(run_dir) / HISTORY,
                       (json.dumps({"format": HISTORY_FORMAT, "epochs": records}, indent=1)
                        + "\n").encode())
