"""Small adjustments the print (LaTeX) and e-book (EPUB) editions need.

The chapters are written once, for every edition. A printed book, though,
numbers its chapters, and the introduction and the roadmap are not chapters
in that sense; the appendices are lettered, not numbered. Sphinx's LaTeX
builder knows nothing of either, so this extension tells LaTeX:

- ``book_unnumbered_docs``: documents whose chapter and sections print without
  numbers (they still appear in the table of contents and the running heads);
- ``book_appendix_caption``: the caption of the root toctree whose documents
  are appendices; LaTeX's ``\\appendix`` goes before the first of them.

For the EPUB builder it adds the files of ``book_epub_static`` (the cover
image, a style sheet that wraps long code lines) to the static files, so that
``epub_cover`` can name ``_static/cover.png`` without the HTML site having to
carry it. (The SVG figures need nothing here: tools/figures.py draws them
without the DOCTYPE that EPUB 3 forbids, and every builder shows them with
``<img alt=...>``.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx


def _appendix_docs(app: Sphinx) -> list[str]:
    """The documents listed in the root toctree captioned as appendices."""
    caption = app.config.book_appendix_caption
    if not caption:
        return []
    root = app.env.get_doctree(app.config.root_doc)
    for toctree in root.findall(addnodes.toctree):
        if toctree.get("caption") == caption:
            return [str(name) for name in toctree["includefiles"]]
    return []


def _raw(text: str) -> nodes.raw:
    return nodes.raw("", text, format="latex")


def mark_print_structure(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """In the assembled LaTeX document, unnumber front matter, letter appendices."""
    if app.builder.format != "latex" or docname != app.config.root_doc:
        return
    unnumbered = set(app.config.book_unnumbered_docs)
    appendices = _appendix_docs(app)
    appendix_started = False
    for part in list(doctree.findall(addnodes.start_of_file)):
        name = part["docname"]
        parent = part.parent
        index = parent.index(part)
        if name in appendices and not appendix_started:
            parent.insert(index, _raw("\\appendix\n"))
            appendix_started = True
            index += 1
        if name in unnumbered:
            parent.insert(
                index,
                _raw(
                    "\\edef\\bookSavedSecnumdepth{\\the\\value{secnumdepth}}"
                    "\\setcounter{secnumdepth}{-1}\n"
                ),
            )
            parent.insert(
                index + 2, _raw("\\setcounter{secnumdepth}{\\bookSavedSecnumdepth}\n")
            )


def add_epub_static(app: Sphinx) -> None:
    """Give the EPUB builder (only) the cover image and its style sheet.

    Also mark the cover image the EPUB 3 way (``properties="cover-image"`` in
    content.opf): Sphinx writes only the older ``<meta name="cover">``.
    """
    if app.builder.name != "epub":
        return
    if app.config.book_epub_static:
        app.config.html_static_path = [
            *app.config.html_static_path,
            app.config.book_epub_static,
        ]
        static = Path(app.confdir, app.config.book_epub_static)
        for css in sorted(static.glob("*.css")):
            app.add_css_file(css.name)
    builder: Any = app.builder
    write_content_opf = builder.build_content

    def build_content() -> None:
        write_content_opf()
        cover = app.config.epub_cover[0] if app.config.epub_cover else ""
        if not cover:
            return
        opf = Path(builder.outdir, "content.opf")
        text = opf.read_text(encoding="utf-8")
        item = f'href="{cover}" media-type="image/'
        if item in text and 'properties="cover-image"' not in text:
            start = text.index(item)
            end = text.index("/>", start)
            text = text[:end] + 'properties="cover-image" ' + text[end:]
            opf.write_text(text, encoding="utf-8")

    builder.build_content = build_content


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_config_value("book_unnumbered_docs", [], "env", types=[list, tuple, set])
    app.add_config_value("book_appendix_caption", "", "env", types=[str])
    app.add_config_value("book_epub_static", "", "env", types=[str])
    app.connect("doctree-resolved", mark_print_structure)
    app.connect("builder-inited", add_epub_static)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
