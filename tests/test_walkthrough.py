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

import re
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import NUMBER, compare_line, compare_lines, doc_blocks, repo_env

REPO_ROOT = Path(__file__).resolve().parent.parent
DOC = REPO_ROOT / "docs" / "walkthrough.md"
SCRIPT = REPO_ROOT / "examples" / "walkthrough.py"


@pytest.fixture(scope="module")
def script_output() -> str:
    proc = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True,
                          env=repo_env(MPLBACKEND="Agg"), timeout=300)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_tokenizer_and_tolerances_behave_as_documented():
    assert compare_line("E = 20.16796875", "E = 20.16796876") is None
    assert compare_line("E = 20.16796875", "E = 20.16796877") is not None
    assert compare_line("[ 32 -23]", "[ 32 -24]") is not None
    assert compare_line("error = 8.8e-09", "error = 3.1e-08") is None
    assert compare_line("error = 8.8e-09", "error = 3.1e-05") is not None
    assert compare_line("H_C = -2.1 nats", "H_C = -2.1 bits") is not None


def test_page_blocks_match_script_output(script_output):
    page, _ = doc_blocks(DOC.read_text(encoding="utf-8"))
    assert len([line for line in page if line.strip()]) > 40, "the page should show the whole output"
    problems = compare_lines(page, script_output.splitlines())
    assert not problems, "\n".join(problems)


def test_decimals_quoted_in_the_prose_are_printed_by_the_script(script_output):
    _, prose = doc_blocks(DOC.read_text(encoding="utf-8"))
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
