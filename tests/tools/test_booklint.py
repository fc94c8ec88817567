"""Every listing is in the book, and every include in the book resolves; the
one reader of the chapters' blocks (tools/booklint.py) reads them right.
They also hold the convention of CONTRIBUTING.md ("Showing a listing by
part"): parts are named (`:pyobject:` or `# ANCHOR:` regions), numbered only
by `:lineno-match:`, and the prose never cites a line by its number.

The strict Sphinx build also fails on a missing include, but only when the
book is built; these checks run with the tests and name the culprit.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tools import booklint, paths

INCLUDES = booklint.includes()


def test_the_book_has_includes() -> None:
    assert len(INCLUDES) >= 7 + 20  # seven listings and the transcripts at least


@pytest.mark.parametrize(
    ("block", "target"),
    INCLUDES,
    ids=[f"{b.file.name}:{t.name}" for b, t in INCLUDES],
)
def test_each_include_resolves(block: booklint.Block, target: Path) -> None:
    options = dict(block.options)
    assert target.is_file(), f"{block.where} includes a missing file: {target}"
    if "pyobject" in options:
        tree = ast.parse(target.read_text(encoding="utf-8"))
        names = {
            node.name
            for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef | ast.ClassDef | ast.AsyncFunctionDef)
        }
        assert options["pyobject"].split(".")[-1] in names, (
            f"{block.where}: {target.name} has no {options['pyobject']}"
        )


def test_every_listing_is_in_some_chapter() -> None:
    shown = {target for _, target in INCLUDES}
    listings = {
        path.resolve()
        for path in paths.LISTINGS.rglob("*.py")
        if path.name != "__init__.py"
    }
    missing = sorted(paths.shown(p) for p in listings - shown)
    assert not missing, f"listings no chapter includes: {missing}"


PAGE = """\
# A page

````{note}
```{literalinclude} ../listings/x.py
:pyobject: main
:lineno-match:
```
````

```{graphviz} figures/x.dot
:caption: A figure
:align: center

digraph { a -> b }
```

:::{tip}
```python
print(1)
```
:::

```{literalinclude} /transcripts/chapter01/search1.txt
:language: console
```
"""


def test_blocks_are_found_nested_with_their_options(tmp_path: Path) -> None:
    page = tmp_path / "book" / "page.md"
    page.parent.mkdir()
    page.write_text(PAGE)
    found = [
        (b.line, b.directive, b.argument, b.options, b.container)
        for b in booklint.blocks(page)
    ]
    assert found == [
        (3, "note", "", (), True),
        (4, "literalinclude", "../listings/x.py",
         (("pyobject", "main"), ("lineno-match", "")), False),
        (10, "graphviz", "figures/x.dot",
         (("caption", "A figure"), ("align", "center")), True),
        (17, "tip", "", (), True),
        (18, "", "python", (), False),
        (23, "literalinclude", "/transcripts/chapter01/search1.txt",
         (("language", "console"),), False),
    ]  # fmt: skip
    [(_, relative), (_, absolute)] = booklint.includes([page])
    assert relative == (tmp_path / "listings" / "x.py").resolve()
    assert absolute == (paths.BOOK / "transcripts/chapter01/search1.txt").resolve()


BOUNDS = ("start-after", "end-before", "start-at", "end-at")
PARTS = ("pyobject", *BOUNDS)
ANCHOR = re.compile(r"# ANCHOR(?:_END)?: [a-z][a-z0-9-]*")


def listing_includes() -> list[tuple[Path, Path, dict[str, str]]]:
    """(page, listing, options, with quotes taken off) of each listing include."""
    return [
        (b.file, t, {k: v.strip("\"'") for k, v in b.options})
        for b, t in INCLUDES
        if paths.LISTINGS in t.parents and t.is_file()
    ]


@pytest.mark.parametrize(
    ("chapter", "target", "options"),
    listing_includes(),
    ids=[f"{c.name}:{t.name}" for c, t, _ in listing_includes()],
)
def test_each_part_is_named_and_numbered_by_match(
    chapter: Path, target: Path, options: dict[str, str]
) -> None:
    """A part is chosen by name, and its numbers are the file's own."""
    assert "lines" not in options, (
        f"{chapter.name}: {target.name} is included by :lines:, which are "
        "counted by hand: use :pyobject: or an ANCHOR region"
    )
    if any(key in options for key in PARTS):
        numbered = {"linenos", "lineno-start"} & options.keys()
        assert not numbered, (
            f"{chapter.name}: a part of {target.name} is numbered from "
            f"{':' + ', :'.join(sorted(numbered))}; use :lineno-match:"
        )
    lines = target.read_text(encoding="utf-8").splitlines()
    for key in BOUNDS:
        if key not in options:
            continue
        marker = options[key]
        hits = [line.strip() for line in lines if marker in line]
        assert len(hits) == 1, (
            f"{chapter.name}: :{key}: {marker!r} matches {len(hits)} lines of "
            f"{target.name}; a region's markers match exactly one line"
        )
        assert ANCHOR.fullmatch(marker) and hits == [marker], (
            f"{chapter.name}: :{key}: {marker!r} in {target.name} is not a "
            "'# ANCHOR: name' or '# ANCHOR_END: name' line of its own"
        )


@pytest.mark.parametrize(
    "listing",
    sorted(p for p in paths.LISTINGS.rglob("*.py") if p.name != "__init__.py"),
    ids=lambda p: p.name,
)
def test_anchors_come_in_pairs(listing: Path) -> None:
    opened: list[str] = []
    seen: set[str] = set()
    for number, line in enumerate(listing.read_text().splitlines(), 1):
        found = re.search(r"#\s*ANCHOR(_END)?:\s*(\S*)", line)
        if not found:
            continue
        name = found[2]
        assert ANCHOR.fullmatch(line.strip()), (
            f"{listing.name}:{number}: {line.strip()!r} is not a marker line"
        )
        if found[1]:
            assert opened and opened.pop() == name, (
                f"{listing.name}:{number}: ANCHOR_END: {name} without its ANCHOR"
            )
        else:
            assert name not in seen, f"{listing.name}: ANCHOR {name} twice"
            seen.add(name)
            opened.append(name)
    assert not opened, f"{listing.name}: ANCHOR {opened} never ended"


CODE_BLOCK = re.compile(r"^(`{3,}|~{3,}).*?^\1[ \t]*$", re.MULTILINE | re.DOTALL)


@pytest.mark.parametrize("chapter", booklint.pages(), ids=lambda p: p.name)
def test_prose_cites_no_line_numbers(chapter: Path) -> None:
    """Prose points at names; a number would go stale when the lines move."""
    prose = CODE_BLOCK.sub("", chapter.read_text(encoding="utf-8"))
    cited = re.findall(
        r"\blines? \d+(?:\s*(?:to|-|and)\s*\d+)?",
        " ".join(prose.split()),
        re.IGNORECASE,
    )
    assert not cited, f"{chapter.name} cites listing lines by number: {cited}"
