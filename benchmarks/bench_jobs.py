"""``reproduce --jobs 2`` against ``--jobs 1``: the wall time of the same reproduction, side by side.

Runs ``entropy-ref reproduce`` twice in one invocation, each time as a fresh process into a fresh
temporary output directory on the same data: once with one process, once with ``--jobs N``
(default 2) worker processes. Every process that trains runs its BLAS with one thread in both
cases, so both produce the same numbers; the script checks that (``results.json`` minus timings
and cache flags) and prints the two wall times and their ratio, with the load average after each (other processes
on the cores distort both times: measure on an otherwise idle machine). The target on the
project's 2-core machine is a ratio of at least 1.6 for ``--quick``.

Usage::

    python benchmarks/bench_jobs.py [--data-dir DIR] [--jobs 2] [--preset quick] [--keep DIR]

Without ``--data-dir``, MNIST is looked up as ``entropy-ref`` does (``ENTROPY_REF_DATA``, ...).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

VOLATILE = ("timing", "curve_cached", "files", "blas", "package_version", "out")


def _comparable(obj):
    if isinstance(obj, dict):
        return {k: _comparable(v) for k, v in obj.items()
                if k not in VOLATILE and not k.endswith("seconds")}
    if isinstance(obj, list):
        return [_comparable(v) for v in obj]
    return obj


def _load():
    return ", ".join(f"{v:.2f}" for v in os.getloadavg())


def run(out, jobs, preset, data_dir):
    """Seconds of one ``entropy-ref reproduce`` process (its output discarded)."""
    argv = [sys.executable, "-m", "entropy_ref", "reproduce", "--preset", preset, "--out",
            str(out), "--jobs", str(jobs)]
    if data_dir:
        argv += ["--data-dir", str(data_dir)]
    t0 = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"reproduce --jobs {jobs} failed:\n{proc.stderr}")
    return seconds


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data-dir", help="directory with the four MNIST files")
    p.add_argument("--jobs", type=int, default=2, help="worker processes of the parallel run")
    p.add_argument("--preset", default="quick", help="reproduce preset (default: quick)")
    p.add_argument("--keep", help="keep both output directories under this directory")
    args = p.parse_args(argv)
    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench_jobs_"))
    root.mkdir(parents=True, exist_ok=True)
    try:
        print(f"reproduce --preset {args.preset}: {os.cpu_count()} CPU(s), load average "
              f"{_load()} before the runs")
        serial = run(root / "jobs1", 1, args.preset, args.data_dir)
        print(f"  --jobs 1:         {serial:7.1f} s   (load average after: {_load()})")
        parallel = run(root / f"jobs{args.jobs}", args.jobs, args.preset, args.data_dir)
        print(f"  --jobs {args.jobs}:         {parallel:7.1f} s   (load average after: {_load()})")
        a, b = (json.loads((root / d / "results.json").read_text())
                for d in ("jobs1", f"jobs{args.jobs}"))
        same = _comparable(a) == _comparable(b)
        print(f"  speed-up:         {serial / parallel:7.2f}x (target >= 1.6x on 2 cores)")
        print(f"  same results.json (timings aside): {'yes' if same else 'NO'}")
        return 0 if same else 1
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
