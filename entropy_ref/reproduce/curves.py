"""The pruning curve of one trained run: compute it, and cache it next to the model.

Files in ``RUN_DIR`` (``SPLIT`` is ``test``, or ``val`` for the lambda-selection curves, which
are written as ``curve_val.*``):

``curve.csv``
    ``percentile,threshold,nonzero,test_accuracy`` (see :func:`entropy_ref.prune.write_curve_csv`);
    for ``val`` the accuracy column holds the validation accuracy.
``curve.json``
    The commit record of the curve (:mod:`entropy_ref.storage.commit`), written last: its
    identity (step, sensitivity data, split, SHA-256 of the weights, and in a reproduction the
    run's key and the data fingerprint), the size and SHA-256 of ``curve.csv``, the bias counts,
    the accuracy targets and the timing/certificate statistics. A cached curve is reused only
    when its identity matches and ``curve.csv`` is the file it committed.

Data: the sensitivity gradient is averaged over the run's own training images (after its
validation split and subset) or over the test images (``sensitivity_data="test"``); curves are
evaluated in float64 on ``to_features(images, float64)``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from pathlib import Path

import numpy as np

from .. import prune
from ..prune import n_points
from ..storage.atomic import atomic_write_text
from ..storage.commit import check_files, check_identity, read_commit, write_commit
from ..storage.readers import corrupt
from ..train import prepare_data

__all__ = ["write_json", "model_sha256", "float64_dataset", "compute_curve", "curve_files",
           "curve_identity", "save_curve", "load_cached_curve", "curve_summary"]

_FORMAT = 2


def write_json(path, obj):
    """Atomically write ``obj`` as indented JSON (ordinary file permissions)."""
    atomic_write_text(path, json.dumps(obj, indent=1) + "\n")


def model_sha256(params):
    """SHA-256 of the weights and biases (dtype, shape and bytes), in layer order.

    Examples
    --------
    >>> p = {"W": [np.ones((2, 2))], "b": [np.zeros(2)]}
    >>> model_sha256(p) == model_sha256({"W": [np.ones((2, 2))], "b": [np.zeros(2)]})
    True
    """
    h = hashlib.sha256()
    for key in ("W", "b"):
        for a in params[key]:
            a = np.ascontiguousarray(a)
            h.update(f"{key}{a.dtype.str}{a.shape}".encode())
            h.update(a.tobytes())
    return h.hexdigest()


def float64_dataset(config, data):
    """:func:`entropy_ref.train.prepare_data` of ``config`` (same split and subset) in float64."""
    return prepare_data(dataclasses.replace(config, dtype="float64"), data)


def compute_curve(params, dataset, split="test", step=0.1, sensitivity_data="train"):
    """Sensitivities, plan and fast curve of one model.

    Parameters
    ----------
    params : dict
    dataset : entropy_ref.train.Dataset
        float64 features (see :func:`float64_dataset`).
    split : {"test", "val"}
        Images the accuracy is measured on.
    step : float
    sensitivity_data : {"train", "test"}

    Returns
    -------
    curve : entropy_ref.prune.Curve
        ``stats`` also holds ``sensitivity_seconds``.
    """
    if split == "val" and dataset.X_val is None:
        raise ValueError("compute_curve: split='val' needs a run trained with a validation split")
    if split not in ("test", "val"):
        raise ValueError(f"compute_curve: split must be 'test' or 'val', got {split!r}")
    if sensitivity_data == "train":
        Xs, ys = dataset.X_train, dataset.y_train
    elif sensitivity_data == "test":
        Xs, ys = dataset.X_test, dataset.y_test
    else:
        raise ValueError(f"sensitivity_data must be 'train' or 'test', got {sensitivity_data!r}")
    Xe, ye = (dataset.X_test, dataset.y_test) if split == "test" else (dataset.X_val,
                                                                        dataset.y_val)
    t0 = time.perf_counter()
    sens = prune.sensitivity(params, Xs, ys)
    t_sens = time.perf_counter() - t0
    plan = prune.make_plan(params, sens, step)
    curve = prune.fast_curve(params, plan, Xe, ye)
    curve.stats["sensitivity_seconds"] = t_sens
    return curve


def curve_files(run_dir, split="test"):
    """``(csv_path, json_path)`` of a run's curve for ``split``."""
    stem = "curve" if split == "test" else f"curve_{split}"
    return Path(run_dir) / f"{stem}.csv", Path(run_dir) / f"{stem}.json"


def curve_summary(curve, targets=prune.ACCURACY_TARGETS):
    """JSON-ready facts about a curve: unpruned accuracy, targets, counts, stats."""
    return {
        "unpruned_accuracy": float(curve.test_accuracy[0]),
        "n_weights": int(curve.nonzero[0]) if curve.nonzero.size else 0,
        "n_eval": int(curve.n_test),
        "n_biases": int(curve.n_biases),
        "nonzero_biases": int(curve.nonzero_biases),
        "targets": {f"{t:g}": (None if v is None else list(v))
                    for t, v in prune.accuracy_targets(curve, targets).items()},
        "stats": {k: (float(v) if isinstance(v, float) else v) for k, v in curve.stats.items()},
    }


def curve_identity(params, split="test", step=0.1, sensitivity_data="train", source=None):
    """What a curve is: how it was made, the weights, and (``source``) the run and the data.

    ``source`` is ``{"run": run key, "data": data fingerprint}`` for the curves of a reproduction
    (:class:`~.runstore.RunStore`); ``None`` for a curve of a run directory named by hand.
    """
    return {"format": _FORMAT, "split": split, "step": float(step),
            "sensitivity_data": sensitivity_data, "model_sha256": model_sha256(params),
            "source": source}


def save_curve(run_dir, curve, params, split="test", step=0.1, sensitivity_data="train",
               targets=prune.ACCURACY_TARGETS, source=None):
    """Write ``curve.csv``, then ``curve.json``: the commit record of both (written last).

    ``curve.json`` holds the curve's identity (:func:`curve_identity`), the size and SHA-256 of
    ``curve.csv``, and :func:`curve_summary`. Returns what ``curve.json`` holds.
    """
    csv_path, json_path = curve_files(run_dir, split)
    prune.write_curve_csv(curve, csv_path)
    ident = curve_identity(params, split, step, sensitivity_data, source)
    meta = {k: ident[k] for k in ("format", "split", "step", "sensitivity_data", "model_sha256")}
    return write_commit(json_path, {**meta, **curve_summary(curve, targets)}, [csv_path.name],
                        identity=ident, kind="curve")


def load_cached_curve(run_dir, params, split="test", step=0.1, sensitivity_data="train",
                      source=None):
    """The cached curve of a run if it is this curve, whole; else ``None``.

    ``None`` when ``curve.json`` is missing, records another identity (other settings, weights,
    run or data), or does not match ``curve.csv`` (a write interrupted between the two).

    Raises
    ------
    CorruptFileError
        ``curve.json`` or ``curve.csv`` is corrupt (naming the file and the field).
    """
    csv_path, json_path = curve_files(run_dir, split)
    meta = read_commit(json_path, "curve metadata", "curve")
    if meta is None or not check_identity(meta, curve_identity(params, split, step,
                                                               sensitivity_data, source)):
        return None
    if set(meta["files"]) != {csv_path.name} or check_files(meta, run_dir) is not None:
        return None
    n, n_biases, nonzero_biases = _counts(json_path, meta)
    cols = prune.read_curve_csv(csv_path)
    points = n_points(step) + 1
    if cols["percentile"].size != points:
        raise corrupt(csv_path, "curve file", f"{cols['percentile'].size} points, a "
                      f"{step:g}-percentile sweep has {points}")
    correct = np.rint(cols["test_accuracy"] * n).astype(np.int64)
    if np.any(np.abs(correct / n - cols["test_accuracy"]) > 1e-9):
        raise corrupt(csv_path, "curve file", f"an accuracy that is not a count out of {n}")
    return prune.Curve(cols["percentile"], cols["threshold"], cols["nonzero"], correct, n,
                       n_biases, nonzero_biases, dict(meta["stats"], cached=True))


def _counts(path, meta):
    """``n_eval``, ``n_biases``, ``nonzero_biases`` and ``stats`` of ``curve.json``, checked."""
    values = []
    for key, low in (("n_eval", 1), ("n_biases", 0), ("nonzero_biases", 0)):
        v = meta.get(key)
        if not isinstance(v, int) or isinstance(v, bool) or v < low:
            raise corrupt(path, "curve metadata", f"{key!r} must be an integer >= {low}, got "
                          f"{v!r:.40}")
        values.append(v)
    if values[2] > values[1]:
        raise corrupt(path, "curve metadata", "'nonzero_biases' exceeds 'n_biases'")
    if not isinstance(meta.get("stats"), dict):
        raise corrupt(path, "curve metadata", "'stats' must be an object")
    return values
