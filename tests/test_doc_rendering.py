"""The documentation pages render on GitHub: math, tables and list items.

GitHub renders ``$…$`` and ``$$…$$`` with MathJax *after* Markdown has run over them, so inside
them Markdown's backslash escapes eat the backslash of ``\\,``, ``\\;``, ``\\!``, ``\\{`` … (``\\{``
shows as ``{``), ``<b`` starts an HTML tag, ``](`` a link, a ``|`` in a table row ends the cell.
An opening ``$`` right after a letter, digit or hyphen (``low-$H_C$``) or right after ``(``, ``"``
or ``“`` (``($E$)``) is not rendered as math. A list item that holds both inline math and a
```` ```math ```` block breaks. Fenced ```` ```math ```` blocks are passed through verbatim and may
use anything.

Tables are parsed with GitHub's own parser (``cmarkgfm``, bindings to GitHub's cmark fork): a
``|`` inside a code span still ends the cell unless written ``\\|``, which cuts the code span and
silently drops the row's last cells. Every row must keep all of its text in its cells and no cell
may show a stray backtick.

The checks run over README.md and every page of docs/. ``KNOWN`` lists the rows known to break
(``page:line``); it is checked strictly: a listed row that renders correctly is an error, so the
list shrinks as the pages are fixed.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

cmarkgfm = pytest.importorskip("cmarkgfm", reason="the table rules need cmarkgfm (pip install cmarkgfm)")
from cmarkgfm.cmark import Options  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parent.parent
PAGES = [REPO_ROOT / "README.md"] + sorted((REPO_ROOT / "docs").glob("*.md"))

#: rows that do not render yet, as "page:line" (strict: remove an entry once its row renders)
KNOWN: set = set()

INLINE = re.compile(r"(?<![$\\])\$(?!\$)(.+?)(?<![\\])\$(?!\$)")
DISPLAY = re.compile(r"\$\$(.+?)\$\$", re.S)
ESCAPED_PUNCT = re.compile(r"\\[!-/:-@\[-`{-~]")      # backslash + ASCII punctuation
#: characters after which GitHub does not open inline math
NO_MATH_AFTER = re.compile(r"[\w\-(\"“]")


def _page_id(path: Path) -> str:
    return str(path.relative_to(REPO_ROOT))


# ---------------------------------------------------------------- math
def _prose_lines(text: str):
    """(line number, line) outside fenced blocks, inline code spans blanked."""
    inside = False
    for number, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith(("```", "~~~")):
            inside = not inside
            continue
        if not inside:
            yield number, re.sub(r"`[^`]*`", lambda m: "C" * len(m.group(0)), line)


def math_problems(text: str) -> list[tuple[int, str]]:
    """(line, problem) for every math construct GitHub breaks (the ``$$`` blocks report line 0)."""
    out = []
    lines = list(_prose_lines(text))
    body = "\n".join(line for _, line in lines)
    for number, line in lines:
        single = DISPLAY.sub(lambda m: "D" * len(m.group(0)), line)
        if single.count("$") % 2:
            out.append((number, "odd number of $ (math across a line break, or a stray $)"))
            continue
        in_table = line.lstrip().startswith("|")
        for m in INLINE.finditer(single):
            before = single[m.start() - 1] if m.start() else " "
            if NO_MATH_AFTER.match(before):
                out.append((number, f"${m.group(1)}$ follows {before!r}: GitHub does not render it"))
            if m.group(1)[0].isspace() or m.group(1)[-1].isspace():
                out.append((number, f"${m.group(1)}$ starts or ends with a space"))
            if in_table and "|" in m.group(1):
                out.append((number, "'|' inside math in a table row (use \\lvert, \\rvert, \\mid)"))
            out += [(number, p) for p in _inside_math(m.group(1))]
    for d in DISPLAY.finditer(body):
        out += [(0, f"$$ block: {p}") for p in _inside_math(d.group(1))]
    return out


def _inside_math(math: str) -> list[str]:
    short = math.strip()[:60]
    out = [f"{bad!r} in ${short}$ (Markdown eats the backslash; use a ```math block, '\\ ' for a "
           "space, \\lbrace/\\rbrace for braces)" for bad in ESCAPED_PUNCT.findall(math)]
    if re.search(r"<[A-Za-z/!]", math):
        out.append(f"'<' before a letter in ${short}$ reads as an HTML tag")
    if "](" in math:
        out.append(f"'](' in ${short}$ reads as a link")
    return out


# ---------------------------------------------------------------- tables and list items (cmarkgfm)
class _Rendered(HTMLParser):
    """Table rows and list items of cmark-gfm's HTML with their source positions."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.rows = []          # [line, [(start col, end col)], [text of each cell outside <code>]]
        self.items = []         # [line, has a ```math block, has inline $…$]
        self._open = []         # open list items (indices into self.items)
        self._cell = None
        self._code = 0

    @staticmethod
    def _span(attrs):
        pos = dict(attrs).get("data-sourcepos")
        (l1, c1), (l2, c2) = (tuple(int(x) for x in p.split(":")) for p in pos.split("-"))
        return l1, c1, l2, c2

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([self._span(attrs)[0], [], []])
        elif tag in ("td", "th"):
            _, c1, _, c2 = self._span(attrs)
            self.rows[-1][1].append((c1, c2))
            self.rows[-1][2].append("")
            self._cell = True
        elif tag == "li":
            self.items.append([self._span(attrs)[0], False, False])
            self._open.append(len(self.items) - 1)
        elif tag == "pre" and dict(attrs).get("lang") == "math" and self._open:
            self.items[self._open[-1]][1] = True
        if tag in ("code", "pre"):
            self._code += 1

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self._cell = None
        elif tag == "li" and self._open:
            self._open.pop()
        elif tag in ("code", "pre"):
            self._code -= 1

    def handle_data(self, data):
        if self._code:
            return
        if self._cell:
            self.rows[-1][2][-1] += data
        if self._open and INLINE.search(data):
            self.items[self._open[-1]][2] = True


def render_problems(text: str) -> list[tuple[int, str]]:
    """(line, problem) for table rows that lose text or cut a code span, and for list items that
    mix inline math with a ```math block, as GitHub's parser reads the page."""
    html = cmarkgfm.github_flavored_markdown_to_html(text, options=Options.CMARK_OPT_SOURCEPOS)
    parsed = _Rendered()
    parsed.feed(html)
    lines = [line.encode("utf-8") for line in text.splitlines()]      # cmark counts bytes
    out = []
    for line, spans, cells in parsed.rows:
        source = bytearray(lines[line - 1])
        for c1, c2 in spans:
            source[c1 - 1:c2] = b" " * (c2 - c1 + 1)
        lost = source.decode("utf-8", "replace").replace("|", "").strip()
        if lost:
            out.append((line, f"table row drops {lost[:50]!r} (an unescaped '|' in a code span? "
                              "write \\| there)"))
        elif any("`" in cell for cell in cells):
            out.append((line, "table row cuts a code span (an unescaped '|' in it? write \\| there)"))
    for line, has_block, has_inline in parsed.items:
        if has_block and has_inline:
            out.append((line, "list item with inline math and a ```math block: GitHub breaks it; "
                              "end the item before the block or move the math out of the item"))
    return out


def page_problems(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    found = sorted(set(math_problems(text) + render_problems(text)))
    return [f"{_page_id(path)}:{line}: {why}" for line, why in found]


# ---------------------------------------------------------------- the pages
@pytest.mark.parametrize("page", PAGES, ids=_page_id)
def test_page_renders_on_github(page):
    found = page_problems(page)
    known = {k for k in KNOWN if k.startswith(_page_id(page) + ":")}
    failing = {p.split(": ", 1)[0] for p in found}
    new = [p for p in found if p.split(": ", 1)[0] not in known]
    fixed = sorted(known - failing)
    assert not new, "renders wrongly on GitHub:\n" + "\n".join(new)
    assert not fixed, ("listed in KNOWN but renders now; remove from KNOWN in tests/test_doc_rendering.py: "
                       + ", ".join(fixed))


def test_known_entries_name_existing_pages():
    pages = {_page_id(p) for p in PAGES}
    assert all(k.rsplit(":", 1)[0] in pages and k.rsplit(":", 1)[1].isdigit() for k in KNOWN), KNOWN


# ---------------------------------------------------------------- the checkers themselves
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
    ("the energy ($E$) is", False),
    ('the "$H_C$" label', False),
    ("the “$H_C$” label", False),
    ("the energy ( $E$ ) is", True),
    ("the energy $E$ (D4) is", True),
])
def test_the_math_checker_itself(text, ok):
    assert (not math_problems(text)) is ok, math_problems(text)


TABLE = "| a | b |\n|---|---|\n{row}\n"


@pytest.mark.parametrize("text, ok", [
    (TABLE.format(row="| `x` | y |"), True),
    (TABLE.format(row="| `x\\|y` | z |"), True),
    (TABLE.format(row="| `x|y` | z |"), False),                    # z is dropped
    ("| a | b | c |\n|---|---|---|\n| `x|y` | z |\n", False),      # nothing dropped, code span cut
    (TABLE.format(row="| `−|W|` | ℓ |"), False),                   # non-ASCII before the cut
    (TABLE.format(row="| −ℓ | ·x· |"), True),
    ("* an item $a$\n\n  ```math\n  x\n  ```\n", False),
    ("* an item\n\n  ```math\n  x\n  ```\n\n  then $a$\n", False),
    ("* an item\n\n  ```math\n  x\n  ```\n\nafter the list, $a$\n", True),
    ("* an item $a$\n* another\n\n```math\nx\n```\n", True),
    ("* outer\n  * inner $a$\n\n    ```math\n    x\n    ```\n", False),
])
def test_the_render_checker_itself(text, ok):
    assert (not render_problems(text)) is ok, render_problems(text)
