"""Links to the PDF and EPUB editions, shown only when they have been built.

``site_editions`` in conf.py names each edition and the file its build leaves
(for example ``build/pdf/python-on-the-wire.pdf``). When an HTML build finds
such a file, it copies it into the output's ``_downloads/`` and every page's
sidebar links it; an edition not built is not mentioned. When the set of
built editions changes, every page is written again so that no page links a
file that is missing or leaves out one that is there.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.util.osutil import relative_uri


def _found(app: Sphinx) -> list[tuple[str, Path]]:
    if app.builder.format != "html" or not getattr(
        app.builder, "download_support", False
    ):
        return []
    confdir = Path(app.confdir)
    found = []
    for label, name in app.config.site_editions:
        path = (confdir / name).resolve()
        if path.is_file():
            found.append((label, path))
    return found


def _outdated(
    app: Sphinx,
    env: BuildEnvironment,
    added: set[str],
    changed: set[str],
    removed: set[str],
) -> list[str]:
    labels = tuple(f"{label}:{path.name}" for label, path in _found(app))
    if getattr(env, "site_editions_seen", None) != labels:
        env.site_editions_seen = labels  # type: ignore[attr-defined]
        return sorted(env.found_docs)
    return []


def _context(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    here = app.builder.get_target_uri(pagename)
    context["site_editions"] = [
        {
            "label": label,
            "href": relative_uri(here, f"_downloads/{path.name}"),
            "name": path.name,
        }
        for label, path in _found(app)
    ]


def _copy(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None:
        return
    out = Path(app.outdir) / "_downloads"
    for _label, path in _found(app):
        out.mkdir(parents=True, exist_ok=True)
        target = out / path.name
        if target.resolve() == path:
            continue
        if not target.exists() or target.read_bytes() != path.read_bytes():
            shutil.copyfile(path, target)


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_config_value("site_editions", [], "html", types=frozenset({list, tuple}))
    app.connect("env-get-outdated", _outdated)
    app.connect("html-page-context", _context)
    app.connect("build-finished", _copy)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
