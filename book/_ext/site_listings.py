"""Downloads for the listings: each file, each chapter's set, and all of them.

Under every ``literalinclude`` of a file in ``listings/`` this adds a line
"Download search2.py" made with Sphinx's own download mechanism (the file is
copied into ``_downloads/``). Under the title of a page that shows listings it
adds a line linking two zip files written into the HTML output at build time:
the listings of that chapter (``python-on-the-wire-chapter01.zip``) and the
whole ``listings`` package (``python-on-the-wire-listings.zip``). The zips are
deterministic: sorted names, a fixed date, fixed permissions, so the same
files always give the same bytes.

Builders without downloads (EPUB, LaTeX, text) drop these lines.
"""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path, PurePosixPath
from typing import Any

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.transforms import SphinxTransform
from sphinx.util.osutil import relative_uri

ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip can hold
SKIP_PARTS = {"__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache"}


class listing_download(nodes.paragraph):
    """The "Download NAME" line under one listing."""


class listing_archives(nodes.paragraph):
    """The line that links a page's chapter zip and the whole package's zip."""


def package_files(root: Path) -> list[Path]:
    """Every file of the listings package under ``root``, sorted, caches left out."""
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file()
        and not SKIP_PARTS.intersection(p.relative_to(root).parts)
        and not p.name.startswith(".")
        and p.suffix not in {".pyc", ".pyo"}
    )


def make_zip(entries: Iterable[tuple[str, bytes]]) -> bytes:
    """A zip of (name, data) pairs that depends on nothing but those pairs."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.create_system = 3  # Unix, so the permissions below are read
            info.external_attr = 0o100644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data, compresslevel=9)
    return buffer.getvalue()


def archive_entries(
    root: Path, chapter: str | None = None
) -> Iterator[tuple[str, bytes]]:
    """The zip entries for one chapter (with the package's ``__init__.py``, so
    ``python -m listings.chapterNN.NAME`` works after unzipping) or for all."""
    top = PurePosixPath(root.name)
    for path in package_files(root):
        rel = path.relative_to(root)
        if (
            chapter is None
            or rel.parts[0] == chapter
            or rel.as_posix() == "__init__.py"
        ):
            yield str(top / rel.as_posix()), path.read_bytes()


def archive_names(config: Any, chapter: str | None) -> str:
    base = config.site_listings_archive_basename
    return f"{base}-{chapter}.zip" if chapter else f"{base}-listings.zip"


class AddListingDownloads(SphinxTransform):
    """Put a download line under each listing and the zips' line under the title."""

    default_priority = 400

    def apply(self, **kwargs: Any) -> None:
        root = Path(self.config.site_listings_root).resolve()
        docdir = Path(self.env.doc2path(self.env.docname)).parent
        chapters: list[str] = []
        for block in list(self.document.findall(nodes.literal_block)):
            source = block.get("source")
            if not source:
                continue
            path = Path(source).resolve()
            if not path.is_relative_to(root) or path.parent == root:
                continue
            chapter = path.relative_to(root).parts[0]
            if chapter not in chapters:
                chapters.append(chapter)
            target = Path(os.path.relpath(path, docdir)).as_posix()
            ref = addnodes.download_reference(
                "",
                "",
                refdoc=self.env.docname,
                reftarget=target,
                refexplicit=True,
                refwarn=True,
                reftype="download",
                refdomain="",
            )
            ref += nodes.literal(path.name, path.name, classes=["xref", "download"])
            line = listing_download("", "", classes=["listing-download"])
            line += nodes.Text("Download ")
            line += ref
            anchor = block.parent if block.parent.get("literal_block") else block
            anchor.parent.insert(anchor.parent.index(anchor) + 1, line)
        if chapters:
            first = self.document.next_node(nodes.section)
            if first is not None:
                box = listing_archives(
                    "", "", classes=["listing-archives"], chapters=chapters
                )
                first.insert(1, box)


def _is_downloadable(translator: Any) -> bool:
    return bool(getattr(translator.builder, "download_support", False)) and (
        translator.builder.format == "html"
    )


def visit_listing_download(translator: Any, node: listing_download) -> None:
    if not _is_downloadable(translator):
        raise nodes.SkipNode
    translator.body.append(translator.starttag(node, "p", ""))


def depart_listing_download(translator: Any, node: listing_download) -> None:
    translator.body.append("</p>\n")


def _zip_link(href: str, text: str, name: str) -> str:
    return (
        f'<a class="reference download" download="{name}" href="{href}" '
        f'title="{name}">{text}</a>'
    )


def visit_listing_archives(translator: Any, node: listing_archives) -> None:
    if not _is_downloadable(translator):
        raise nodes.SkipNode
    builder = translator.builder
    here = builder.get_target_uri(builder.current_docname)
    root = Path(builder.config.site_listings_root)
    links = []
    for chapter in node["chapters"]:
        name = archive_names(builder.config, chapter)
        files = [p for p in package_files(root / chapter) if p.name != "__init__.py"]
        href = relative_uri(here, f"_downloads/{name}")
        whose = "this chapter" if len(node["chapters"]) == 1 else chapter
        text = f"{whose}\N{RIGHT SINGLE QUOTATION MARK}s {len(files)} listings"
        links.append(_zip_link(href, text, name))
    everything = archive_names(builder.config, None)
    href = relative_uri(here, f"_downloads/{everything}")
    every = _zip_link(href, "every listing in the book", everything)
    translator.body.append(
        translator.starttag(node, "p", "")
        + "Download the code as a zip: "
        + ", ".join(links)
        + f", or {every}.</p>\n"
    )
    raise nodes.SkipNode


def skip(translator: Any, node: nodes.Node) -> None:
    raise nodes.SkipNode


def write_archives(app: Sphinx, exception: Exception | None) -> None:
    """Write the chapters' zips and the package's zip into ``_downloads/``."""
    builder = app.builder
    if (
        exception is not None
        or builder.format != "html"
        or not getattr(builder, "download_support", False)
    ):
        return
    root = Path(app.config.site_listings_root)
    if not root.is_dir():
        return
    out = Path(app.outdir) / "_downloads"
    out.mkdir(parents=True, exist_ok=True)
    chapters = sorted(
        {p.relative_to(root).parts[0] for p in package_files(root) if p.parent != root}
    )
    wanted = {archive_names(app.config, None): make_zip(archive_entries(root))}
    for chapter in chapters:
        wanted[archive_names(app.config, chapter)] = make_zip(
            archive_entries(root, chapter)
        )
    for name, data in wanted.items():
        target = out / name
        if not target.exists() or target.read_bytes() != data:
            target.write_bytes(data)


def page_context(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """``listings_archive`` for the sidebar: where the whole package's zip is."""
    builder = app.builder
    context["listings_archive"] = None
    if (
        getattr(builder, "download_support", False)
        and Path(app.config.site_listings_root).is_dir()
    ):
        here = builder.get_target_uri(pagename)
        name = archive_names(app.config, None)
        context["listings_archive"] = {
            "href": relative_uri(here, f"_downloads/{name}"),
            "name": name,
        }


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_config_value("site_listings_root", "", "env", types=frozenset({str}))
    app.add_config_value(
        "site_listings_archive_basename", "listings", "html", types=frozenset({str})
    )
    app.add_node(
        listing_download,
        html=(visit_listing_download, depart_listing_download),
        latex=(skip, None),
        text=(skip, None),
        man=(skip, None),
        texinfo=(skip, None),
    )
    app.add_node(
        listing_archives,
        html=(visit_listing_archives, None),
        latex=(skip, None),
        text=(skip, None),
        man=(skip, None),
        texinfo=(skip, None),
    )
    app.add_transform(AddListingDownloads)
    app.connect("html-page-context", page_context)
    app.connect("build-finished", write_archives)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
