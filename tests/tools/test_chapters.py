"""The registry of chapters (chapters.toml) and the parts each chapter has.

Every chapter in the book has its text; every chapter with a text has the
registry's title and its tests; each chapter with sessions has the test that
runs them; nothing under book/, listings/, book/sessions/ or tests/ is named
for a chapter the registry does not list. The registry refuses what it
cannot mean.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tools import chapters, paths

BOOK = chapters.in_book()
#: The chapters that have begun: in the book, or with a text already.
BEGUN = [c for c in chapters.load() if c.in_book or c.text.exists()]


def test_the_registry_lists_chapter_one_as_written() -> None:
    first = chapters.load()[0]
    assert (first.number, first.slug, first.state) == (1, "chapter01", "written")
    assert chapters.find("1") == chapters.find("chapter01") == first


@pytest.mark.parametrize("chapter", BEGUN, ids=[c.slug for c in BEGUN])
def test_each_chapter_begun_has_its_parts(chapter: chapters.Chapter) -> None:
    assert chapter.text.is_file(), f"{paths.shown(chapter.text)} is missing"
    assert chapters.heading(chapter) == chapter.title, (
        f"{paths.shown(chapter.text)}'s # heading differs from chapters.toml's title"
    )
    assert (chapter.tests / "__init__.py").is_file(), (
        f"{paths.shown(chapter.tests)}/ (with an __init__.py) holds its tests"
    )
    if chapter.sessions.exists():
        runner = chapter.tests / "test_sessions.py"
        assert runner.is_file() and "tests.support.sessions" in runner.read_text(
            encoding="utf-8"
        ), f"{paths.shown(runner)} must run the chapter's sessions (tests/support)"


def test_nothing_is_named_for_a_chapter_the_registry_does_not_list() -> None:
    known = {c.slug for c in chapters.load()}
    found = {
        paths.shown(p): p.stem
        for p in [
            *paths.BOOK.glob("chapter[0-9]*.md"),
            *paths.SESSIONS.glob("*.toml"),
            *paths.LISTINGS.glob("chapter[0-9]*"),
            *paths.TRANSCRIPTS.glob("chapter[0-9]*"),
            *paths.TESTS.glob("chapter[0-9]*"),
        ]
    }
    strays = sorted(name for name, slug in found.items() if slug not in known)
    assert not strays, f"add these chapters to chapters.toml (or remove): {strays}"


def test_the_appendix_documents_every_listing_of_every_chapter() -> None:
    api = (paths.BOOK / "api.md").read_text(encoding="utf-8")
    assert "\n@chapter-listings\n" in api
    assert "listings.chapter0" not in api, "listed by hand as well"
    for chapter in BOOK:
        names = chapter.listing_modules()
        files = {p.stem for p in chapter.listings.glob("*.py")} - {"__init__"}
        assert sorted(n.rsplit(".", 1)[1] for n in names) == sorted(files)


def test_listings_come_in_the_order_the_text_first_includes_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(paths, "BOOK", tmp_path / "book")
    monkeypatch.setattr(paths, "LISTINGS", tmp_path / "listings")
    (tmp_path / "listings" / "chapter09").mkdir(parents=True)
    for name in ("__init__", "alpha", "beta", "gamma"):
        (tmp_path / "listings" / "chapter09" / f"{name}.py").touch()
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "chapter09.md").write_text(
        "python3 listings/chapter09/alpha.py (a command, not an include)\n"
        "```{literalinclude} ../listings/chapter09/gamma.py\n```\n"
        "```{literalinclude} ../listings/chapter09/beta.py\n```\n"
    )
    chapter = chapters.Chapter(9, "chapter09", "Nine", "draft")
    assert chapter.listing_modules() == [
        "listings.chapter09.gamma",
        "listings.chapter09.beta",
        "listings.chapter09.alpha",
    ]


def test_the_contents_list_the_chapters_from_the_registry() -> None:
    index = (paths.BOOK / "index.md").read_text(encoding="utf-8")
    assert "```{chapters-toctree}" in index and "\n@chapters\n" in index
    for chapter in BOOK:
        assert f"\n{chapter.slug}\n" not in index, "listed by hand as well"


def test_one_chapter_s_test_paths_are_its_tests_text_and_listings() -> None:
    first = chapters.find("1")
    assert first.test_paths() == [
        paths.TESTS / "chapter01",
        paths.BOOK / "chapter01.md",
        paths.LISTINGS / "chapter01",
    ]
    assert chapters.main(["tests", "1"]) == 0
    assert chapters.main(["tests", "18"]) == 2  # nothing of it yet


ENTRY = '[[chapter]]\nnumber = {n}\nslug = "{slug}"\ntitle = "T"\nstate = "{state}"\n'


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (ENTRY.format(n=1, slug="ch1", state="written"), "slug must be 'chapter01'"),
        (ENTRY.format(n=1, slug="chapter01", state="done"), "state must be one of"),
        (ENTRY.format(n=0, slug="chapter00", state="written"), "positive"),
        (ENTRY.format(n=2, slug="chapter02", state="written"), "no gap"),
        (
            ENTRY.format(n=2, slug="chapter02", state="planned")
            + ENTRY.format(n=1, slug="chapter01", state="written"),
            "by number",
        ),
        (
            ENTRY.format(n=1, slug="chapter01", state="written") + "part = 1\n",
            "unknown",
        ),
        ('[[chapter]]\nnumber = 1\nslug = "chapter01"\n', "missing field"),
        ("[book]\ntitle = 'x'\n", "only \\[\\[chapter\\]\\]"),
    ],
)
def test_a_wrong_registry_is_refused_with_its_reason(
    tmp_path: Path, text: str, message: str
) -> None:
    registry = tmp_path / "chapters.toml"
    registry.write_text(text)
    with pytest.raises(chapters.RegistryError, match=message):
        chapters.load(registry)


def test_a_planned_chapter_is_outside_the_book(tmp_path: Path) -> None:
    registry = tmp_path / "chapters.toml"
    registry.write_text(
        ENTRY.format(n=1, slug="chapter01", state="written")
        + ENTRY.format(n=2, slug="chapter02", state="draft")
        + ENTRY.format(n=3, slug="chapter03", state="planned")
    )
    assert [c.slug for c in chapters.in_book(registry)] == ["chapter01", "chapter02"]
    with pytest.raises(chapters.RegistryError, match="no chapter 4"):
        chapters.find("4", registry)
