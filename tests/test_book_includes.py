"""Every listing is in the book, and every include in the book resolves.

The strict Sphinx build also fails on a missing include, but only when the
book is built; these checks run with the tests and name the culprit.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"
LISTINGS = ROOT / "listings"
DIRECTIVE = re.compile(
    r"^(`{3,}|~{3,})\{literalinclude\}\s+(?P<path>\S+)\s*\n(?P<options>(?::[^\n]*\n)*)",
    re.MULTILINE,
)


def includes() -> list[tuple[Path, Path, dict[str, str]]]:
    """(chapter, included file, options) for every literalinclude in the book."""
    found = []
    for chapter in sorted(BOOK.rglob("*.md")):
        for match in DIRECTIVE.finditer(chapter.read_text(encoding="utf-8")):
            options = dict(
                re.findall(r"^:([\w-]+):[ \t]*(.*)$", match["options"], re.MULTILINE)
            )
            found.append((chapter, (chapter.parent / match["path"]).resolve(), options))
    return found


def test_the_book_has_includes() -> None:
    assert len(includes()) >= 7 + 20  # seven listings and the transcripts at least


@pytest.mark.parametrize(
    ("chapter", "target", "options"),
    includes(),
    ids=[f"{c.name}:{t.name}" for c, t, _ in includes()],
)
def test_each_include_resolves(
    chapter: Path, target: Path, options: dict[str, str]
) -> None:
    assert target.is_file(), f"{chapter.name} includes a missing file: {target}"
    if "pyobject" in options:
        tree = ast.parse(target.read_text(encoding="utf-8"))
        names = {
            node.name
            for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef | ast.ClassDef | ast.AsyncFunctionDef)
        }
        assert options["pyobject"].split(".")[-1] in names, (
            f"{chapter.name}: {target.name} has no {options['pyobject']}"
        )


def test_every_listing_is_in_some_chapter() -> None:
    shown = {target for _, target, _ in includes()}
    listings = {
        path.resolve() for path in LISTINGS.rglob("*.py") if path.name != "__init__.py"
    }
    missing = sorted(str(p.relative_to(ROOT)) for p in listings - shown)
    assert not missing, f"listings no chapter includes: {missing}"
