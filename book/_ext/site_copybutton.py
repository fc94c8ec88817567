"""Prompts count only in sessions, for sphinx-copybutton.

sphinx-copybutton recognises prompts by text: with ``copybutton_prompt_text``
matching ``>>> `` and ``only_copy_prompt_lines``, a block that has a prompt at
the start of any line is copied as its prompt lines only. That is right for a
console or Python session, but a listing whose module docstring holds a
doctest at the left margin would lose all its code. This extension keeps the
prompt rules for blocks highlighted as one of ``copybutton_session_languages``
and copies every other block whole (line numbers are still left out by
``copybutton_exclude``).

It works through the one hook sphinx-copybutton 0.5 offers: its template takes
the copy functions from ``html_context["copybutton_format_func"]``; this wraps
them, after sphinx-copybutton has put them there.
"""

from __future__ import annotations

import json
from typing import Any

from sphinx.application import Sphinx
from sphinx.config import Config

WRAPPER = """
// site_copybutton: prompts count only in console and Python sessions.
const copybuttonSessionSelector = %(selector)s;
let copybuttonCopyingSession = false;
function filterText(target, exclude) {
    copybuttonCopyingSession = target.closest(copybuttonSessionSelector) !== null;
    return copybuttonFilterTextOfSession(target, exclude);
}
function formatCopyText(textContent, ...options) {
    if (copybuttonCopyingSession) {
        return copybuttonFormatSessionText(textContent, ...options);
    }
    return textContent.endsWith("\\n") ? textContent.slice(0, -1) : textContent;
}
"""


def _wrap(app: Sphinx, config: Config) -> None:
    original = config.html_context.get("copybutton_format_func")
    if not original or "copybuttonFormatSessionText" in original:
        return
    renamed = original.replace(
        "function filterText(", "function copybuttonFilterTextOfSession(", 1
    )
    renamed = renamed.replace(
        "function formatCopyText(", "function copybuttonFormatSessionText(", 1
    )
    if renamed.count("copybutton") < 2 or renamed == original:
        raise RuntimeError(
            "sphinx-copybutton's functions have changed; update site_copybutton.py"
        )
    selector = ", ".join(
        f".highlight-{lang}" for lang in config.copybutton_session_languages
    )
    config.html_context["copybutton_format_func"] = renamed + WRAPPER % {
        "selector": json.dumps(selector)
    }


def setup(app: Sphinx) -> dict[str, Any]:
    app.setup_extension("sphinx_copybutton")
    app.add_config_value(
        "copybutton_session_languages",
        ["pycon", "console"],
        "html",
        types=frozenset({list, tuple}),
    )
    app.connect("config-inited", _wrap, priority=600)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
