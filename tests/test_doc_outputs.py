"""Output blocks on the documentation pages are what their scripts print.

Convention (shared by everyone writing docs): ``<!-- output: examples/SCRIPT.py [ARGS] -->`` on the
line directly before a ```` ```text ```` fence says that the block is output of that command. All
blocks of one page marked with the same command, joined in order, must equal the command's whole
output (run from a fresh temporary directory): words exactly, numbers as numbers, integers exactly
and decimals to one unit in the last digit shown (``tests/helpers.py``). On a page whose output
blocks are all marked, every decimal number of the prose (outside code, math and fenced blocks)
must also be printed by one of the page's commands, or be listed in ``PROSE_EXCEPTIONS`` with a
reason. A marker that is not directly followed by a ``text`` fence, or names a missing script, is
an error.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

import pytest

from helpers import NUMBER, compare_lines, repo_env

REPO_ROOT = Path(__file__).resolve().parent.parent
PAGES = [REPO_ROOT / "README.md"] + sorted((REPO_ROOT / "docs").glob("*.md"))
MARKER = re.compile(r"^\s*<!--\s*output:\s*(.*?)\s*-->\s*$")

#: decimals a page's prose may show without its scripts printing them: page -> {number: reason}
PROSE_EXCEPTIONS = {
    "docs/derivation.md": {"3.1": "the paper's section number", "5.1": "the paper's section number"},
}


def _page_id(path: Path) -> str:
    return str(path.relative_to(REPO_ROOT))


def output_blocks(text: str, name: str = "<page>") -> tuple[dict[str, list[str]], int, str]:
    """({command: lines of its blocks in order}, number of unmarked text blocks, prose)."""
    blocks: dict[str, list[str]] = {}
    unmarked, prose, lines = 0, [], text.splitlines()
    i, pending = 0, None
    while i < len(lines):
        line = lines[i]
        if (m := MARKER.match(line)):
            pending = (i + 1, m.group(1))
            i += 1
            continue
        if line.lstrip().startswith(("```", "~~~")):
            info = line.strip().strip("`~").strip()
            end = next((j for j in range(i + 1, len(lines)) if lines[j].lstrip().startswith(("```", "~~~"))),
                       None)
            if end is None:
                raise AssertionError(f"{name}:{i + 1}: fence never closed")
            if pending is not None:
                if info != "text":
                    raise AssertionError(f"{name}:{pending[0]}: output marker before a {info or 'plain'} fence")
                blocks.setdefault(pending[1], []).extend(lines[i + 1:end])
            elif info == "text":
                unmarked += 1
            pending, i = None, end + 1
            continue
        if pending is not None:
            raise AssertionError(f"{name}:{pending[0]}: output marker not directly before a ```text fence")
        prose.append(line)
        i += 1
    if pending is not None:
        raise AssertionError(f"{name}:{pending[0]}: output marker at the end of the page")
    return blocks, unmarked, "\n".join(prose)


@lru_cache(maxsize=None)
def run(command: str) -> str:
    """stdout of ``python COMMAND`` (script path relative to the repository) in a fresh directory."""
    import tempfile

    script, *args = shlex.split(command)
    path = REPO_ROOT / script
    assert path.is_file() and path.suffix == ".py", f"no script {script}"
    with tempfile.TemporaryDirectory() as cwd:
        proc = subprocess.run([sys.executable, str(path), *args], cwd=cwd, capture_output=True, text=True,
                              env=repo_env(MPLBACKEND="Agg", OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1"),
                              timeout=300)
    assert proc.returncode == 0, f"{command} failed:\n{proc.stderr[-3000:]}"
    return proc.stdout


def prose_decimals(prose: str) -> list[str]:
    """Decimal numbers of the prose outside code spans and inline or display math."""
    prose = re.sub(r"`[^`]*`", " ", prose)
    prose = re.sub(r"\$\$.*?\$\$", " ", prose, flags=re.S)
    prose = re.sub(r"\$[^$\n]*\$", " ", prose)
    prose = re.sub(r"\]\([^)]*\)", "]", prose)                     # link targets
    return [t for t in NUMBER.findall(prose.replace("−", "-")) if "." in t]


MARKED = [p for p in PAGES if any(MARKER.match(line) for line in p.read_text(encoding="utf-8").splitlines())]


def test_some_pages_use_output_markers():
    assert {"docs/derivation.md", "docs/backprop.md", "docs/exercises.md"} <= {_page_id(p) for p in MARKED}


@pytest.mark.parametrize("page", MARKED, ids=_page_id)
def test_output_blocks_are_what_the_scripts_print(page):
    blocks, unmarked, prose = output_blocks(page.read_text(encoding="utf-8"), _page_id(page))
    problems = []
    for command, lines in blocks.items():
        problems += [f"{command}: {p}" for p in compare_lines(lines, run(command).splitlines())]
    assert not problems, f"{_page_id(page)}:\n" + "\n".join(problems)
    if unmarked:
        return                                     # another test owns the page's other blocks
    printed = {t.lstrip("+-") for command in blocks for t in NUMBER.findall(run(command))}
    allowed = PROSE_EXCEPTIONS.get(_page_id(page), {})
    missing = sorted({t for t in prose_decimals(prose) if t.lstrip("+-") not in printed and t not in allowed})
    assert not missing, f"{_page_id(page)}: decimals in the prose that no output block's script prints: {missing}"


@pytest.mark.parametrize("page", PAGES, ids=_page_id)
def test_output_markers_are_well_formed(page):
    blocks, _, _ = output_blocks(page.read_text(encoding="utf-8"), _page_id(page))
    for command in blocks:
        script = shlex.split(command)[0]
        assert (REPO_ROOT / script).is_file() and script.startswith("examples/"), (
            f"{_page_id(page)}: output marker names {script!r}, not a script in examples/")


@pytest.mark.parametrize("text, message", [
    ("<!-- output: examples/x.py -->\n```python\nx\n```\n", "before a python fence"),
    ("<!-- output: examples/x.py -->\n\n```text\nx\n```\n", "not directly before"),
    ("text\n<!-- output: examples/x.py -->\n", "end of the page"),
])
def test_the_parser_rejects_misplaced_markers(text, message):
    with pytest.raises(AssertionError, match=message):
        output_blocks(text)


def test_the_parser_groups_blocks_by_command():
    text = ("<!-- output: a.py -->\n```text\n1\n```\nprose 2.5\n```text\nfree\n```\n"
            "<!-- output: a.py -->\n```text\n2\n```\n<!-- output: b.py --n 3 -->\n```text\n3\n```\n")
    blocks, unmarked, prose = output_blocks(text)
    assert blocks == {"a.py": ["1", "2"], "b.py --n 3": ["3"]} and unmarked == 1
    assert prose_decimals(prose + " `1.5` $2.25$ [x](a1.2.md) 0.75") == ["2.5", "0.75"]
