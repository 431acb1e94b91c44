"""Every reference to a documentation page in the package's strings resolves.

Error messages (and docstrings) send the reader to ``docs/x.md``, ``docs/x.md §7``,
``docs/x.md, 'Heading'`` or ``docs/x.md#anchor``. Each string literal of every module in
``entropy_ref/`` is read with :mod:`ast` (f-strings included); every such reference must name an
existing file and, when it names a section, a heading of that file (a message that sends readers
to a section of ``conventions.md`` that lives in ``derivation.md`` fails).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import numpy as np
import pytest

import entropy_ref as er
from entropy_ref.errors import DegenerateInputError

REPO_ROOT = Path(__file__).resolve().parent.parent
PACKAGE = REPO_ROOT / "entropy_ref"

REFERENCE = re.compile(
    r"docs/(?P<page>[\w.-]+\.md)"
    r"(?:\s*§\s*(?P<number>\d+)|#(?P<anchor>[\w-]+))?"
    r"(?:,?\s*[‘'\"“(](?P<title>[A-Z][^'’\"”)]{2,60})[’'\"”)])?")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


def _strings(path: Path):
    """(line, text) of every string constant in a module, f-string pieces joined."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.lineno, node.value
        elif isinstance(node, ast.JoinedStr):
            yield node.lineno, "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)


def headings(page: Path) -> list[str]:
    """Heading texts of a Markdown page (outside fenced blocks)."""
    out, inside = [], False
    for line in page.read_text(encoding="utf-8").splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            inside = not inside
        elif not inside and (m := HEADING.match(line)):
            out.append(m.group(2))
    return out


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*]", "", heading).strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _strip_number(heading: str) -> str:
    return re.sub(r"^\d+(\.\d+)*\.?\s+", "", re.sub(r"[`*]", "", heading)).strip()


def resolve(match: re.Match) -> str | None:
    """None when the reference resolves, else what is wrong."""
    page = REPO_ROOT / "docs" / match["page"]
    if not page.is_file():
        return f"docs/{match['page']} does not exist"
    heads = headings(page)
    if match["number"] is not None:
        numbered = [h for h in heads if re.match(rf"{match['number']}\.?\s", h)]
        if not numbered:
            return f"docs/{match['page']} has no section {match['number']} (headings: {heads})"
        if match["title"] is not None and all(_strip_number(h).lower() != match["title"].lower()
                                              for h in numbered):
            return f"section {match['number']} of docs/{match['page']} is {numbered}, not {match['title']!r}"
    elif match["title"] is not None:
        if all(_strip_number(h).lower() != match["title"].lower() for h in heads):
            return f"docs/{match['page']} has no heading {match['title']!r} (headings: {heads})"
    if match["anchor"] is not None and match["anchor"] not in {slug(h) for h in heads}:
        return f"docs/{match['page']} has no anchor #{match['anchor']}"
    return None


def _all_references():
    for path in sorted(PACKAGE.rglob("*.py")):
        for line, text in _strings(path):
            for m in REFERENCE.finditer(text):
                yield f"{path.relative_to(REPO_ROOT)}:{line}", m


def test_every_doc_reference_in_the_package_resolves():
    refs = list(_all_references())
    assert len(refs) >= 10, "the package should cite its docs"
    problems = [f"{where}: {m.group(0)!r}: {why}" for where, m in refs if (why := resolve(m))]
    assert not problems, "\n".join(problems)


def test_degenerate_input_message_names_an_existing_section():
    """The message a user actually sees for ``[[1, 0, 1]]`` (zero Scharr energy) resolves."""
    with pytest.raises(DegenerateInputError) as info:
        er.configuration_entropy(np.array([[1.0, 0.0, 1.0]]))
    refs = list(REFERENCE.finditer(str(info.value)))
    assert refs, str(info.value)
    assert all(m["number"] or m["title"] for m in refs), "the message should name a section"
    assert [resolve(m) for m in refs] == [None] * len(refs)


@pytest.mark.parametrize("text, ok", [
    ("see docs/derivation.md §7, 'Degenerate inputs'.", True),
    ("see docs/derivation.md §7", True),
    ("see docs/derivation.md §99", False),
    ("see docs/derivation.md §7, 'Something else'", False),
    ("see docs/conventions.md, 'Padding modes'.", False),
    ("see docs/conventions.md, 'The sign question'.", True),
    ("see docs/conventions.md#the-sign-question", True),
    ("see docs/conventions.md#no-such-anchor", False),
    ("see docs/no_such_page.md", False),
])
def test_the_resolver_itself(text, ok):
    m = REFERENCE.search(text)
    assert (resolve(m) is None) is ok, resolve(m)


def _table(text: str, after: str) -> list[dict]:
    """The first Markdown table following the line ``after``, as a list of row dicts."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == after)
    rows = []
    for line in lines[start + 1:]:
        if line.startswith("|"):
            rows.append([c.strip() for c in line.strip().strip("|").split("|")])
        elif rows:
            break
    header, body = rows[0], [r for r in rows[2:]]
    return [dict(zip(header, r)) for r in body]


def test_performance_float32_speed_sentence_quotes_its_table():
    """The float32 sentence's ranges are the min and max of the float32 table's columns."""
    text = (REPO_ROOT / "docs" / "performance.md").read_text(encoding="utf-8")
    rows = _table(text, "float32 (the training dtype):")
    m = re.search(r"In float32 our path is ([\d.]+)-([\d.]+)x faster than PyTorch autograd and "
                  r"([\d.]+)-([\d.]+)x faster than JAX", " ".join(text.split()))
    assert m, "the float32 sentence of docs/performance.md changed; update this test"
    for column, (lo, hi) in (("torch/ours", m.group(1, 2)), ("jax/ours", m.group(3, 4))):
        values = [float(r[column]) for r in rows]
        assert (float(lo), float(hi)) == pytest.approx((min(values), max(values)), abs=5e-3), column



def test_performance_share_of_the_first_layer_is_its_table():
    """The 'N% of that is the 300x784 matrix' sentence is the step table's 300x784 row over its
    'sparsity penalty + gradient, all layers' row (it said 78% for 1101 / 1390 = 79%)."""
    text = (REPO_ROOT / "docs" / "performance.md").read_text(encoding="utf-8")
    rows = {r["per training step (numpy, float32)"]: float(r["microseconds"])
            for r in _table(text, "Where the time of one step goes (same run, microseconds, min of 7 x 100 calls):")}
    total = rows["sparsity penalty + gradient, all layers"]
    first = next(v for k, v in rows.items() if "of 300x784" in k)
    m = re.search(r"(\d+)% of that is the 300x784 matrix", " ".join(text.split()))
    assert m, "the sentence changed; update this test"
    assert int(m.group(1)) == round(100 * first / total)

LINK = re.compile(r"\]\(([^)\s]+)\)")


def _links(page: Path):
    """(target path, anchor or None) of every relative Markdown link outside fenced blocks."""
    inside = False
    for line in page.read_text(encoding="utf-8").splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            inside = not inside
            continue
        if inside:
            continue
        for target in LINK.findall(line):
            if re.match(r"[a-z]+:", target):
                continue                              # http:, https:, mailto:
            path, _, anchor = target.partition("#")
            yield (page.parent / path).resolve() if path else page, anchor or None


@pytest.mark.parametrize("page", [REPO_ROOT / "README.md"] + sorted((REPO_ROOT / "docs").glob("*.md")),
                         ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_relative_links_in_the_docs_resolve(page):
    """Every relative link of README.md and docs/*.md names an existing file (and heading)."""
    problems = []
    for path, anchor in _links(page):
        if not path.exists():
            problems.append(f"{path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path}"
                            " does not exist")
        elif anchor is not None and path.suffix == ".md" and anchor not in {slug(h) for h in headings(path)}:
            problems.append(f"{path.name}#{anchor}: no such heading")
    assert not problems, "\n".join(problems)


def test_slug_follows_github():
    assert slug("8. What $H_C$ measures") == "8-what-h_c-measures"
    assert slug("The sign question") == "the-sign-question"
    assert slug("The Rayleigh quotient in one paragraph") == "the-rayleigh-quotient-in-one-paragraph"


def test_readme_and_index_give_the_papers_title():
    """One title for the paper, the one on the paper itself."""
    titles = []
    for page in ("README.md", "docs/index.md"):
        text = " ".join((REPO_ROOT / page).read_text(encoding="utf-8").split())
        m = re.search(r"Bayandorian, \*([^*]+)\*", text)
        assert m, f"{page} should cite the paper as: Bayandorian, *Title*"
        titles.append(m.group(1))
    assert titles[0] == titles[1]
    assert titles[0].lower() == "a novel, scale-invariant, differentiable, efficient, scalable regularizer"


TEST_REFERENCE = re.compile(r"(?:tests/)?(test_\w+\.py)?::(test_\w+)|`(test_\w+)`")


def _test_names() -> dict[str, set[str]]:
    names = {}
    for path in sorted((REPO_ROOT / "tests").glob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names[path.name] = {n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    return names


@pytest.mark.parametrize("page", [REPO_ROOT / "README.md"] + sorted((REPO_ROOT / "docs").glob("*.md")),
                         ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_tests_named_in_the_docs_exist(page):
    """``test_x.py::test_name``, ``::test_name`` after it on the same line, and a bare
    ```test_name``` in the docs all name an existing test (a renamed test leaves no dead reference)."""
    names = _test_names()
    everything = set().union(*names.values())
    problems = []
    for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1):
        current = None
        for m in TEST_REFERENCE.finditer(line):
            module, name, bare = m.groups()
            if bare is not None:
                if bare not in everything and f"{bare}.py" not in names:
                    problems.append(f"line {number}: no test named {bare}")
                continue
            current = module or current
            if current is None or name not in names.get(current, set()):
                problems.append(f"line {number}: no test {current}::{name}")
    assert not problems, "\n".join(problems)
