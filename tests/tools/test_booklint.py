"""Every listing is in the book, and every include in the book resolves; the
one reader of the chapters' blocks (tools/booklint.py) reads them right.

The strict Sphinx build also fails on a missing include, but only when the
book is built; these checks run with the tests and name the culprit.
"""

from __future__ import annotations

import ast
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
