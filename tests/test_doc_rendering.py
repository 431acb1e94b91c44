"""The LaTeX on the documentation pages avoids the constructs GitHub is known to break (issue 11).

GitHub renders ``$…$`` and ``$$…$$`` with MathJax *after* Markdown has run over them, so inside
them Markdown's backslash escapes eat the backslash of ``\\,``, ``\\;``, ``\\!``, ``\\{`` … (``\\{``
shows as ``{``), ``<b`` starts an HTML tag, ``](`` a link, a ``|`` in a table row ends the cell,
and an opening ``$`` right after a letter, digit or hyphen (``low-$H_C$``) is not math at all.
Fenced ```` ```math ```` blocks are passed through verbatim and may use anything. The checks
below run over README.md and every page of docs/, outside fenced blocks and inline code.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
PAGES = [REPO_ROOT / "README.md"] + sorted((REPO_ROOT / "docs").glob("*.md"))

INLINE = re.compile(r"(?<![$\\])\$(?!\$)(.+?)(?<![\\])\$(?!\$)")
DISPLAY = re.compile(r"\$\$(.+?)\$\$", re.S)
ESCAPED_PUNCT = re.compile(r"\\[!-/:-@\[-`{-~]")      # backslash + ASCII punctuation


def _prose_lines(text: str):
    """(line number, line) outside fenced blocks, inline code spans blanked."""
    inside = False
    for number, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith(("```", "~~~")):
            inside = not inside
            continue
        if not inside:
            yield number, re.sub(r"`[^`]*`", lambda m: "C" * len(m.group(0)), line)


def problems(text: str) -> list[str]:
    out = []
    lines = list(_prose_lines(text))
    body = "\n".join(line for _, line in lines)
    displays = [m.group(1) for m in DISPLAY.finditer(body)]
    for number, line in lines:
        single = DISPLAY.sub(lambda m: "D" * len(m.group(0)), line)
        if single.count("$") % 2:
            out.append(f"line {number}: odd number of $ (math across a line break, or a stray $)")
            continue
        in_table = line.lstrip().startswith("|")
        for m in INLINE.finditer(single):
            before = single[m.start() - 1] if m.start() else " "
            if re.match(r"[\w-]", before):
                out.append(f"line {number}: ${m.group(1)}$ follows {before!r}: GitHub does not render it")
            if m.group(1)[0].isspace() or m.group(1)[-1].isspace():
                out.append(f"line {number}: ${m.group(1)}$ starts or ends with a space")
            if in_table and "|" in m.group(1):
                out.append(f"line {number}: '|' inside math in a table row (use \\lvert, \\rvert, \\mid)")
            out += _math_problems(m.group(1), f"line {number}")
    for d in displays:
        out += _math_problems(d, "$$ block")
    return out


def _math_problems(math: str, where: str) -> list[str]:
    out = [f"{where}: {bad!r} in ${math.strip()[:60]}$ (Markdown eats the backslash; use a ```math "
           "block, '\\ ' for a space, \\lbrace/\\rbrace for braces)" for bad in ESCAPED_PUNCT.findall(math)]
    if re.search(r"<[A-Za-z/!]", math):
        out.append(f"{where}: '<' before a letter in ${math.strip()[:60]}$ reads as an HTML tag")
    if "](" in math:
        out.append(f"{where}: '](' in ${math.strip()[:60]}$ reads as a link")
    return out


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_math_avoids_constructs_github_breaks(page):
    found = problems(page.read_text(encoding="utf-8"))
    assert not found, f"{page.relative_to(REPO_ROOT)}:\n" + "\n".join(found)


@pytest.mark.parametrize("text, ok", [
    ("energy $E = \\tfrac12 \\lVert g\\rVert^2$ and $H_C$", True),
    ("a space $a\\ b$ is fine", True),
    ("```math\nS = \\{1\\}\\,\\; x\n```", True),                    # fenced: verbatim
    ("`$HOME` is code", True),
    ("the set $\\{1, 2\\}$", False),
    ("thin $a\\,b$", False),
    ("$$\nx \\;=\\; y\n$$", False),
    ("the low-$H_C$ matrices", False),
    ("math $a +\nb$ across lines", False),
    ("| $\\lvert W\\rvert$ | ok |", True),
    ("| $|W|$ | broken |", False),
    ("$a <b$", False),
])
def test_the_checker_itself(text, ok):
    assert (not problems(text)) is ok, problems(text)
