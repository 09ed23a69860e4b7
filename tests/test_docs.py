"""Every document the repository cites is in it, and every cited section exists.

Comments, SQL, TypeScript and the docs themselves cite `docs/<page>.md §N` (also across a line
break of a comment, and lists such as `§7 and §9` or `§11, §3.2`). Each citation must name a
page in docs/ with a heading numbered N. Bare `§N` inside a docs page refers to that page.
Any other `*.md` a file names must be a file of the repository, so no comment points a reader
at a document they cannot open.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
SELF = Path(__file__).resolve()
SKIP_DIRS = {
    ".git",
    ".venv",
    "node_modules",
    ".local",
    "__pycache__",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    "results",
}
TEXT_SUFFIXES = {".py", ".sql", ".psql", ".ts", ".md", ".toml", ".html", ".js", ".sh", ".txt"}
TEXT_NAMES = {"Makefile"}

# A line break inside a comment, with the next line's comment marker, reads as one space.
COMMENT_BREAK = re.compile(r"[ \t]*\n[ \t]*(?:--|#|//|\*)?[ \t]*")
SECTION = r"§\s?\d+(?:\.\d+)*"
CITATION = re.compile(
    rf"docs/(?P<page>[A-Za-z0-9_-]+\.md)(?P<sections>(?:(?:\s*,\s*|\s+and\s+|\s+){SECTION})*)"
)
SECTION_NUMBER = re.compile(r"§\s?(\d+(?:\.\d+)*)")
HEADING = re.compile(r"^#{1,6}\s+(\d+(?:\.\d+)*)\.?\s", re.MULTILINE)
MD_NAME = re.compile(r"(?<![\w./-])((?:[\w.-]+/)*[\w-]+\.md)\b")


@dataclass(frozen=True)
class Citation:
    source: str
    page: str
    section: str | None


def _text_files() -> list[Path]:
    files: list[Path] = []
    for path in ROOT.rglob("*"):
        if any(part in SKIP_DIRS for part in path.relative_to(ROOT).parts):
            continue
        if path == SELF:  # its examples are made up on purpose
            continue
        if path.is_file() and (path.suffix in TEXT_SUFFIXES or path.name in TEXT_NAMES):
            files.append(path)
    return sorted(files)


def flatten(text: str) -> str:
    return COMMENT_BREAK.sub(" ", text)


def citations(source: str, text: str) -> list[Citation]:
    """`docs/<page>.md` citations in `text`, one per cited section (None: the page itself)."""
    found: list[Citation] = []
    for match in CITATION.finditer(flatten(text)):
        sections = SECTION_NUMBER.findall(match["sections"])
        found.extend(Citation(source, match["page"], s) for s in sections or [None])
    return found


def bare_sections(text: str) -> list[str]:
    """Sections a docs page cites without naming a page: its own."""
    flat = flatten(text)
    cited = [m.span() for m in CITATION.finditer(flat)]
    return [
        m[1]
        for m in SECTION_NUMBER.finditer(flat)
        if not any(start <= m.start() < end for start, end in cited)
    ]


def headings(text: str) -> set[str]:
    return set(HEADING.findall(text))


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _all_citations() -> list[Citation]:
    return [c for path in _text_files() for c in citations(_rel(path), path.read_text("utf-8"))]


def test_citations_are_parsed_across_comment_lines_and_lists() -> None:
    text = (
        "-- the row (docs/app-contract.md\n--   §10) and (docs/avito-api.md §3, docs/x.md §7 and\n"
        "# §9.4, §11) and docs/decisions.md.\n"
    )
    assert [(c.page, c.section) for c in citations("t", text)] == [
        ("app-contract.md", "10"),
        ("avito-api.md", "3"),
        ("x.md", "7"),
        ("x.md", "9.4"),
        ("x.md", "11"),
        ("decisions.md", None),
    ]
    assert headings("# T\n\n## 3. Ops\n\n### 3.3 Prices\n## 10 Markup\n") == {"3", "3.3", "10"}
    assert bare_sections("see §4.1 and docs/a.md §2; also §7.") == ["4.1", "7"]


def test_the_repository_cites_its_docs() -> None:
    """Guards the scan itself: a broken pattern would find nothing and pass."""
    pages = {c.page for c in _all_citations()}
    assert {"app-contract.md", "avito-api.md", "supabase-platform.md", "local-postgres.md"} <= pages
    assert len(_all_citations()) > 50


def test_every_cited_page_and_section_exists() -> None:
    problems: list[str] = []
    for c in _all_citations():
        page = DOCS / c.page
        if not page.is_file():
            problems.append(f"{c.source}: docs/{c.page} does not exist")
        elif c.section is not None and c.section not in headings(page.read_text("utf-8")):
            problems.append(f"{c.source}: docs/{c.page} has no heading numbered {c.section}")
    assert not problems, "\n".join(sorted(set(problems)))


@pytest.mark.parametrize("page", sorted(p.name for p in DOCS.glob("*.md")))
def test_sections_a_page_cites_of_itself_exist(page: str) -> None:
    text = (DOCS / page).read_text("utf-8")
    missing = sorted(set(bare_sections(text)) - headings(text))
    assert not missing, f"docs/{page} cites its own sections {missing}, which it does not have"


def test_no_file_names_a_document_outside_the_repository() -> None:
    """`existing-frontend.md`, `design.md` and friends lived outside the repository once."""
    problems: list[str] = []
    for path in _text_files():
        text = path.read_text("utf-8")
        for match in MD_NAME.finditer(text):
            name = match[1]
            line_start = text.rfind("\n", 0, match.start()) + 1
            word = text[line_start : match.end()].split()[-1]
            if "://" in word or word.startswith(("github.com", "www.")):
                continue  # a web address, not a file of ours
            if not ((ROOT / name).is_file() or (path.parent / name).is_file()):
                problems.append(f"{_rel(path)}: {name}")
    assert not problems, "documents named but not in the repository:\n" + "\n".join(problems)


def test_the_readme_links_every_docs_page() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    unlinked = [p.name for p in sorted(DOCS.glob("*.md")) if f"(docs/{p.name})" not in readme]
    assert not unlinked, f"README's Docs section does not link {unlinked}"
