"""Every ```` ```python ```` block in README.md and docs/*.md runs (docs are code).

Convention (shared by everyone writing docs):

* a fenced block whose info string is exactly ``python`` is executed; the blocks of one page run in
  order in one namespace, with a fresh temporary directory as the working directory;
* ``<!-- snippet: skip (reason) -->`` on the line directly before the opening fence: not run (the
  reason is required);
* ``<!-- snippet: requires torch -->`` (or ``jax``, or any importable module name) there: run only
  when that module is installed, skipped otherwise;
* output and console blocks use ``text`` / ``console`` / ``bash``.

Pages are collected with a glob, so a new page is covered without touching this file. A marker
that is misspelt, or not directly followed by a ``python`` fence, is an error rather than being
silently ignored, and so is a block labelled ``py`` / ``python3`` (which would silently not run).
"""

from __future__ import annotations

import importlib.util
import re
import textwrap
import traceback
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
PAGES = [REPO_ROOT / "README.md"] + sorted((REPO_ROOT / "docs").glob("*.md"))

FENCE = re.compile(r"^\s*(`{3,}|~{3,})\s*([^`\s]*)\s*$")
MARKER = re.compile(r"^\s*<!--\s*snippet:(.*?)-->\s*$")
SKIP = re.compile(r"^\s*skip\s*\((.*\S.*)\)\s*$")
REQUIRES = re.compile(r"^\s*requires\s+([A-Za-z_][\w.]*)\s*$")
#: info strings that look like Python but would not be executed
PYTHON_LOOKALIKES = {"py", "py3", "python3", "Python", "PYTHON", "pycon"}


class SnippetFormatError(ValueError):
    """A snippet marker or a fence that breaks the convention."""


@dataclass
class Block:
    line: int                   # 1-based line of the first code line
    source: str
    skip: str | None = None     # reason, when marked skip
    requires: str | None = None


def parse_blocks(text: str, name: str = "<page>") -> list[Block]:
    """The ``python`` blocks of a Markdown page, with their markers. Raises on convention errors."""
    blocks, lines = [], text.splitlines()
    i, pending = 0, None                     # pending: (line number, marker text)
    while i < len(lines):
        line = lines[i]
        marker = MARKER.match(line)
        fence = FENCE.match(line)
        if marker:
            if pending is not None:
                raise SnippetFormatError(f"{name}:{pending[0]}: snippet marker not followed by a fence")
            pending = (i + 1, marker.group(1))
            i += 1
            continue
        if fence:
            ticks, info = fence.group(1), fence.group(2)
            end = i + 1
            while end < len(lines) and not lines[end].strip().startswith(ticks[0] * len(ticks)):
                end += 1
            if end == len(lines):
                raise SnippetFormatError(f"{name}:{i + 1}: fence opened here is never closed")
            if info in PYTHON_LOOKALIKES:
                raise SnippetFormatError(f"{name}:{i + 1}: info string {info!r} is not executed; "
                                         "use exactly 'python' (or 'text' for output)")
            if pending is not None and info != "python":
                raise SnippetFormatError(f"{name}:{pending[0]}: snippet marker before a {info or 'plain'}"
                                         " fence; markers only apply to ```python blocks")
            if info == "python":
                block = Block(line=i + 2, source=textwrap.dedent("\n".join(lines[i + 1:end])))
                if pending is not None:
                    body = pending[1]
                    if (m := SKIP.match(body)):
                        block.skip = m.group(1).strip()
                    elif (m := REQUIRES.match(body)):
                        block.requires = m.group(1)
                    else:
                        raise SnippetFormatError(
                            f"{name}:{pending[0]}: unknown snippet marker {body.strip()!r}; use "
                            "'skip (reason)' or 'requires MODULE'")
                blocks.append(block)
            pending = None
            i = end + 1
            continue
        if pending is not None and line.strip():
            raise SnippetFormatError(f"{name}:{pending[0]}: snippet marker must be on the line directly "
                                     "before the opening fence")
        if pending is not None:
            raise SnippetFormatError(f"{name}:{pending[0]}: snippet marker must be on the line directly "
                                     "before the opening fence (blank line in between)")
        i += 1
    if pending is not None:
        raise SnippetFormatError(f"{name}:{pending[0]}: snippet marker at the end of the page")
    return blocks


def run_page(blocks: list[Block], name: str) -> list[str]:
    """Execute the blocks in order in one namespace. Returns the list of skip notes; raises
    ``AssertionError`` naming the page, the block's first line and the traceback on failure."""
    namespace = {"__name__": "__doc_snippet__"}
    notes = []
    for block in blocks:
        if block.skip is not None:
            notes.append(f"line {block.line}: skipped ({block.skip})")
            continue
        if block.requires is not None and importlib.util.find_spec(block.requires.split(".")[0]) is None:
            notes.append(f"line {block.line}: needs {block.requires}, not installed")
            continue
        # leading newlines make the traceback's line numbers those of the page
        code = compile("\n" * (block.line - 1) + block.source, name, "exec")
        try:
            exec(code, namespace)
        except Exception:          # noqa: BLE001 - reported with the page line
            raise AssertionError(f"{name}: the python block starting at line {block.line} failed:\n"
                                 f"{traceback.format_exc(limit=-3)}") from None
    return notes


def _page_id(path: Path) -> str:
    return str(path.relative_to(REPO_ROOT))


def test_the_pages_are_collected():
    names = {_page_id(p) for p in PAGES}
    assert {"README.md", "docs/index.md", "docs/conventions.md", "docs/derivation.md",
            "docs/walkthrough.md"} <= names, sorted(names)


@pytest.mark.parametrize("page", PAGES, ids=_page_id)
def test_python_snippets_run(page, tmp_path, monkeypatch):
    blocks = parse_blocks(page.read_text(encoding="utf-8"), _page_id(page))
    if not blocks:
        pytest.skip(f"{_page_id(page)} has no python blocks")
    monkeypatch.chdir(tmp_path)
    notes = run_page(blocks, _page_id(page))
    runnable = [b for b in blocks if b.skip is None]
    if notes and len(notes) == len(blocks):
        pytest.skip("; ".join(notes))
    assert runnable or notes


def test_the_readme_quick_start_is_executed():
    """The quick start is a python block that is neither skipped nor optional."""
    blocks = parse_blocks((REPO_ROOT / "README.md").read_text(encoding="utf-8"), "README.md")
    quick = [b for b in blocks if "configuration_entropy_grad" in b.source]
    assert quick and all(b.skip is None and b.requires is None for b in quick)
    assert not any("== -H" in b.source or "== -configuration_entropy" in b.source for b in quick), (
        "the quick start must not teach exact float equality")


# ---------------------------------------------------------------- the parser and runner themselves
SAMPLE = """\
# page

```python
x = 1
```

<!-- snippet: skip (needs a GPU) -->
```python
raise RuntimeError("not run")
```

<!-- snippet: requires a_module_that_does_not_exist_xyz -->
```python
import a_module_that_does_not_exist_xyz
```

```text
x = 2   (output, not run)
```

```python
assert x == 1
```
"""


def test_parser_reads_markers_and_ignores_other_fences():
    blocks = parse_blocks(SAMPLE)
    assert [b.line for b in blocks] == [4, 9, 14, 22]
    assert blocks[1].skip == "needs a GPU" and blocks[2].requires == "a_module_that_does_not_exist_xyz"
    assert run_page(blocks, "sample") == ["line 9: skipped (needs a GPU)",
                                         "line 14: needs a_module_that_does_not_exist_xyz, not installed"]


def test_runner_reports_a_failing_block_with_its_page_line():
    text = "intro\n\n```python\nx = 1\n```\n\n```python\ny = 2\nassert x == 2, 'wrong'\n```\n"
    with pytest.raises(AssertionError, match=r"page\.md: the python block starting at line 8 failed"):
        run_page(parse_blocks(text, "page.md"), "page.md")
    with pytest.raises(AssertionError, match=r'page\.md", line 9'):
        run_page(parse_blocks(text, "page.md"), "page.md")


@pytest.mark.parametrize("text, message", [
    ("<!-- snippet: skip -->\n```python\nx\n```\n", "unknown snippet marker"),
    ("<!-- snippet: sikp (typo) -->\n```python\nx\n```\n", "unknown snippet marker"),
    ("<!-- snippet: skip (r) -->\n\n```python\nx\n```\n", "directly before"),
    ("<!-- snippet: skip (r) -->\ntext\n```python\nx\n```\n", "directly before"),
    ("<!-- snippet: skip (r) -->\n```text\nx\n```\n", "markers only apply"),
    ("```py\nx = 1\n```\n", "is not executed"),
    ("```python\nx = 1\n", "never closed"),
    ("text\n<!-- snippet: skip (r) -->\n", "end of the page"),
])
def test_parser_rejects_convention_errors(text, message):
    with pytest.raises(SnippetFormatError, match=message):
        parse_blocks(text)


@pytest.mark.parametrize("module", ["torch", "jax"])
def test_backprop_framework_blocks_run(module, tmp_path, monkeypatch):
    """docs/backprop.md compares the reference adjoint with PyTorch's ``conv_transpose2d`` and
    autograd, and with ``jax.vjp``: those blocks run whenever the framework is installed."""
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"docs/backprop.md's {module} block needs {module}, which is not installed")
    blocks = parse_blocks((REPO_ROOT / "docs" / "backprop.md").read_text(encoding="utf-8"), "docs/backprop.md")
    assert any(b.requires == module for b in blocks), f"docs/backprop.md has no block that requires {module}"
    monkeypatch.chdir(tmp_path)
    assert run_page([b for b in blocks if b.requires in (None, module)], "docs/backprop.md") == []
