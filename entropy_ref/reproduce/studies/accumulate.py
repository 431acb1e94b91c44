"""What ``studies.json`` keeps from one invocation to the next: studies accumulate.

Every study in ``studies.json`` carries its *identity*: the protocol settings the studies use,
the data fingerprint, the study's own knobs (:attr:`.registry.Study.knobs`) and the identities of
the studies it reads (its ``needs``, and its ``uses`` that ran). ``--study X`` after other studies
keeps them: each earlier study whose identity is unchanged runs again from its cached runs and
curves (so its tables and figure are drawn from the same numbers as everything else), and one
whose identity changed is dropped, with the reason in the log (e.g. ``long_epochs 60 -> 8``).
``studies.json``, ``studies.md`` and the figures therefore always describe the same studies, and
every number beside the current settings was computed with them. A knob that only studies not
asked for use (``--long-seeds`` when ``--study regime`` runs) cannot be given on the command
line, so an earlier study keeps its own value of it rather than being dropped for it.
"""

from __future__ import annotations

import dataclasses
import json

from ...errors import CorruptFileError
from ...storage.identity import describe, differences, digest
from ..outputs import protocol_identity, read_output
from . import registry

__all__ = ["STUDY_FORMAT", "PROTOCOL_FIELDS", "study_identity", "previous_studies", "plan"]

#: version of the studies' identities
STUDY_FORMAT = 1
#: the ReproSettings fields the studies use
PROTOCOL_FIELDS = ("seeds", "epochs", "train_subset", "hidden", "batch_size", "lr", "dtype",
                   "step", "sensitivity_data", "targets", "select_val_size", "select_epochs",
                   "select_target")


def study_identity(study_def, settings, study, fingerprint, identities) -> dict:
    """The identity of one study, given the identities of the studies already decided."""
    knobs = study.to_dict()
    names = [k for k in knobs if k != "studies"] if study_def.knobs is None else study_def.knobs
    after = [n for n in study_def.needs + study_def.uses if n in identities]
    ident = {"format": STUDY_FORMAT, "study": study_def.name,
             "protocol": protocol_identity(settings, fingerprint, PROTOCOL_FIELDS),
             "knobs": {k: knobs[k] for k in names},
             "after": {n: digest(identities[n]) for n in after}}
    return json.loads(json.dumps(ident))


def previous_studies(path, log) -> dict:
    """``{name: identity}`` of the studies a committed ``studies.json`` holds (``{}``: none).

    A file that is corrupt or was not written completely is reported and ignored: its studies
    are recomputed if asked for (their runs are reused), never read.
    """
    try:
        obj = read_output(path, "studies")
    except CorruptFileError as exc:
        log(f"{exc}; its studies are not kept (their runs and curves are reused)")
        return {}
    except OSError as exc:
        log(f"{path}: cannot be read ({exc.strerror or exc}); its studies are not kept")
        return {}
    if obj is None:
        return {}
    out = {}
    records = obj.get("studies")
    for name, rec in (records.items() if isinstance(records, dict) else ()):
        if name in registry.STUDIES and isinstance(rec, dict) and isinstance(
                rec.get("identity"), dict) and rec.get("key") == digest(rec["identity"]):
            out[name] = rec["identity"]
        else:
            log(f"{path}: the record of study {name!r} is not usable; it is not kept")
    return out


def _why(old, new) -> str:
    """``"epochs 3 -> 2; the fair study it builds on changed"``."""
    direct, deps = [], []
    for name, a, b in differences(old, new):
        if name.startswith("after."):
            deps.append(name.removeprefix("after."))
        else:
            direct.append((name.removeprefix("knobs.").removeprefix("protocol.settings.")
                           .removeprefix("protocol."), a, b))
    parts = [describe(direct)] if direct else []
    if deps:
        parts.append(f"the {', '.join(deps)} {'study' if len(deps) == 1 else 'studies'} it "
                     "builds on changed")
    return "; ".join(parts)


def plan(settings, study, fingerprint, previous, log):
    """The studies to run and their identities: those asked for (and what they need), and the
    earlier ones of ``previous`` whose identity is unchanged.

    Returns
    -------
    names : tuple of str
        In registry order.
    identities : dict
        ``name -> identity`` of every study in ``names``.
    study : StudySettings
        ``study`` running ``names``, with the stored values of the knobs only kept studies use.
    """
    wanted = {s.name for s in registry.resolve(study.studies)}
    used = {k for s in registry.REGISTRY if s.name in wanted for k in s.knobs or ()}
    identities, kept, dropped = {}, [], []
    for s in registry.REGISTRY:
        if s.name not in wanted and s.name not in previous:
            continue
        if any(n not in identities for n in s.needs):
            if s.name in previous and s.name not in wanted:
                dropped.append((s.name, "a study it needs is not kept"))
            continue
        candidate = study
        if s.name not in wanted:
            candidate = _own_knobs(study, s, previous[s.name], used, [*identities, s.name])
        ident = study_identity(s, settings, candidate, fingerprint, identities)
        if s.name not in wanted:
            if previous[s.name] != ident:
                dropped.append((s.name, _why(previous[s.name], ident)))
                continue
            kept.append(s.name)
        study = candidate
        identities[s.name] = ident
    if kept:
        log(f"studies.json: keeping {', '.join(kept)} (same settings and data; recomputed from "
            "their cached runs and curves)")
    for name, why in dropped:
        log(f"studies.json: dropping {name}: it was computed with other settings or data "
            f"({why}); run --study {name} to compute it with these")
    return tuple(identities), identities, dataclasses.replace(study, studies=tuple(identities))


def _own_knobs(study, study_def, identity, used, names):
    """``study`` with the stored values of the knobs that only ``study_def`` (not asked for)
    uses; unchanged when there are none or the stored values are not valid settings."""
    stored = identity.get("knobs") if isinstance(identity, dict) else None
    if not isinstance(stored, dict):
        return study
    current = json.loads(json.dumps(study.to_dict()))      # as identities store the values
    own = {k: v for k, v in stored.items() if k in (study_def.knobs or ()) and k not in used
           and k in current and current[k] != v}
    if not own:
        return study
    try:
        return dataclasses.replace(study, studies=tuple(names), **own)
    except (TypeError, ValueError):
        return study
