"""Paper quotes on the teaching pages are exact.

On the pages below (README.md and every page of docs/ but those that quote program messages), text
in typographic double quotes “…” is a quote from the paper and must occur
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
#: pages whose quotation marks hold program messages, not the paper
MESSAGES = {"docs/verifying.md", "docs/diagnoses.md", "docs/robustness.md"}
PAGES = ["README.md"] + [f"docs/{p.name}" for p in sorted((REPO_ROOT / "docs").glob("*.md"))
                         if f"docs/{p.name}" not in MESSAGES]
#: the pages that discuss the sign question, each with the same summary paragraph
SIGN_PAGES = ["docs/conventions.md", "docs/what_hc_measures.md", "docs/helmholtz.md", "docs/results.md"]
SUMMARY = "**The sign question in short.**"

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
    """The sign question is argued from the paper's own words, each sentence in its group: the
    arrangement sentence with the right-hand side, the naming sentence with l_C."""
    text = (REPO_ROOT / "docs" / "conventions.md").read_text(encoding="utf-8")
    rhs, l_c = prose(text).split("**Sentences that treat $\\ell_C$ as the entropy.**")
    rhs = rhs.split("**Sentences that treat the right-hand side of eq. 3 as the entropy.**")[1]
    l_c = l_c.split("**What the measurements add.**")[0]
    assert any("more uniform spatial arrangement corresponding to a higher entropy" in q for q in quotes(rhs))
    assert any("the entropy of W_D is large" in q for q in quotes(rhs))
    assert any("which shall be written as $\\ell_C(W)$" in q for q in quotes(l_c))
    assert len([q for q in quotes(text) if in_paper(q, paper)]) >= 12


def _summary(page: str) -> str:
    text = normalise((REPO_ROOT / page).read_text(encoding="utf-8"))
    assert text.count(SUMMARY) == 1, f"{page} should hold the paragraph {SUMMARY!r} once"
    return text.split(SUMMARY, 1)[1].split("(results.md#the-sign-question)).", 1)[0]


def test_the_sign_question_has_one_summary_on_every_page():
    """conventions.md, what_hc_measures.md, helmholtz.md and results.md give the same summary."""
    summaries = {page: _summary(page) for page in SIGN_PAGES}
    assert len(set(summaries.values())) == 1, "\n\n".join(f"{p}: {s}" for p, s in summaries.items())
    text = summaries[SIGN_PAGES[0]]
    assert "only the measurement settles which sign sparsifies" in text


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
