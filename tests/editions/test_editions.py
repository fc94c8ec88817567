"""Checks on the built print and e-book editions.

`make pdf` and `make epub` build the books; these tests read what they built:
build/pdf/python-on-the-wire.pdf (with its LaTeX log in build/latex/trim/)
and build/epub/python-on-the-wire.epub.

In a plain `make test` the books may not exist (building them needs TeX), or
may be older than the sources, which is the normal state while the sources
change; then these tests skip and say why. `make check-editions` (which CI
runs after `make pdf epub`) sets BOOK_EDITIONS_REQUIRED=1, and then an absent
or stale book fails instead.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import sys
import unicodedata
import zipfile
from functools import cache
from pathlib import Path
from types import SimpleNamespace

import pytest
from sphinx.directives.code import LiteralIncludeReader

from tools import booklint, chapters
from tools.paths import BOOK, ROOT

PDF = ROOT / "build" / "pdf" / "python-on-the-wire.pdf"
LATEX_LOG = ROOT / "build" / "latex" / "trim" / "python-on-the-wire.log"
EPUB = ROOT / "build" / "epub" / "python-on-the-wire.epub"
EPUBCHECK = Path("/usr/share/java/epubcheck.jar")
REQUIRED = os.environ.get("BOOK_EDITIONS_REQUIRED") == "1"

# What a book is built from: newer than the book means the book is stale.
INPUTS = [BOOK, ROOT / "listings", ROOT / "conf.py", ROOT / "chapters.toml"]

# Largest overfull box tolerated in the LaTeX log, in points: a line may
# stick out into the margin by this much, or a page run this much long (a
# framed listing split across pages can come out about 3.2pt long).
MAX_OVERFULL_PT = 4.0

# Marks LaTeX adds inside a wrapped listing line: the continuation arrow and
# the visible space left at the break.
WRAP_MARKS = {"\N{RIGHTWARDS ARROW WITH HOOK}", "\N{OPEN BOX}"}


def _unavailable(reason: str) -> None:
    if REQUIRED:
        pytest.fail(reason)
    pytest.skip(reason)


def _is_cache(path: Path) -> bool:
    """Whether *path* is in a tool's cache (__pycache__, .ruff_cache, ...)."""
    return any(part == "__pycache__" or part.endswith("_cache") for part in path.parts)


def _newest_input() -> tuple[float, Path]:
    newest = (0.0, ROOT / "conf.py")
    for place in INPUTS:
        files = [place] if place.is_file() else place.rglob("*")
        for path in files:
            if path.is_file() and not _is_cache(path.relative_to(ROOT)):
                newest = max(newest, (path.stat().st_mtime, path))
    return newest


def _need(artefact: Path, target: str, *tools: str) -> None:
    """Skip (or, when required, fail) unless the artefact is there and fresh."""
    if not artefact.exists():
        _unavailable(f"{artefact.relative_to(ROOT)} is absent: run `make {target}`")
    mtime, source = _newest_input()
    if artefact.stat().st_mtime < mtime:
        _unavailable(
            f"{artefact.relative_to(ROOT)} is older than {source.relative_to(ROOT)}: "
            f"rerun `make {target}`"
        )
    for tool in tools:
        if shutil.which(tool) is None:
            _unavailable(f"{tool} is not installed: run `make system-deps`")


def _run(*command: str | Path) -> str:
    done = subprocess.run(
        [str(part) for part in command], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, f"{command[0]} failed:\n{done.stdout}{done.stderr}"
    return done.stdout


def _squash(text: str) -> str:
    """Compatibility-normalise (ligatures) and drop every kind of whitespace."""
    return "".join(unicodedata.normalize("NFKC", text).split())


# -- What the book promises to print -------------------------------------------


def _directives(name: str) -> list[tuple[Path, str, dict[str, str | bool]]]:
    """Every ```{name} argument block in the chapters, with its options (a
    flag without a value is True), as tools/booklint.py reads them."""
    return [
        (
            block.file,
            block.argument.strip(),
            {k: v.strip("\"'") or True for k, v in block.options},
        )
        for page in sorted(BOOK.glob("*.md"))
        for block in booklint.blocks(page)
        if block.directive == name
    ]


@cache
def listing_texts() -> dict[str, list[tuple[int, str]]]:
    """Each listing file, mapped to the book's includes of it: the number of
    the first line shown, and the text.

    Sphinx's own reader applies the include's options (pyobject, start-after,
    lineno-match, ...), so a partial include expects only what it selects,
    numbered as in the file. A listing the chapters never include is
    expected whole: it is the book's code, and the book has to show it.
    """
    config = SimpleNamespace(source_encoding="utf-8-sig")
    texts: dict[str, list[tuple[int, str]]] = {}
    for page, argument, options in _directives("literalinclude"):
        path = (page.parent / argument).resolve()
        if path.suffix != ".py" or ROOT / "listings" not in path.parents:
            continue
        reader_options = {
            key: value
            for key, value in options.items()
            if key not in {"caption", "name", "linenos", "language", "emphasize-lines"}
        }
        reader = LiteralIncludeReader(str(path), reader_options, config)
        text, _ = reader.read()
        texts.setdefault(str(path.relative_to(ROOT)), []).append(
            (reader.lineno_start, text)
        )
    for path in sorted((ROOT / "listings").glob("*/*.py")):
        if path.name != "__init__.py":
            texts.setdefault(
                str(path.relative_to(ROOT)), [(1, path.read_text(encoding="utf-8"))]
            )
    return texts


def chapter_titles() -> dict[str, str]:
    """The title (first level-one heading) of every page but the root page."""
    titles = {}
    for page in sorted(BOOK.glob("*.md")):
        if page.stem == "index":
            continue
        for line in page.read_text(encoding="utf-8").splitlines():
            if line.startswith("# "):
                titles[page.name] = re.sub(r"[`*]", "", line[2:]).strip()
                break
    return titles


def figure_captions() -> list[str]:
    """The caption of every figure (the text after its options), as plain text."""
    captions = []
    for page in sorted(BOOK.glob("*.md")):
        lines = page.read_text(encoding="utf-8").splitlines()
        for block in booklint.blocks(page):
            if block.directive == "figure":
                body = lines[block.line : lines.index("```", block.line)]
                text = " ".join(line for line in body if not line.startswith(":"))
                captions.append(re.sub(r"[`*]", "", text).strip())
    return captions


# -- The PDF ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def pdf() -> Path:
    _need(PDF, "pdf", "pdftotext", "pdffonts", "pdfinfo")
    return PDF


@cache
def _pdf_text(path: Path, *options: str) -> str:
    return _run("pdftotext", *options, path, "-")


# The text block of the 7in x 9.25in page (conf.py: top margin 0.8in, bottom
# 0.85in), in points, with a little slack: reading only this area leaves out
# the running heads and the page numbers.
TEXT_BLOCK_TOP, TEXT_BLOCK_HEIGHT = 50, 565

_NUMBERED = re.compile(r"^\s*(\d{1,4})(?:\s{2,}(.*))?$")
_CONTINUED = re.compile(r"^\s*\N{RIGHTWARDS ARROW WITH HOOK}(.*)$")


class Printed(list[str]):
    """One numbered code block as printed: its lines, the number of its
    first line, and how many of its lines LaTeX had to wrap."""

    def __init__(self, start: int, first: str) -> None:
        super().__init__([first])
        self.start = start
        self.wrapped = 0


def printed_listings(layout_text: str) -> list[Printed]:
    """The numbered code blocks in the PDF's text, one list of lines each.

    A block starts at a numbered line that does not continue the block
    before it (a whole listing starts at 1, a part shown with
    ``:lineno-match:`` at its own first number) and takes each next-numbered
    line. A line that starts with the continuation arrow is the rest of the
    code line just before it, which LaTeX wrapped: directly below it, or at
    the top of the next page if the wrap fell on a page break. Everything
    else (prose, captions, footnotes, console sessions) is left out.
    """
    blocks: list[Printed] = []
    current: Printed | None = None
    wrapping = False  # may an arrow line continue the last code line?
    for line in layout_text.splitlines():
        numbered = _NUMBERED.match(line)
        continued = _CONTINUED.match(line)
        if numbered and current and int(numbered[1]) == current.start + len(current):
            current.append(numbered[2] or "")
            wrapping = True
        elif numbered:
            current = Printed(int(numbered[1]), numbered[2] or "")
            blocks.append(current)
            wrapping = True
        elif continued and current and wrapping:
            current[-1] += continued[1]
            current.wrapped += 1
        elif "(continued from previous page)" in line:
            wrapping = current is not None
        elif line.strip() and "(continues on next page)" not in line:
            wrapping = False
            current = None
    for block in blocks:
        block[:] = [_squash(_unwrap(line)) for line in block]
    return blocks


def _unwrap(line: str) -> str:
    return "".join(ch for ch in line if ch not in WRAP_MARKS)


@pytest.mark.parametrize("listing", sorted(listing_texts()))
def test_pdf_prints_every_line_of_every_listing(pdf: Path, listing: str) -> None:
    """Each listing appears whole, numbered from 1, every line in its place."""
    area = ["-x", "0", "-y", str(TEXT_BLOCK_TOP), "-H", str(TEXT_BLOCK_HEIGHT)]
    blocks = printed_listings(_pdf_text(pdf, "-layout", "-W", "2000", *area))
    for start, text in listing_texts()[listing]:
        wanted = [_squash(line) for line in text.splitlines()]
        assert any(wanted), f"{listing} has no code"
        if not [b for b in blocks if b.start == start and b == wanted]:
            pytest.fail(
                f"{listing} from line {start} is not printed as it is; "
                f"{_closest([b for b in blocks if b.start == start], wanted)}"
            )


def test_pdf_wraps_no_listing_line(pdf: Path) -> None:
    """Listings keep within 79 columns, which the page holds: a print reader
    sees every line of code as written, none broken by a continuation mark."""
    area = ["-x", "0", "-y", str(TEXT_BLOCK_TOP), "-H", str(TEXT_BLOCK_HEIGHT)]
    blocks = printed_listings(_pdf_text(pdf, "-layout", "-W", "2000", *area))
    assert blocks, "the PDF shows no numbered listing"
    wrapped = sum(block.wrapped for block in blocks)
    assert wrapped == 0, f"{wrapped} listing lines are wrapped in the PDF"


def _agreement(block: list[str], wanted: list[str]) -> int:
    """How many leading lines the printed block gets right."""
    pairs = zip(block, wanted, strict=False)
    return next(
        (i for i, (a, b) in enumerate(pairs) if a != b), min(len(block), len(wanted))
    )


def _closest(blocks: list[list[str]], wanted: list[str]) -> str:
    """Where the printed block that comes closest first goes wrong."""
    best = max(blocks, key=lambda block: _agreement(block, wanted), default=[])
    at = _agreement(best, wanted)
    printed = best[at] if at < len(best) else "(nothing)"
    expected = wanted[at] if at < len(wanted) else "(nothing)"
    return (
        f"in the closest printed block, line {at + 1} reads {printed!r} "
        f"where the file has {expected!r}"
    )


def test_pdf_prints_every_chapter_title(pdf: Path) -> None:
    text = " ".join(unicodedata.normalize("NFKC", _pdf_text(pdf)).split())
    titles = chapter_titles()
    assert titles, "no chapters found in book/"
    missing = {page: title for page, title in titles.items() if title not in text}
    assert not missing, f"chapter titles missing from the PDF: {missing}"


def test_pdf_numbers_the_chapters_as_the_registry_does(pdf: Path) -> None:
    """Each chapter in the book opens as "Chapter N" over its title, N its
    number in chapters.toml, in the registry's order."""
    text = _pdf_text(pdf)
    printed = re.findall(r"^\f?Chapter (\d+)\n\n(.+)$", text, re.MULTILINE)
    expected = [(str(c.number), c.title) for c in chapters.in_book()]
    assert printed == expected


def test_pdf_prints_every_figure_caption(pdf: Path) -> None:
    text = _squash(_pdf_text(pdf))
    missing = [caption for caption in figure_captions() if _squash(caption) not in text]
    assert not missing, f"figures missing from the PDF: {missing}"


def test_pdf_embeds_every_font(pdf: Path) -> None:
    report = _run("pdffonts", pdf).splitlines()
    assert report[0].split()[-5:] == ["emb", "sub", "uni", "object", "ID"], report[0]
    # The last five columns are emb, sub, uni, object number, generation;
    # names and types may be long or hold spaces, so count from the right.
    fonts = {row.split()[0]: row.split()[-5] for row in report[2:]}
    assert fonts, "pdffonts listed no fonts"
    not_embedded = sorted(name for name, embedded in fonts.items() if embedded != "yes")
    assert not not_embedded, f"fonts not embedded: {not_embedded}"


def test_pdf_page_count_fits_the_content(pdf: Path) -> None:
    """The page count follows from the amount of text: catch a half-empty or
    runaway PDF (a lost chapter, an endless table, a page per line)."""
    info = _run("pdfinfo", pdf)
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE)[1])
    words = sum(
        len(page.read_text(encoding="utf-8").split()) for page in BOOK.glob("*.md")
    )
    code_lines = sum(
        len(text.splitlines())
        for texts in listing_texts().values()
        for _, text in texts
    )
    # About 420 words or 48 listing lines fill a 7in x 9.25in page; front
    # matter, blank versos and the index add some twenty.
    estimate = words / 420 + code_lines / 48 + 20
    assert 0.6 * estimate <= pages <= 1.6 * estimate, (
        f"{pages} pages for {words} words and {code_lines} listing lines "
        f"(expected about {estimate:.0f})"
    )


def test_latex_log_has_no_wide_overfull_box_or_missing_glyph(pdf: Path) -> None:
    assert LATEX_LOG.exists(), (
        f"{LATEX_LOG.relative_to(ROOT)} is absent: rerun `make pdf`"
    )
    log = LATEX_LOG.read_text(encoding="utf-8", errors="replace")
    overfull = [
        float(amount)
        for amount in re.findall(
            r"^Overfull \\[hv]box \(([\d.]+)pt too \w+\)", log, re.M
        )
    ]
    too_wide = [amount for amount in overfull if amount > MAX_OVERFULL_PT]
    assert not too_wide, f"overfull boxes wider than {MAX_OVERFULL_PT}pt: {too_wide}"
    missing = re.findall(r"^Missing character: There is no (.+?) in font", log, re.M)
    assert not missing, f"characters the fonts cannot print: {sorted(set(missing))}"


# -- The EPUB --------------------------------------------------------------------


@pytest.fixture(scope="module")
def epub() -> Path:
    _need(EPUB, "epub", "java")
    if not EPUBCHECK.exists():
        _unavailable(f"{EPUBCHECK} is absent: run `make system-deps`")
    return EPUB


def test_epub_passes_epubcheck_without_warnings(epub: Path) -> None:
    done = subprocess.run(
        ["java", "-jar", str(EPUBCHECK), "--failonwarnings", str(epub)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = done.stdout + done.stderr
    assert done.returncode == 0, report
    assert (
        "0 fatals / 0 errors / 0 warnings" in report
        or "No errors or warnings" in report
    ), report


def test_epub_contents_list_the_chapters_in_the_registry_s_order(
    epub: Path,
) -> None:
    with zipfile.ZipFile(epub) as book:
        nav = html.unescape(book.read("nav.xhtml").decode())
    listed = [c for c in chapters.in_book() if f'href="{c.slug}.xhtml"' in nav]
    assert listed == chapters.in_book(), "a chapter is missing from the contents"
    places = [nav.index(f'href="{c.slug}.xhtml"') for c in listed]
    assert places == sorted(places)


def test_epub_has_cover_contents_and_figures(epub: Path) -> None:
    with zipfile.ZipFile(epub) as book:
        names = set(book.namelist())
        opf = book.read("content.opf").decode()
        nav = html.unescape(book.read("nav.xhtml").decode())
        pages = {
            name: book.read(name).decode() for name in names if name.endswith(".xhtml")
        }
    assert re.search(
        r'<item [^>]*href="_static/cover\.png"[^>]*properties="cover-image"', opf
    )
    assert '<meta name="cover"' in opf
    assert "epub-cover.xhtml" in names
    for title in chapter_titles().values():
        assert f">{title}<" in nav, f"{title!r} is not in the EPUB's table of contents"
    figures = [
        src
        for page in pages.values()
        for src in re.findall(r'<img [^>]*src="(_images/[^"]+\.svg)"', page)
    ]
    # Each figure and each ladder diagram (book/_ext/captures.py) is one SVG.
    drawn = _directives("figure") + _directives("ladder")
    assert len(figures) == len(drawn), figures
    for src in figures:
        assert src in names, f"{src} is referenced but not packed"


def test_staleness_ignores_tools_caches() -> None:
    assert _is_cache(Path("listings/.ruff_cache/0.17.6/123"))
    assert _is_cache(Path("listings/chapter03/__pycache__/hexserver.cpython-311.pyc"))
    assert _is_cache(Path("book/.mypy_cache/x.json"))
    assert not _is_cache(Path("listings/chapter03/hexserver.py"))
    assert not _is_cache(Path("book/_static/book.css"))
    _, source = _newest_input()
    assert not _is_cache(source.relative_to(ROOT))


def test_ruff_keeps_its_cache_out_of_the_listings() -> None:
    """listings/.ruff.toml sends ruff's cache to the repository's .ruff_cache."""
    ruff = Path(sys.executable).with_name("ruff")
    if not ruff.exists():
        pytest.skip("ruff is not installed beside this Python")
    for where in ("listings/chapter03/hexserver.py", "tools/paths.py"):
        settings = subprocess.run(
            [ruff, "check", "--show-settings", where],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        found = re.search(r'^cache_dir = "(.*)"$', settings, re.MULTILINE)
        assert found, settings[:500]
        assert Path(found[1]) == ROOT / ".ruff_cache", where
