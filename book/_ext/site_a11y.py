"""Accessibility repairs to Sphinx's HTML, made when the page is written.

Two things that axe-core reports on a stock Sphinx site are fixed here, in the
HTML translator, so that no script is needed in the browser:

* a toctree caption is written as ``<p class="caption" role="heading">``; a
  heading role needs a level, so it gets ``aria-level="2"``;
* a code block that is wider than its column scrolls sideways, and a region
  that scrolls must be reachable from the keyboard, so every ``<pre>`` that
  Pygments writes gets ``tabindex="0"``.

Two more are fixed in the page the theme renders (furo 2025.12.19, pinned):

* furo's two sidebars are both ``<aside>`` landmarks; each gets its own
  ``aria-label`` so that assistive technology can tell them apart;
* furo's two sidebar checkboxes and its "Back to top" button sit outside
  every landmark, hidden by its style sheet (the button shown by it when the
  reader scrolls up). Where that style sheet cannot load, as for the 404
  page read from a copy of the site (its links are absolute, for any depth
  on the host), they showed, outside any landmark (axe: ``region``). They get
  the ``hidden`` attribute: the browser's own ``display: none``, which furo's
  rules still override where they apply.
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


LANDMARKS = {
    '<aside class="sidebar-drawer">': (
        '<aside class="sidebar-drawer" aria-label="Book navigation">'
    ),
    '<aside class="toc-drawer': '<aside aria-label="On this page" class="toc-drawer',
    '<input type="checkbox" class="sidebar-toggle" name="__navigation"': (
        '<input type="checkbox" hidden class="sidebar-toggle" name="__navigation"'
    ),
    '<input type="checkbox" class="sidebar-toggle" name="__toc"': (
        '<input type="checkbox" hidden class="sidebar-toggle" name="__toc"'
    ),
    '<a href="#" class="back-to-top muted-link">': (
        '<a href="#" class="back-to-top muted-link" hidden>'
    ),
}


def label_landmarks(page: str) -> str:
    """The rendered page with its landmarks labelled, and nothing outside them."""
    for before, after in LANDMARKS.items():
        page = page.replace(before, after, 1)
    return page


def _install(app: Sphinx) -> None:
    if app.builder.name not in HTML_BUILDERS:
        return
    base = app.registry.get_translator_class(app.builder)
    app.set_translator(app.builder.name, _accessible(base), override=True)
    templates = app.builder.templates
    render = templates.render

    def render_labelled(template: str, context: dict[str, Any]) -> str:
        return label_landmarks(render(template, context))

    templates.render = render_labelled  # type: ignore[method-assign]


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("builder-inited", _install)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
