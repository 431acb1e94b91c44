"""Paper quotes on the teaching pages are exact.

On the pages below, text in typographic double quotes “…” is a quote from the paper and must occur
verbatim in the paper's text (``ENTROPY_REF_PAPER``, default ``/work/shared/paper/
novel-sparse-regularizer.md``), after normalising whitespace; an ellipsis ``…`` inside a quote
separates fragments that must occur in that order. Straight double quotes "…" around three or more
words are held to the same rule, so a paraphrase cannot pass as a quote: paraphrase without
quotation marks. Fenced blocks and inline code are ignored.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
PAPER = Path(os.environ.get("ENTROPY_REF_PAPER", "/work/shared/paper/novel-sparse-regularizer.md"))
PAGES = ["README.md", "docs/index.md", "docs/conventions.md", "docs/derivation.md", "docs/helmholtz.md",
         "docs/walkthrough.md", "docs/what_hc_measures.md"]

CURLY = re.compile(r"“(.+?)”", re.S)
STRAIGHT = re.compile(r'"([^"\n]*(?:\n[^"\n]*)?)"')


def normalise(text: str) -> str:
    return " ".join(text.split())


def prose(text: str) -> str:
    """The page without fenced blocks and inline code spans."""
    out, inside = [], False
    for line in text.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            inside = not inside
            continue
        if not inside:
            out.append(re.sub(r"`[^`]*`", "`…`", line))
    return "\n".join(out)


def quotes(text: str) -> list[str]:
    body = prose(text)
    found = [normalise(q) for q in CURLY.findall(body)]
    found += [normalise(q) for q in STRAIGHT.findall(CURLY.sub("", body)) if len(q.split()) >= 3]
    return found


def in_paper(quote: str, paper: str) -> bool:
    position = 0
    for fragment in (f.strip(" ,.") for f in quote.split("…")):
        if not fragment:
            continue
        position = paper.find(fragment, position)
        if position < 0:
            return False
        position += len(fragment)
    return True


@pytest.fixture(scope="module")
def paper() -> str:
    if not PAPER.is_file():
        pytest.skip(f"the paper's text is not at {PAPER} (set ENTROPY_REF_PAPER)")
    return normalise(PAPER.read_text(encoding="utf-8"))


@pytest.mark.parametrize("page", PAGES)
def test_quotes_are_verbatim(page, paper):
    text = (REPO_ROOT / page).read_text(encoding="utf-8")
    wrong = [q for q in quotes(text) if not in_paper(q, paper)]
    assert not wrong, f"{page}: not found verbatim in the paper:\n" + "\n".join(f"  “{q}”" for q in wrong)


def test_the_pages_quote_the_paper_on_the_sign_question(paper):
    """The sign question is argued from the paper's own words (issue 11)."""
    text = (REPO_ROOT / "docs" / "conventions.md").read_text(encoding="utf-8")
    found = [q for q in quotes(text) if in_paper(q, paper)]
    assert any("which shall be written as $\\ell_C(W)$" in q for q in found)
    assert any("more uniform spatial arrangement corresponding to a higher entropy" in q for q in found)
    assert len(found) >= 8


@pytest.mark.parametrize("text, ok", [
    ("as section 2 says, “The central contribution of this paper is an estimate for $H_C(W)$”.", True),
    ("“an estimate for $H_C(W)$ … which shall be written as $\\ell_C(W)$”", True),
    ("“which shall be written as $\\ell_C(W)$ … an estimate for $H_C(W)$”", False),       # order
    ("the paper says “an estimate for H_C(W), which shall be written as ℓ_C(W)”", False),  # reworded
    ('the paper "minimizes the entropy of the model"', False),                            # straight
    ('a "row direction" is fine: two words', True),
])
def test_the_checker_itself(text, ok, paper):
    assert all(in_paper(q, paper) for q in quotes(text)) is ok
