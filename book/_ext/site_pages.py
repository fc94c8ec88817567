"""Per-page extras for the HTML edition: the erratum link and the description.

* ``erratum_url``: a link that opens a new issue in the book's tracker
  (``site_issue_tracker`` in conf.py) with the page's title and address already
  filled in; ``page.html`` shows it under each chapter.
* A page whose front matter has ``description: ...`` gets that text as its
  ``<meta name="description">`` and ``og:description`` (sphinxext-opengraph
  otherwise takes the first paragraph). Pages made without a source (search,
  index, 404) get a description of their own, so that every page has one.
"""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import quote, urlencode, urljoin

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx

GENERATED = {
    "search": "Search the full text of {project}.",
    "genindex": "Index of the terms and names used in {project}.",
    "py-modindex": "The Python modules documented in {project}.",
}


def erratum_url(tracker: str, title: str, page_url: str) -> str:
    """The tracker's new-issue form, filled in for the page at ``page_url``."""
    body = (
        f"Page: {title}\n{page_url}\n\n"
        "Section or listing:\n\n"
        "What the book says:\n\n"
        "What it should say, or why it is wrong:\n"
    )
    query = urlencode({"title": f"Erratum: {title}", "body": body}, quote_via=quote)
    return f"{tracker.rstrip('/')}/new?{query}"


def _plain(title: str) -> str:
    return html.unescape(title).replace("\N{PILCROW SIGN}", "").strip()


def summary(doctree: nodes.document, limit: int = 200) -> str:
    """The page's opening prose, cut at a sentence (or word) within ``limit``."""
    skip = (nodes.Admonition, nodes.sidebar, nodes.topic, nodes.table, nodes.caption)
    text = ""
    for para in doctree.findall(nodes.paragraph):
        if (
            isinstance(para, addnodes.compact_paragraph)
            or "listing-archives" in para["classes"]
        ):
            continue
        if any(isinstance(a, skip) for a in _ancestors(para)):
            continue
        if text and not text.endswith((".", "!", "?", ":")):
            text += "."
        text = f"{text} {' '.join(para.astext().split())}".strip()
        if len(text) >= 100:
            break
    if len(text) <= limit:
        return text
    cut = max(
        text.rfind(". ", 0, limit),
        text.rfind("? ", 0, limit),
        text.rfind("! ", 0, limit),
    )
    if cut >= 50:
        return text[: cut + 1]
    return (
        text[: text.rfind(" ", 0, limit - 1)].rstrip(",;:") + "\N{HORIZONTAL ELLIPSIS}"
    )


def _ancestors(node: nodes.Node) -> list[nodes.Node]:
    found = []
    while node.parent is not None:
        node = node.parent
        found.append(node)
    return found


def _context(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    config = app.config
    title = _plain(str(context.get("title") or config.project))
    if doctree is not None and pagename != getattr(config, "notfound_pagename", "404"):
        base = config.html_baseurl or ""
        uri = app.builder.get_target_uri(pagename)
        page_url = urljoin(base, uri) if base else uri
        context["erratum_url"] = erratum_url(config.site_issue_tracker, title, page_url)
    else:
        context["erratum_url"] = None

    meta = context.get("meta")
    if meta is None:
        meta = context["meta"] = {}
    if doctree is None:
        template = GENERATED.get(pagename)
        description = template.format(project=config.project) if template else ""
    else:
        description = " ".join(str(meta.get("description") or summary(doctree)).split())
    if description and 'name="description"' not in context.get("metatags", ""):
        text = html.escape(description, quote=True)
        tag = f'<meta name="description" content="{text}" />\n'
        context["metatags"] = context.get("metatags", "") + tag
        if doctree is not None:
            meta.setdefault("og:description", description)


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_config_value("site_issue_tracker", "", "html", types=frozenset({str}))
    # Before sphinxext-opengraph (500), which then keeps the description given here.
    app.connect("html-page-context", _context, priority=450)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
