"""The chapters in the table of contents come from the registry.

``{chapters-toctree}`` is Sphinx's ``{toctree}`` in which the line
``@chapters`` stands for every chapter in the book (``book_chapters``, which
``conf.py`` reads from ``chapters.toml`` through ``tools/chapters.py``), in
order. So adding a chapter to the registry puts it in the contents of every
edition, in its place, without editing ``index.md``::

    ```{chapters-toctree}
    :caption: Contents

    introduction
    @chapters
    roadmap
    ```

Likewise a line ``@chapter-listings`` on its own in a page becomes, for each
chapter in the book, a heading and an ``automodule`` for each of its listings
(``book_listings``, which ``conf.py`` reads from each chapter's
``listings/chapterNN/``): the appendix documents every chapter's listings
without a hand-kept list. They stay out of the general index (the HTML's
module index lists them; in print, a dotted name such as
``listings.chapter03.fourtuple_client`` is wider than the index's column):
``py:module`` with ``:no-index-entry:`` makes each one's target, and
``automodule`` with ``:no-index:`` its text (Sphinx 9.0's ``automodule``
repeats a ``:no-index-entry:`` it is given, which is an error).
"""

from __future__ import annotations

from typing import Any

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.directives.other import TocTree

PLACEHOLDER = "@chapters"
LISTINGS_PLACEHOLDER = "@chapter-listings"


class ChaptersTocTree(TocTree):
    """A toctree whose ``@chapters`` line lists the registry's chapters."""

    def run(self) -> list[nodes.Node]:
        chapters = list(self.config.book_chapters)
        lines: list[str] = []
        for line in self.content:
            lines += chapters if line.strip() == PLACEHOLDER else [line]
        if PLACEHOLDER not in (line.strip() for line in self.content):
            raise self.error(f"chapters-toctree: no {PLACEHOLDER} line")
        source = self.content.source(0) if self.content else ""
        self.content = StringList(lines, source=source)
        return super().run()


def listings_markdown(listings: list[tuple[str, list[str]]]) -> str:
    """The MyST text for ``@chapter-listings``: a heading and automodules
    per chapter.

    >>> print(listings_markdown([("Chapter 9 listings", ["listings.x.y"])]))
    ## Chapter 9 listings
    <BLANKLINE>
    ```{eval-rst}
    .. py:module:: listings.x.y
       :no-index-entry:
    <BLANKLINE>
    .. automodule:: listings.x.y
       :no-index:
    <BLANKLINE>
    ```
    <BLANKLINE>
    """
    parts = []
    for heading, modules in listings:
        automodules = "".join(
            f".. py:module:: {name}\n   :no-index-entry:\n\n"
            f".. automodule:: {name}\n   :no-index:\n\n"
            for name in modules
        )
        parts.append(f"## {heading}\n\n```{{eval-rst}}\n{automodules}```\n")
    return "\n".join(parts)


def expand_listings(app: Sphinx, docname: str, source: list[str]) -> None:
    """Replace a ``@chapter-listings`` line with the chapters' listings."""
    lines = source[0].splitlines(keepends=True)
    if not any(line.strip() == LISTINGS_PLACEHOLDER for line in lines):
        return
    text = listings_markdown(app.config.book_listings)
    source[0] = "".join(
        text if line.strip() == LISTINGS_PLACEHOLDER else line for line in lines
    )


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_config_value("book_chapters", [], "env", types=frozenset({list}))
    app.add_config_value("book_listings", [], "env", types=frozenset({list}))
    app.add_directive("chapters-toctree", ChaptersTocTree)
    app.connect("source-read", expand_listings)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
