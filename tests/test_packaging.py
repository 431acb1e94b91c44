"""What a user who installs, cites or depends on the package relies on: one version
(``entropy_ref/_version.py``) read by the packaging, the package, the command line, the changelog
and the citation file; the MIT licence; ``CITATION.cff`` (checked with a small strict parser of the
YAML subset it uses, so no YAML library is needed); ``CHANGELOG.md`` in Keep a Changelog form; and
runtime requirements that each declare the floor version that continuous integration installs.
"""

from __future__ import annotations

import ast
import configparser
import datetime
import json
import os
import re
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

import entropy_ref
from entropy_ref.cli import main
from helpers import CHANGELOG_PROCESS_WORDS, REPO_ROOT, repo_env

VERSION_FILE = REPO_ROOT / "entropy_ref" / "_version.py"
PAPER = Path(os.environ.get("ENTROPY_REF_PAPER", "/work/shared/paper/novel-sparse-regularizer.md"))
ARXIV_ID = "2301.07285"
PAPER_TITLE = "A Novel, Scale-Invariant, Differentiable, Efficient, Scalable Regularizer"
SEMVER = re.compile(r"\d+\.\d+\.\d+")


def _setup_cfg() -> configparser.ConfigParser:
    cfg = configparser.ConfigParser(interpolation=None)
    cfg.read(REPO_ROOT / "setup.cfg", encoding="utf-8")
    return cfg


# ------------------------------------------------------------------------------------ version
def test_the_version_is_written_once_as_a_literal():
    """``_version.py`` assigns one string literal (setuptools reads it without importing numpy)."""
    tree = ast.parse(VERSION_FILE.read_text(encoding="utf-8"))
    assigned = [node for node in tree.body if isinstance(node, ast.Assign)]
    assert len(assigned) == 1 and [t.id for t in assigned[0].targets] == ["__version__"]
    assert isinstance(assigned[0].value, ast.Constant) and isinstance(assigned[0].value.value, str)
    assert SEMVER.fullmatch(assigned[0].value.value), assigned[0].value.value
    assert entropy_ref.__version__ == assigned[0].value.value


def test_setup_cfg_reads_the_version_from_the_package():
    assert _setup_cfg()["metadata"]["version"].strip() == "attr: entropy_ref._version.__version__"
    # and no other file of the package writes a version string of its own
    literal = re.compile(r"__version__\s*=")
    writers = [p.relative_to(REPO_ROOT) for p in (REPO_ROOT / "entropy_ref").rglob("*.py")
               if literal.search(p.read_text(encoding="utf-8"))]
    assert writers == [VERSION_FILE.relative_to(REPO_ROOT)]


def test_setuptools_resolves_the_version_statically():
    setupcfg = pytest.importorskip("setuptools.config.setupcfg")
    with warnings.catch_warnings():     # setuptools plugins (setuptools-scm, if installed) comment
        warnings.simplefilter("ignore")
        meta = setupcfg.read_configuration(REPO_ROOT / "setup.cfg")["metadata"]
    assert meta["version"] == entropy_ref.__version__


def test_cli_version_option(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out == f"entropy-ref {entropy_ref.__version__}\n"


def test_python_dash_m_version_option():
    proc = subprocess.run([sys.executable, "-m", "entropy_ref", "--version"], capture_output=True,
                          text=True, env=repo_env(), timeout=60)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, f"entropy-ref {entropy_ref.__version__}\n", "")


# ------------------------------------------------------------------------------------ licence
def test_license_file_grants_the_declared_license():
    meta = _setup_cfg()["metadata"]
    assert meta["license"].strip() == "MIT"
    assert meta["license_files"].split() == ["LICENSE"]
    text = (REPO_ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License\n")
    assert re.search(r"^Copyright \(c\) \d{4} \S.*$", text, re.M)
    assert "Permission is hereby granted, free of charge" in text
    assert 'THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND' in text


def test_manifest_ships_what_a_packager_expects():
    """The sdist itself is built and unpacked by .ci/run; here: the manifest names every part."""
    lines = [ln.split() for ln in (REPO_ROOT / "MANIFEST.in").read_text(encoding="utf-8").splitlines()
             if ln.strip() and not ln.startswith("#")]
    included = {word for cmd, *words in lines if cmd == "include" for word in words}
    grafted = {words[0] for cmd, *words in lines if cmd == "graft"}
    assert {"LICENSE", "README.md", "CHANGELOG.md", "CITATION.cff"} <= included
    assert {"docs", "tests", "examples", "benchmarks"} <= grafted
    assert all((REPO_ROOT / name).exists() for name in included | grafted)


# ------------------------------------------------------------------------ runtime requirements
def test_every_runtime_requirement_declares_a_floor():
    """``.ci/run`` installs exactly these floors (``name>=X`` becomes ``name==X``) on the oldest
    supported Python, so a requirement without a plain floor would go untested."""
    options = _setup_cfg()["options"]
    requirements = [r.strip() for r in options["install_requires"].splitlines() if r.strip()]
    assert requirements, "no install_requires"
    for requirement in requirements:
        assert re.fullmatch(r"[A-Za-z0-9_.-]+>=\d+(\.\d+)*", requirement), requirement
    assert re.fullmatch(r">=3\.\d+", options["python_requires"].strip())


# ------------------------------------------------------------------ a strict parser for the CFF
class CFFSyntaxError(ValueError):
    """The citation file uses YAML beyond the small subset it is written in."""


_KEY = re.compile(r"([A-Za-z][A-Za-z0-9-]*):(?: (.*))?$")
_PLAIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._/+-]*")
#: plain scalars that YAML reads as something other than a string (float, date, boolean, null)
_NOT_A_STRING = re.compile(r"[-+]?[0-9_]*\.?[0-9_]*(?:[eE][-+]?[0-9]+)?|\d{4}-\d\d?-\d\d?.*"
                           r"|(?i:y|n|yes|no|true|false|on|off|null)")


def _scalar(text: str, line: int):
    if text.startswith('"'):
        try:
            value = json.loads(text)
        except ValueError as exc:
            raise CFFSyntaxError(f"line {line}: bad double-quoted string {text!r}") from exc
        if not isinstance(value, str):
            raise CFFSyntaxError(f"line {line}: bad double-quoted string {text!r}")
        return value
    if re.fullmatch(r"0|[1-9][0-9]*", text):
        return int(text)
    if not _PLAIN.fullmatch(text) or text.endswith(" ") or _NOT_A_STRING.fullmatch(text):
        raise CFFSyntaxError(f"line {line}: write {text!r} as a double-quoted string")
    return text


def _block(lines, pos, indent):
    if lines[pos][2].startswith("- "):
        return _sequence(lines, pos, indent)
    return _mapping(lines, pos, indent)


def _mapping(lines, pos, indent):
    out = {}
    while pos < len(lines) and lines[pos][1] == indent:
        number, _, text = lines[pos]
        match = _KEY.match(text)
        if not match:
            raise CFFSyntaxError(f"line {number}: expected 'key: value', got {text!r}")
        key, rest = match.group(1), (match.group(2) or "").strip()
        if key in out:
            raise CFFSyntaxError(f"line {number}: duplicate key {key!r}")
        pos += 1
        if rest:
            out[key] = _scalar(rest, number)
        elif pos < len(lines) and lines[pos][1] > indent:
            out[key], pos = _block(lines, pos, lines[pos][1])
        else:
            raise CFFSyntaxError(f"line {number}: {key!r} has no value")
    return out, pos


def _sequence(lines, pos, indent):
    out = []
    while pos < len(lines) and lines[pos][1] == indent and lines[pos][2].startswith("- "):
        number, _, text = lines[pos]
        item = text[2:]
        if _KEY.match(item):        # a mapping whose first key shares the dash's line
            lines[pos] = (number, indent + 2, item)
            value, pos = _mapping(lines, pos, indent + 2)
        else:
            value, pos = _scalar(item, number), pos + 1
        out.append(value)
    return out, pos


def parse_cff(text: str):
    """Parse the YAML subset of ``CITATION.cff``: block mappings and sequences indented with
    spaces, plain or double-quoted one-line scalars, whole-line comments. Anything else raises."""
    lines = []
    for number, raw in enumerate(text.splitlines(), 1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        if "\t" in raw or raw != raw.rstrip():
            raise CFFSyntaxError(f"line {number}: tab or trailing whitespace")
        stripped = raw.lstrip(" ")
        lines.append((number, len(raw) - len(stripped), stripped))
    if not lines or lines[0][1] != 0:
        raise CFFSyntaxError("the file must start with a top-level key")
    value, pos = _mapping(lines, 0, 0)
    if pos != len(lines):
        raise CFFSyntaxError(f"line {lines[pos][0]}: unexpected indentation")
    return value


@pytest.mark.parametrize("text, expected", [
    ('a: 1\nb: "x: y"\nc:\n  - d\n  - "e"\n', {"a": 1, "b": "x: y", "c": ["d", "e"]}),
    ("a:\n  - k: v\n    l:\n      - m: 2\n  - k: w\n", {"a": [{"k": "v", "l": [{"m": 2}]}, {"k": "w"}]}),
])
def test_cff_parser_reads_the_subset(text, expected):
    assert parse_cff(text) == expected


@pytest.mark.parametrize("text", [
    "a: 1\na: 2\n",            # duplicate key
    "a:\n\t- b\n",             # tab
    "a: [1, 2]\n",             # flow sequence
    "a: {b: 1}\n",             # flow mapping
    "a: |\n  text\n",          # block scalar
    "a: 'single'\n",           # single quotes
    "a: yes\n",                # a YAML boolean that would not be a string
    "a: 1.0\n",                # a float, or a version that YAML reads as one
    "a: b # comment\n",        # trailing comment
    "a:\n",                    # no value
    "a: 1\n  b: 2\n",          # stray indentation
    "  a: 1\n",                # indented first key
    'a: "unterminated\n',
])
def test_cff_parser_rejects_yaml_outside_the_subset(text):
    with pytest.raises(CFFSyntaxError):
        parse_cff(text)


# ---------------------------------------------------------------------------- CITATION.cff
#: top-level keys of the Citation File Format 1.2.0 schema
CFF_KEYS = {"abstract", "authors", "cff-version", "commit", "contact", "date-released", "doi",
            "identifiers", "keywords", "license", "license-url", "message", "preferred-citation",
            "references", "repository", "repository-artifact", "repository-code", "title", "type",
            "url", "version"}


@pytest.fixture(scope="module")
def citation() -> dict:
    return parse_cff((REPO_ROOT / "CITATION.cff").read_text(encoding="utf-8"))


def test_citation_parser_agrees_with_a_yaml_library(citation):
    yaml = pytest.importorskip("yaml")
    assert yaml.safe_load((REPO_ROOT / "CITATION.cff").read_text(encoding="utf-8")) == citation


def _check_authors(authors):
    assert isinstance(authors, list) and authors
    for author in authors:
        assert isinstance(author, dict)
        assert author.get("name") or author.get("family-names"), author


def test_citation_cites_the_software(citation):
    assert set(citation) <= CFF_KEYS, set(citation) - CFF_KEYS
    for key in ("cff-version", "message", "title", "authors"):        # required by the schema
        assert citation.get(key), key
    assert citation["cff-version"] == "1.2.0"
    assert citation["type"] == "software"
    assert citation["version"] == entropy_ref.__version__
    assert citation["license"] == "MIT" == _setup_cfg()["metadata"]["license"].strip()
    assert "entropy_ref" in citation["title"]
    _check_authors(citation["authors"])
    # the software is cited as software: no preferred-citation pointing readers elsewhere
    assert "preferred-citation" not in citation


def test_citation_references_the_implemented_paper(citation):
    papers = [ref for ref in citation["references"] if ARXIV_ID in ref.get("url", "")]
    assert len(papers) == 1, citation["references"]
    paper = papers[0]
    assert paper["type"] == "article"
    assert paper["url"] == f"https://arxiv.org/abs/{ARXIV_ID}"
    assert {"type": "doi", "value": f"10.48550/arXiv.{ARXIV_ID}"}.items() <= paper["identifiers"][0].items()
    assert paper["year"] == 2000 + int(ARXIV_ID[:2])
    assert paper["title"] == PAPER_TITLE
    authors = [(a["family-names"], a["given-names"]) for a in paper["authors"]]
    assert authors == [("Bayandorian", "Hovig Tigran")]


def test_citation_title_and_author_are_the_papers():
    """Against the paper's own text, where it is available (``ENTROPY_REF_PAPER``)."""
    if not PAPER.is_file():
        pytest.skip(f"the paper's text is not at {PAPER} (set ENTROPY_REF_PAPER)")
    head = [line.strip() for line in PAPER.read_text(encoding="utf-8").splitlines() if line.strip()][:2]
    assert head == [PAPER_TITLE.upper(), "Hovig Tigran Bayandorian"]


def test_readme_says_how_to_cite():
    text = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Citing\n", 1)
    assert len(section) == 2, "README.md has no '## Citing' section"
    body = " ".join(section[1].split("\n## ", 1)[0].split())
    assert "(CITATION.cff)" in body and ARXIV_ID in body and PAPER_TITLE.lower() in body.lower()


# ------------------------------------------------------------------------------ CHANGELOG.md
SECTIONS = ("Added", "Changed", "Deprecated", "Removed", "Fixed", "Security")
RELEASE = re.compile(r"## \[(\d+\.\d+\.\d+)\] - (\d{4}-\d{2}-\d{2})")


def _changelog_headings():
    text = (REPO_ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    return text, [line for line in text.splitlines() if line.startswith("#")]


def test_changelog_follows_keep_a_changelog():
    text, headings = _changelog_headings()
    assert headings[0] == "# Changelog"
    assert "keepachangelog.com" in text
    releases = [h for h in headings if h.startswith("## ")]
    assert releases[0] == "## [Unreleased]"
    versions, dates = [], []
    for heading in releases[1:]:
        match = RELEASE.fullmatch(heading)
        assert match, f"{heading!r}: expected '## [X.Y.Z] - YYYY-MM-DD'"
        versions.append(tuple(int(n) for n in match.group(1).split(".")))
        dates.append(datetime.date.fromisoformat(match.group(2)))
    assert versions, "no released version"
    assert versions == sorted(versions, reverse=True) and len(set(versions)) == len(versions)
    assert dates == sorted(dates, reverse=True)
    # within each release, only the standard sections, each at most once, in the standard order
    current = []
    for heading in headings[1:] + ["## end"]:
        if heading.startswith("## "):
            assert current == sorted(set(current), key=SECTIONS.index), current
            current = []
        else:
            assert heading.startswith("### ") and heading[4:] in SECTIONS, heading
            current.append(heading[4:])


def test_changelog_speaks_of_the_product():
    text, _ = _changelog_headings()
    assert not CHANGELOG_PROCESS_WORDS.findall(text)


def test_changelog_top_release_is_the_package_version():
    _, headings = _changelog_headings()
    top = next(RELEASE.fullmatch(h) for h in headings if RELEASE.fullmatch(h))
    assert top.group(1) == entropy_ref.__version__
