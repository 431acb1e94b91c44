"""The commit record of a run directory, ``run.json``, and what a directory holds for a given run.

``run.json`` (:mod:`entropy_ref.storage.commit`) is written after every epoch, after
``history.json`` and ``model.npz``: the run's identity (:mod:`.identity`), the epochs done and the
size and SHA-256 of ``config.json``, ``history.json`` and ``model.npz``. A run is *finished* for
reuse only when the record names the identity asked for, all its epochs, and every file still
matches it (:func:`committed_run`); anything else is resumed, trained, or left alone as another
run's directory.
"""

from __future__ import annotations

from pathlib import Path

from ..storage.commit import check_files, check_identity, read_commit, write_commit
from ..storage.readers import corrupt
from .identity import mismatch, trajectory
from .runio import (CONFIG, HISTORY, MODEL, RUN_RECORD, load_checkpoint, load_config,
                    load_history, write_json)

__all__ = ["commit_run", "read_run_record", "committed_run", "ensure_committed"]


def commit_run(run_dir, identity, epoch) -> dict:
    """Write ``run.json``: the run's identity, ``epoch`` epochs done, and its three files."""
    return write_commit(Path(run_dir) / RUN_RECORD,
                        {"epoch": int(epoch), "epochs": identity["config"]["epochs"]},
                        (CONFIG, HISTORY, MODEL), identity=identity, kind="run")


def read_run_record(run_dir) -> dict | None:
    """``run.json`` with every field checked; None when the directory has none."""
    path = Path(run_dir) / RUN_RECORD
    rec = read_commit(path, "run record", "run")
    if rec is None:
        return None
    for key in ("epoch", "epochs"):
        value = rec.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise corrupt(path, "run record", f"{key!r} must be an integer >= 0, got {value!r}")
    ident = rec.get("identity")
    if not (isinstance(ident, dict) and isinstance(ident.get("config"), dict)
            and ident["config"].get("epochs") == rec["epochs"]):
        raise corrupt(path, "run record", "'identity' must hold the run's config with its "
                      "epochs")
    if rec["epoch"] > rec["epochs"]:
        raise corrupt(path, "run record", f"epoch {rec['epoch']} of {rec['epochs']}")
    if set(rec["files"]) != {CONFIG, HISTORY, MODEL}:
        raise corrupt(path, "run record", f"'files' must name {CONFIG}, {HISTORY} and {MODEL}")
    return rec


def committed_run(run_dir, identity):
    """``(status, detail)`` of ``run_dir`` for the run of ``identity``.

    ``status`` is ``"finished"`` (``run.json`` records this identity, all epochs, and every file
    matches it; detail: the record), ``"resumable"`` (a checkpoint of this run's trajectory with
    at most its epochs; detail: its epoch), ``"empty"`` (no checkpoint) or ``"other"`` (the
    directory holds another run; detail: how it differs, one line).

    Raises
    ------
    CorruptFileError
        A file of the directory is corrupt (naming it).
    """
    run_dir = Path(run_dir)
    rec = read_run_record(run_dir)
    if rec is not None and not check_identity(rec, identity):
        return "other", mismatch(rec["identity"], identity) or "another identity"
    if (rec is not None and rec["epoch"] == rec["epochs"]
            and check_files(rec, run_dir) is None):
        return "finished", rec
    if not (run_dir / MODEL).is_file():
        return "empty", None
    ck = load_checkpoint(run_dir)
    problem = mismatch(ck["identity"], trajectory(identity)) if ck["identity"] else \
        "its checkpoint records no identity"
    if problem:
        return "other", problem
    if ck["epoch"] > identity["config"]["epochs"]:
        return "other", (f"it holds {ck['epoch']} epochs, more than "
                         f"{identity['config']['epochs']}")
    if (run_dir / CONFIG).is_file():
        load_config(run_dir)                         # what the resume reads: checked here
    load_history(run_dir, ck["epoch"], len(ck["params"]["W"]))
    return "resumable", ck["epoch"]


def ensure_committed(run_dir, config, identity, epoch) -> None:
    """Commit a run whose last epoch was written but not committed (a crash in between)."""
    run_dir = Path(run_dir)
    rec = read_run_record(run_dir)
    if (rec is not None and check_identity(rec, identity) and rec["epoch"] == epoch
            and check_files(rec, run_dir) is None):
        return
    write_json(run_dir / CONFIG, config.to_dict())
    commit_run(run_dir, identity, epoch)
