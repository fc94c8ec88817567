"""Every script of the site loads with ``defer``.

Sphinx and furo write their ``<script src>`` tags without ``defer``, so the
browser stops reading the page at each one; Lighthouse counts them as
render-blocking. None of them needs to run before the page is parsed (the
theme's early choice of light or dark is an inline script, left alone), and
deferred scripts still run in order, before ``DOMContentLoaded``. The search
page is left as it is: furo adds its search scripts there as plain tags that
expect the others to have run already.
"""

from __future__ import annotations

from typing import Any

from sphinx.application import Sphinx

KEEP = {"async", "defer", "type", "body"}


def _defer(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    if pagename == "search" or "script_files" not in context:
        return
    deferred = []
    for js in context["script_files"]:
        attributes = getattr(js, "attributes", None)
        if attributes is None or not js.filename or KEEP & attributes.keys():
            deferred.append(js)
            continue
        deferred.append(
            type(js)(js.filename, priority=js.priority, **attributes, defer="defer")
        )
    context["script_files"] = deferred


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("html-page-context", _defer, priority=900)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
