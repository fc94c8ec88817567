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
"""

from __future__ import annotations

from typing import Any

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.directives.other import TocTree

PLACEHOLDER = "@chapters"


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


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_config_value("book_chapters", [], "env", types=frozenset({list}))
    app.add_directive("chapters-toctree", ChaptersTocTree)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
