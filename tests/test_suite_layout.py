"""The shape of the test suite and of the product's text: what a newcomer can rely on.

* every module ``conftest.INTEGRATION_MODULES`` marks ``slow`` exists (a renamed integration
  module would silently join the fast loop);
* no test module imports another test module (shared helpers live in ``tests/helpers.py`` and
  ``tests/conftest.py``);
* the product speaks of the product: no issue numbers, review rounds, "rooms" or other
  work-process words in the package, the tests, the docs, the examples or the project files.
"""

from __future__ import annotations

import ast
import subprocess

import pytest

from conftest import INTEGRATION_MODULES
from helpers import PROCESS_WORDS, REPO_ROOT

TESTS = REPO_ROOT / "tests"
#: the pattern's home and its own test quote the words they look for
SELF = {"tests/helpers.py", "tests/test_suite_layout.py"}



def test_every_integration_module_exists():
    missing = sorted(name for name in INTEGRATION_MODULES if not (TESTS / name).is_file())
    assert not missing, f"conftest.INTEGRATION_MODULES names missing files: {missing}"


def test_process_word_pattern_finds_what_it_should():
    for text in ("see issue 12", "(issue 9)", "review round 2", "the math room", "hardening",
                 "test_review_r1.py", "after this round"):
        assert PROCESS_WORDS.search(text), text
    for text in ("leaves room for another summation order", "round(x, 3)", "a precision issue"):
        assert not PROCESS_WORDS.search(text), text


def _imported_modules(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.module


@pytest.mark.parametrize("path", sorted(TESTS.glob("test_*.py")), ids=lambda p: p.name)
def test_no_test_module_imports_another(path):
    others = {p.stem for p in TESTS.glob("test_*.py")}
    bad = sorted(m for m in _imported_modules(path) if m.split(".")[0] in others)
    assert not bad, f"{path.name} imports test modules {bad}: move shared code to tests/helpers.py"


def _tracked_text_files():
    try:
        out = subprocess.run(["git", "ls-files"], cwd=REPO_ROOT, capture_output=True, text=True,
                             check=True).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout (an unpacked sdist): nothing tracked to scan")
    skip = {".png", ".pdf", ".npz", ".gz"}
    return [REPO_ROOT / f for f in out if (REPO_ROOT / f).suffix not in skip
            and f not in SELF and (REPO_ROOT / f).is_file()]


def test_the_product_speaks_of_the_product():
    found = []
    for path in _tracked_text_files():
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for n, line in enumerate(text.splitlines(), 1):
            m = PROCESS_WORDS.search(line)
            if m:
                found.append(f"{path.relative_to(REPO_ROOT)}:{n}: {m.group(0)!r} in {line.strip()[:90]}")
    assert not found, "work-process words in the product:\n" + "\n".join(found)
