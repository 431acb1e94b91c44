"""``docs/walkthrough.md`` shows exactly what ``examples/walkthrough.py`` prints.

The page's ```` ```text ```` blocks, concatenated in order, must equal the script's output line by
line (blank lines ignored). Words and symbols must match exactly; numbers are compared as numbers:

* integers (all exact in the walk-through: ``32 * g``, ``1024 * K^T K W`` ...) must be equal;
* fixed-point decimals must agree to one unit in the last digit printed on the page;
* scientific-notation numbers are rounding-level quantities (adjoint test, finite-difference error,
  Euler identity): both must lie below ``1e-6``, or else agree to one unit in the last mantissa digit.

Decimals with three or more digits quoted in the prose must also occur in the script output.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
DOC = REPO_ROOT / "docs" / "walkthrough.md"
SCRIPT = REPO_ROOT / "examples" / "walkthrough.py"

NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")
SMALL = 1e-6


def _doc_blocks(text: str) -> tuple[list[str], str]:
    """(lines of all ```text blocks in order, prose outside every fenced block)."""
    lines, prose, inside = [], [], None
    for line in text.splitlines():
        if line.startswith("```"):
            inside = None if inside is not None else line[3:].strip()
            continue
        if inside == "text":
            lines.append(line)
        elif inside is None:
            prose.append(line)
    return lines, "\n".join(prose)


@pytest.fixture(scope="module")
def script_output() -> str:
    env = dict(os.environ, MPLBACKEND="Agg",
               PYTHONPATH=os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])))
    proc = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True, env=env,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def _unit(token: str) -> float:
    """One unit in the last printed digit of a decimal token (mantissa digit for e-notation)."""
    mantissa, _, exponent = token.lower().partition("e")
    decimals = len(mantissa.partition(".")[2])
    return 10.0 ** (-decimals + (int(exponent) if exponent else 0))


def _numbers_agree(doc: str, got: str) -> bool:
    a, b = float(doc), float(got)
    if "." not in doc and "e" not in doc.lower():
        return "." not in got and "e" not in got.lower() and a == b
    if "e" in doc.lower() and abs(a) < SMALL and abs(b) < SMALL:
        return True
    return abs(a - b) <= _unit(doc) * (1 + 1e-6)


def _compare_line(doc: str, got: str) -> str | None:
    """None if the lines agree, else a description of the first difference."""
    doc_text, got_text = NUMBER.split(doc), NUMBER.split(got)
    if doc_text != got_text:
        return "text differs"
    for d, g in zip(NUMBER.findall(doc), NUMBER.findall(got), strict=True):
        if not _numbers_agree(d, g):
            return f"number {d} on the page, {g} printed"
    return None


def test_tokenizer_and_tolerances_behave_as_documented():
    assert _compare_line("E = 20.16796875", "E = 20.16796876") is None
    assert _compare_line("E = 20.16796875", "E = 20.16796877") is not None
    assert _compare_line("[ 32 -23]", "[ 32 -24]") is not None
    assert _compare_line("error = 8.8e-09", "error = 3.1e-08") is None
    assert _compare_line("error = 8.8e-09", "error = 3.1e-05") is not None
    assert _compare_line("H_C = -2.1 nats", "H_C = -2.1 bits") is not None


def test_page_blocks_match_script_output(script_output):
    page, _ = _doc_blocks(DOC.read_text(encoding="utf-8"))
    page = [line.rstrip() for line in page if line.strip()]
    printed = [line.rstrip() for line in script_output.splitlines() if line.strip()]
    assert len(page) > 40, "the page should show the whole output"
    assert len(page) == len(printed), (
        f"the page shows {len(page)} output lines, the script prints {len(printed)}")
    problems = [f"line {n}: {why}\n  page:   {d}\n  script: {g}"
                for n, (d, g) in enumerate(zip(page, printed), 1)
                if (why := _compare_line(d, g)) is not None]
    assert not problems, "\n".join(problems)


def test_decimals_quoted_in_the_prose_are_printed_by_the_script(script_output):
    _, prose = _doc_blocks(DOC.read_text(encoding="utf-8"))
    printed = set(NUMBER.findall(script_output))
    quoted = [t for t in NUMBER.findall(prose) if re.fullmatch(r"-?\d+\.\d{3,}", t)]
    missing = [t for t in quoted if t not in printed and t.lstrip("-") not in printed]
    assert not missing, f"numbers quoted on the page but not printed by the script: {missing}"


def test_the_page_defines_the_matrix_the_script_uses():
    """The page's first python block (run by tests/test_doc_snippets.py) builds the script's W."""
    import numpy as np
    text = DOC.read_text(encoding="utf-8")
    first = text.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict = {}
    exec(first, namespace)
    script_ns: dict = {}
    source = SCRIPT.read_text(encoding="utf-8")
    exec(source[source.index("W = np.array("):source.index("def as_int")], {"np": np}, script_ns)
    assert np.array_equal(namespace["W"], script_ns["W"])
