"""The registry of chapters, ``chapters.toml``: read, checked, and asked.

    python -m tools.chapters                 the chapters, one line each
    python -m tools.chapters tests N         what ``pytest`` runs for chapter N:
                                             its tests, its text's doctests and
                                             its listings' doctests

The table of contents (``conf.py`` hands the list to ``book/_ext/chapters.py``),
the tests, the session tool and the editions' checks all ask this module;
none of them names a chapter of its own.
"""

from __future__ import annotations

import argparse
import re
import sys
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tools import paths

STATES = ("written", "draft", "planned")
FIELDS = {"number", "slug", "title", "state"}


class RegistryError(ValueError):
    """``chapters.toml`` says something impossible."""


@dataclass(frozen=True)
class Chapter:
    """One entry of ``chapters.toml``; its parts sit in parallel places."""

    number: int
    slug: str
    title: str
    state: str

    @property
    def in_book(self) -> bool:
        """Whether the chapter is part of the book (written or a draft)."""
        return self.state != "planned"

    @property
    def text(self) -> Path:
        return paths.BOOK / f"{self.slug}.md"

    @property
    def listings(self) -> Path:
        return paths.LISTINGS / self.slug

    @property
    def sessions(self) -> Path:
        return paths.SESSIONS / f"{self.slug}.toml"

    @property
    def transcripts(self) -> Path:
        return paths.TRANSCRIPTS / self.slug

    @property
    def tests(self) -> Path:
        return paths.TESTS / self.slug

    def listing_modules(self) -> list[str]:
        """The chapter's listings as module names, in the order its text
        first includes them (those it never includes last, by name)."""
        files = sorted(p for p in self.listings.glob("*.py") if p.stem != "__init__")
        text = self.text.read_text(encoding="utf-8") if self.text.is_file() else ""

        def first_mention(path: Path) -> tuple[int, str]:
            at = text.find(f"../listings/{self.slug}/{path.name}")
            return (at if at >= 0 else len(text), path.stem)

        return [
            f"listings.{self.slug}.{p.stem}" for p in sorted(files, key=first_mention)
        ]

    def test_paths(self) -> list[Path]:
        """What pytest runs for this chapter alone: its tests, the doctests in
        its text and those in its listings (the parts that exist)."""
        parts = [self.tests, self.text, self.listings]
        return [p for p in parts if p.exists()]


def _chapter(entry: object, index: int) -> Chapter:
    where = f"chapter entry {index + 1}"
    if not isinstance(entry, dict):
        raise RegistryError(f"{where}: not a table")
    unknown = set(entry) - FIELDS
    if unknown:
        raise RegistryError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    missing = FIELDS - set(entry)
    if missing:
        raise RegistryError(f"{where}: missing field(s) {', '.join(sorted(missing))}")
    number, slug, title, state = (
        entry[k] for k in ("number", "slug", "title", "state")
    )
    if not (isinstance(number, int) and not isinstance(number, bool) and number > 0):
        raise RegistryError(f"{where}: number must be a positive whole number")
    if slug != f"chapter{number:02d}":
        raise RegistryError(f"{where}: slug must be 'chapter{number:02d}' (its number)")
    if not (isinstance(title, str) and title.strip() == title and title):
        raise RegistryError(f"{slug}: title must be a non-empty string")
    if state not in STATES:
        raise RegistryError(f"{slug}: state must be one of {', '.join(STATES)}")
    return Chapter(number, slug, title, state)


def load(path: Path = paths.CHAPTERS) -> list[Chapter]:
    """Every chapter in ``chapters.toml``, in order of number."""
    with path.open("rb") as f:
        data = tomllib.load(f)
    if set(data) - {"chapter"}:
        raise RegistryError("only [[chapter]] tables belong in the registry")
    entries = data.get("chapter", [])
    if not isinstance(entries, list):
        raise RegistryError("[[chapter]] must be an array of tables")
    chapters = [_chapter(entry, i) for i, entry in enumerate(entries)]
    numbers = [c.number for c in chapters]
    if numbers != sorted(set(numbers)):
        raise RegistryError("the chapters must be listed once each, by number")
    book = [c.number for c in chapters if c.in_book]
    if book != list(range(1, len(book) + 1)):
        raise RegistryError(
            "the chapters in the book must be numbered 1, 2, 3, ... with no gap"
            f" (they are {', '.join(map(str, book))})"
        )
    return chapters


def in_book(path: Path = paths.CHAPTERS) -> list[Chapter]:
    """The chapters that are part of the book (written or drafts)."""
    return [c for c in load(path) if c.in_book]


def find(slug_or_number: str, path: Path = paths.CHAPTERS) -> Chapter:
    """The chapter named by its slug (``chapter01``) or number (``1``)."""
    for chapter in load(path):
        if slug_or_number in (chapter.slug, str(chapter.number)):
            return chapter
    raise RegistryError(f"no chapter {slug_or_number} in {paths.shown(path)}")


_TITLE = re.compile(r"^# (.+)$", re.MULTILINE)


def heading(chapter: Chapter) -> str:
    """The ``#`` heading of the chapter's text ("" when it has none)."""
    found = _TITLE.search(chapter.text.read_text(encoding="utf-8"))
    return found[1].strip() if found else ""


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.chapters", description="The book's chapters."
    )
    sub = parser.add_subparsers(dest="command")
    tests = sub.add_parser("tests", help="the paths pytest runs for one chapter")
    tests.add_argument("chapter", help="its number (2) or slug (chapter02)")
    args = parser.parse_args(argv)
    try:
        if args.command == "tests":
            chapter = find(args.chapter)
            found = chapter.test_paths()
            if not found:
                raise RegistryError(
                    f"{chapter.slug} has no tests, text or listings yet"
                )
            print(" ".join(paths.shown(p) for p in found))
            return 0
        for chapter in load():
            number, slug, state = chapter.number, chapter.slug, chapter.state
            print(f"{number:2d}  {slug}  {state:8}  {chapter.title}")
    except (OSError, tomllib.TOMLDecodeError, RegistryError) as exc:
        print(f"chapters: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
