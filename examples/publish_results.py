# Publish a reproduction's results.json and studies.json as the docs' summaries, with their figures.
"""The data files behind ``docs/results.md``, written from a finished reproduction.

Run: ``python examples/publish_results.py --from RUN_DIR --out DOCS_DIR``

``RUN_DIR`` is the ``--out`` of ``entropy-ref reproduce`` (the paper protocol and ``--study``);
its ``results.json`` and ``studies.json`` are read through the package's validated reader
(:func:`entropy_ref.reproduce.outputs.read_output`: every file they name must be there as
committed). The script writes

* ``DOCS_DIR/img/results/<name>.png``: the PNG of every figure either file lists (PDFs are not
  copied), each checked against the SHA-256 its record committed;
* ``DOCS_DIR/results.json`` and ``DOCS_DIR/studies.json``, last: each file as the run wrote it
  without its commit fields (the record of the run directory's files), with ``settings.out`` and
  ``settings.data_dir`` replaced by neutral values and the figures named by their place under
  ``DOCS_DIR``. A value that still looks like a path of this machine is refused.

Every file is written atomically, and nothing outside ``DOCS_DIR``. Without ``--out`` the script
only checks ``RUN_DIR`` and prints what it would write; without ``--from`` it prints this usage.
A missing or corrupt input is one line on stderr and exit status 1.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import re
import sys
from pathlib import Path, PurePosixPath

from entropy_ref.errors import CorruptFileError
from entropy_ref.reproduce.outputs import read_output
from entropy_ref.storage.atomic import atomic_write_bytes, atomic_write_text

#: the two outputs of a reproduction, in the order they are published
KINDS = ("results", "studies")
#: fields of a commit record that describe the run directory's files, not the results
COMMIT_FIELDS = ("commit_format", "kind", "identity", "key", "files")
#: where the figures go, relative to DOCS_DIR (the pages link ``img/results/<name>.png``)
FIGURES = PurePosixPath("img/results")
#: what a value of this machine looks like: an absolute or home path, or a known root
MACHINE_PATH = re.compile(r"^(?:/|~|[A-Za-z]:[\\/])|/work\b|/tmp\b|/home\b|\bshared\b")


class PublishError(Exception):
    """A problem with the inputs or the destination, said in one line."""


def neutral_settings(settings: dict) -> dict:
    """``settings`` with ``out`` as ``runs/<last part>`` and ``data_dir`` as None.

    Examples
    --------
    >>> neutral_settings({"out": "/work/runs/full", "data_dir": "/data/mnist", "seeds": 3})
    {'out': 'runs/full', 'data_dir': None, 'seeds': 3}
    """
    out = dict(settings)
    out["out"] = f"runs/{PurePosixPath(str(settings.get('out') or 'out')).name}"
    out["data_dir"] = None
    return out


def machine_paths(obj, where: str = "") -> list[str]:
    """``"where: value"`` of every string in ``obj`` that looks like a path of this machine.

    Examples
    --------
    >>> machine_paths({"a": ["img/results/x.png", "/tmp/x"], "b": {"c": "shared/data"}})
    ["a[1]: '/tmp/x'", "b.c: 'shared/data'"]
    """
    if isinstance(obj, dict):
        return [hit for k, v in obj.items() for hit in machine_paths(v, f"{where}.{k}" if where
                                                                     else str(k))]
    if isinstance(obj, list):
        return [hit for i, v in enumerate(obj) for hit in machine_paths(v, f"{where}[{i}]")]
    if isinstance(obj, str) and MACHINE_PATH.search(obj):
        return [f"{where}: {obj!r}"]
    return []


def figure_name(path: str) -> str:
    """The file name of a figure path a record lists (``figures/figure3.png`` -> ``figure3.png``)."""
    return PurePosixPath(path).name


def summary(record: dict, kind: str) -> dict:
    """What ``DOCS_DIR/<kind>.json`` holds for a validated ``record`` (see the module docstring)."""
    out = {k: copy.deepcopy(v) for k, v in record.items() if k not in COMMIT_FIELDS}
    out["settings"] = neutral_settings(record["settings"])
    out["figures"] = {name: [str(FIGURES / figure_name(p)) for p in paths if p.endswith(".png")]
                      for name, paths in record["figures"].items()}
    hits = machine_paths(out)
    if hits:
        raise PublishError(f"{kind}.json: {hits[0]} looks like a path of this machine; "
                           "not published")
    return out


def read_run(run_dir: Path) -> dict:
    """``{kind: record}`` of ``run_dir``, each validated; PublishError when one is absent or bad."""
    if not run_dir.is_dir():
        raise PublishError(f"{run_dir}: no such directory (the --out of entropy-ref reproduce)")
    records = {}
    for kind in KINDS:
        path = run_dir / f"{kind}.json"
        try:
            record = read_output(path, kind)
        except CorruptFileError as exc:
            raise PublishError(str(exc)) from None
        if record is None:
            raise PublishError(f"{path}: no such file (entropy-ref reproduce --out {run_dir}"
                               + (" --study ..." if kind == "studies" else "") + " writes it)")
        records[kind] = record
    return records


def figures_to_copy(records: dict) -> dict:
    """``{file name: (kind, path in the run directory)}`` of every PNG the records list."""
    out = {}
    for kind, record in records.items():
        for paths in record["figures"].values():
            for p in paths:
                if not p.endswith(".png"):
                    continue
                name = figure_name(p)
                if name in out and out[name] != (kind, p):
                    raise PublishError(f"{kind}.json lists {p!r}, and {out[name][0]}.json "
                                       f"{out[name][1]!r}: two figures named {name}")
                out[name] = (kind, p)
    return out


def committed_bytes(run_dir: Path, record: dict, path: str, kind: str) -> bytes:
    """The bytes of ``path`` as ``record`` committed them (size and SHA-256 checked)."""
    data = (run_dir / path).read_bytes()
    entry = record["files"][path]
    if len(data) != entry["size"] or hashlib.sha256(data).hexdigest() != entry["sha256"]:
        raise PublishError(f"{run_dir / path}: changed since {kind}.json committed it "
                           "(is a reproduction writing this directory?)")
    return data


def publish(run_dir, docs_dir, log=print) -> dict:
    """Write the summaries and figures of ``run_dir`` under ``docs_dir``; ``{kind: summary}``."""
    run_dir, docs_dir = Path(run_dir), Path(docs_dir)
    if docs_dir.resolve() == run_dir.resolve():
        raise PublishError(f"--out {docs_dir} is the run directory itself: its results.json and "
                           "studies.json would be overwritten")
    records = read_run(run_dir)
    summaries = {kind: summary(rec, kind) for kind, rec in records.items()}
    figures = figures_to_copy(records)
    payload = {name: committed_bytes(run_dir, records[kind], p, kind)
               for name, (kind, p) in figures.items()}
    target = docs_dir / FIGURES
    target.mkdir(parents=True, exist_ok=True)
    for name, data in payload.items():
        atomic_write_bytes(target / name, data)
    for kind, obj in summaries.items():            # the data files last: they name the figures
        atomic_write_text(docs_dir / f"{kind}.json", json.dumps(obj, indent=1,
                                                                ensure_ascii=False) + "\n")
    log(f"wrote {docs_dir / 'results.json'}, {docs_dir / 'studies.json'} and "
        f"{len(payload)} figures under {target}")
    return summaries


def describe(run_dir) -> str:
    """What :func:`publish` would write from ``run_dir`` (which it validates), as text."""
    run_dir = Path(run_dir)
    records = read_run(run_dir)
    for kind, rec in records.items():
        summary(rec, kind)
    figures = figures_to_copy(records)
    studies = records["studies"]["study"]["studies"]
    return (f"{run_dir}: results.json ({len(records['results']['methods'])} methods) and "
            f"studies.json ({', '.join(studies)}) are complete; --out DIR would write "
            f"DIR/results.json, DIR/studies.json and {len(figures)} figures under "
            f"DIR/{FIGURES}: {', '.join(sorted(figures))}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--from", dest="run_dir", default=None,
                    help="the --out directory of a finished entropy-ref reproduce")
    ap.add_argument("--out", default=None,
                    help="where to write results.json, studies.json and img/results/ "
                         "(the docs directory; default: write nothing)")
    args = ap.parse_args(argv)
    if args.run_dir is None:
        print(__doc__)
        return 0
    try:
        if args.out is None:
            print(describe(args.run_dir))
        else:
            publish(args.run_dir, args.out)
    except (PublishError, OSError) as exc:
        print(f"publish_results: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
