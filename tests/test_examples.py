"""Every script in ``examples/`` runs to completion and starts with a one-line header comment.

Each script runs as a subprocess in a fresh temporary directory with ``MPLBACKEND=Agg``. Without
``--out DIR`` a script only prints (docs/index.md says so): it writes nothing, neither into its
working directory nor into ``examples/``. With ``--out DIR`` the figure scripts write their PNGs
into ``DIR``. Scripts that cross-check against an optional framework are skipped when that
framework is not installed.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = REPO_ROOT / "examples"
SCRIPTS = sorted(EXAMPLES.glob("*.py"))

#: script name -> module it needs (skipped when absent)
OPTIONAL = {"verify_pytorch.py": "torch", "verify_jax.py": "jax"}

#: a hang guard, not a timing assertion: the scripts are meant to take well under a minute
HANG_GUARD_SECONDS = 300


def _header(path: Path) -> str:
    """The header comment line: line 1, or line 2 after a shebang."""
    lines = path.read_text(encoding="utf-8").splitlines()
    if lines and lines[0].startswith("#!"):
        lines = lines[1:]
    return lines[0] if lines else ""


def test_examples_directory_holds_the_documented_scripts():
    names = {p.name for p in SCRIPTS}
    assert {"walkthrough.py", "helmholtz.py", "what_hc_measures.py", "one_d_pass.py"} <= names, sorted(names)


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_script_has_one_line_header_comment(script):
    header = _header(script)
    assert header.startswith("# ") and len(header) > 20, (
        f"{script.name}: the first line must be a comment saying what the script shows; got {header!r}")
    text = script.read_text(encoding="utf-8").splitlines()
    after = text[text.index(header) + 1] if text.index(header) + 1 < len(text) else ""
    assert not after.startswith("#"), f"{script.name}: the header comment must be one line"


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_script_runs(script, tmp_path):
    needed = OPTIONAL.get(script.name)
    if needed is not None and importlib.util.find_spec(needed) is None:
        pytest.skip(f"{script.name} needs {needed}, which is not installed")
    before = sorted(p.name for p in EXAMPLES.iterdir())
    env = dict(os.environ, MPLBACKEND="Agg",
               PYTHONPATH=os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
               # tiny problems on a shared 2-core machine: BLAS threads only add spinning
               OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=HANG_GUARD_SECONDS)
    assert proc.returncode == 0, (
        f"{script.name} exited with {proc.returncode}\n--- stdout ---\n{proc.stdout[-3000:]}"
        f"\n--- stderr ---\n{proc.stderr[-3000:]}")
    assert sorted(p.name for p in EXAMPLES.iterdir()) == before, f"{script.name} wrote into examples/"
    written = sorted(p.name for p in tmp_path.iterdir())
    assert not written, f"{script.name} wrote {written} into its working directory without --out"


@pytest.mark.parametrize("script, png, page", [
    ("one_d_pass.py", "one_d_pass.png", "derivation.md"),
    ("figure1_lp_blindness.py", "figure1.png", "what_hc_measures.md"),
])
def test_figure_scripts_write_their_png(tmp_path, script, png, page):
    """``--out DIR`` writes the figure the docs show into DIR, creating it (the working directory
    stays empty). helmholtz.py and what_hc_measures.py: their own test modules."""
    env = dict(os.environ, MPLBACKEND="Agg", OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1",
               PYTHONPATH=os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])))
    out, cwd = tmp_path / "new" / "dir", tmp_path / "cwd"
    cwd.mkdir()
    proc = subprocess.run([sys.executable, str(EXAMPLES / script), "--out", str(out)], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=HANG_GUARD_SECONDS)
    assert proc.returncode == 0, proc.stderr
    assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and (out / png).stat().st_size > 10_000
    assert not list(cwd.iterdir())
    assert f"(img/{png})" in (REPO_ROOT / "docs" / page).read_text(encoding="utf-8")
