"""Accessibility repairs to Sphinx's HTML, made when the page is written.

Two things that axe-core reports on a stock Sphinx site are fixed here, in the
HTML translator, so that no script is needed in the browser:

* a toctree caption is written as ``<p class="caption" role="heading">``; a
  heading role needs a level, so it gets ``aria-level="2"``;
* a code block that is wider than its column scrolls sideways, and a region
  that scrolls must be reachable from the keyboard, so every ``<pre>`` that
  Pygments writes gets ``tabindex="0"``.
"""

from __future__ import annotations

from typing import Any

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx

HTML_BUILDERS = {"html", "dirhtml", "singlehtml"}


def _accessible(base: type) -> type:
    class AccessibleTranslator(base):  # type: ignore[misc, valid-type]
        def visit_title(self, node: nodes.title) -> None:
            before = len(self.body)
            super().visit_title(node)
            parent = node.parent
            if isinstance(parent, addnodes.compact_paragraph) and parent.get("toctree"):
                for i in range(before, len(self.body)):
                    self.body[i] = self.body[i].replace(
                        'role="heading">', 'role="heading" aria-level="2">', 1
                    )

        def visit_literal_block(self, node: nodes.literal_block) -> None:
            before = len(self.body)
            try:
                super().visit_literal_block(node)
            except nodes.SkipNode:
                for i in range(before, len(self.body)):
                    self.body[i] = self.body[i].replace("<pre>", '<pre tabindex="0">')
                raise

    AccessibleTranslator.__name__ = f"Accessible{base.__name__}"
    return AccessibleTranslator


def _install(app: Sphinx) -> None:
    if app.builder.name in HTML_BUILDERS:
        base = app.registry.get_translator_class(app.builder)
        app.set_translator(app.builder.name, _accessible(base), override=True)


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("builder-inited", _install)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
