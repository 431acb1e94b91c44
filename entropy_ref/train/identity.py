"""What a run is: every setting that determines its weights, and the data it was trained on.

The *identity* of a run is ``{"format", "config", "data"}``: the run-directory format version,
every :class:`TrainConfig` field except those that only say where things are (``out``,
``data_dir``, ``download``), and the data fingerprint
(:func:`entropy_ref.data.data_fingerprint`). Its *trajectory* is the same without ``epochs``:
training is epoch by epoch with nothing that depends on the total, so a checkpoint after epoch
``k`` is the same for a 3-epoch and a 6-epoch run. The checkpoint (``model.npz``) carries the
trajectory, the commit record (``run.json``) the identity; :func:`mismatch` says in one line
how a saved one differs from the one asked for.
"""

from __future__ import annotations

import json

from ..storage.identity import describe, differences, short
from .config import TrainConfig

__all__ = ["RUN_FORMAT", "WHERE_FIELDS", "run_identity", "trajectory", "identity_config",
           "mismatch"]

#: version of the run-directory layout (config.json, history.json, model.npz, run.json)
RUN_FORMAT = 2
#: TrainConfig fields that say where things are, not what the run is
WHERE_FIELDS = ("out", "data_dir", "download")


def run_identity(config: TrainConfig, fingerprint: str) -> dict:
    """The identity of ``config`` trained on the data of ``fingerprint`` (JSON-ready).

    Examples
    --------
    >>> ident = run_identity(TrainConfig(reg="none", epochs=3, out="a"), "f" * 64)
    >>> ident["config"]["epochs"], "out" in ident["config"], ident["data"][:4]
    (3, False, 'ffff')
    """
    cfg = {k: v for k, v in config.to_dict().items() if k not in WHERE_FIELDS}
    return json.loads(json.dumps({"format": RUN_FORMAT, "config": cfg, "data": fingerprint}))


def trajectory(identity: dict) -> dict:
    """``identity`` without ``config.epochs``: what every checkpoint of the run shares."""
    return {**identity, "config": {k: v for k, v in identity["config"].items()
                                   if k != "epochs"}}


def identity_config(identity: dict, **where) -> TrainConfig:
    """The :class:`TrainConfig` of an identity (``where``: out, data_dir, download)."""
    return TrainConfig.from_dict({**identity["config"], **where})


def _value(v):
    return tuple(v) if isinstance(v, list) else v


def mismatch(saved: dict, wanted: dict) -> str | None:
    """None when equal; else one line: other data, another format, or the settings that differ.

    The settings are listed as ``name: saved A, given B`` (the form of ``train --resume``).

    Examples
    --------
    >>> a = run_identity(TrainConfig(reg="none", lr=1e-3), "a" * 64)
    >>> mismatch(a, run_identity(TrainConfig(reg="none", lr=1e-2), "a" * 64))
    'the settings differ (lr: saved 0.001, given 0.01)'
    >>> mismatch(a, run_identity(TrainConfig(reg="none", lr=1e-3), "b" * 64))
    'it was trained on other data (fingerprint aaaaaaaaaaaa vs bbbbbbbbbbbb)'
    """
    if saved == wanted:
        return None
    if saved.get("format") != wanted.get("format"):
        return (f"it was written in run format {saved.get('format')!r}; this version reads "
                f"format {wanted.get('format')}")
    if saved.get("data") != wanted.get("data"):
        return (f"it was trained on other data (fingerprint {short(saved.get('data'))} vs "
                f"{short(wanted.get('data'))})")
    diffs = differences(saved.get("config", {}), wanted.get("config", {}))
    if not diffs:
        return "its identity differs: " + describe(differences(saved, wanted))
    what = "; ".join(f"{n}: saved {_value(a)!r}, given {_value(b)!r}" for n, a, b in diffs[:4])
    return f"the settings differ ({what})"
