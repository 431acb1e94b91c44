"""The pruning curve of one trained run: compute it, and cache it next to the model.

Files in ``RUN_DIR`` (``SPLIT`` is ``test``, or ``val`` for the lambda-selection curves, which
are written as ``curve_val.*``):

``curve.csv``
    ``percentile,threshold,nonzero,test_accuracy`` (see :func:`entropy_ref.prune.write_curve_csv`);
    for ``val`` the accuracy column holds the validation accuracy.
``curve.json``
    How it was made (step, sensitivity data, split, SHA-256 of the weights), the bias counts,
    the accuracy targets and the timing/certificate statistics. A cached curve is reused only
    when step, sensitivity data, split and weights all match.

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
from ..storage.atomic import atomic_write_text
from ..storage.readers import corrupt
from ..train import prepare_data
from ..train.runio import read_json

__all__ = ["write_json", "model_sha256", "float64_dataset", "compute_curve", "curve_files",
           "save_curve", "load_cached_curve", "curve_summary"]

_FORMAT = 1


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


def save_curve(run_dir, curve, params, split="test", step=0.1, sensitivity_data="train",
               targets=prune.ACCURACY_TARGETS):
    """Write ``curve.csv`` and ``curve.json`` (atomically; the JSON last, as the commit point)."""
    csv_path, json_path = curve_files(run_dir, split)
    prune.write_curve_csv(curve, csv_path)
    meta = {"format": _FORMAT, "split": split, "step": float(step),
            "sensitivity_data": sensitivity_data, "model_sha256": model_sha256(params),
            **curve_summary(curve, targets)}
    write_json(json_path, meta)
    return meta


def load_cached_curve(run_dir, params, split="test", step=0.1, sensitivity_data="train"):
    """The cached curve of a run if it matches (settings and weights), else ``None``."""
    csv_path, json_path = curve_files(run_dir, split)
    if not (csv_path.is_file() and json_path.is_file()):
        return None
    meta = read_json(json_path, "curve metadata")
    want = {"format": _FORMAT, "split": split, "step": float(step),
            "sensitivity_data": sensitivity_data, "model_sha256": model_sha256(params)}
    if any(meta.get(k) != v for k, v in want.items()):
        return None
    cols = prune.read_curve_csv(csv_path)
    try:
        n = int(meta["n_eval"])
        correct = np.rint(cols["test_accuracy"] * n).astype(np.int64)
        return prune.Curve(cols["percentile"], cols["threshold"], cols["nonzero"], correct, n,
                           int(meta["n_biases"]), int(meta["nonzero_biases"]),
                           dict(meta.get("stats", {}), cached=True))
    except (KeyError, TypeError, ValueError, OverflowError) as exc:
        raise corrupt(json_path, "curve metadata", f"{type(exc).__name__}: {exc}") from None
