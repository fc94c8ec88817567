"""Packet captures in the book: a dissection with its pcap, a ladder with its text.

Both directives take a path under ``book/`` without the extension, as
``tools/captures.py`` writes the files (``transcripts/CHAPTER/ID.HOST-IFACE``)::

    ```{capture} transcripts/chapter01/nat-search4.h1-eth0
    ```

shows the dissection (``.txt``) as a text block (in a smaller type in the
PDF edition, where a packet's line is long) and, in HTML, a line under
it that downloads the pcap (``.pcap``, copied into ``_downloads/`` by
Sphinx's own download mechanism) to open in Wireshark::

    ```{ladder} transcripts/chapter01/nat-search4.h1-eth0
    The search seen from h1: one arrow per packet.
    ```

shows the ladder diagram as a figure (``.svg`` in HTML and EPUB, ``.pdf``
in the PDF edition; Sphinx picks the candidate) with the content as its
caption, and, in HTML and EPUB, the same arrows as a numbered list
(``.ladder.txt``) in a ``<details>`` element under it: the text equivalent
for readers who cannot see the picture, which the image's alt text points
to. Nothing is drawn here: the files are made, and checked, by
``make transcripts``.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective


class capture_download(nodes.paragraph):
    """The "Download the capture" line under a dissection (HTML only)."""


class ladder_text(nodes.General, nodes.Element):
    """The ladder's arrows as a list, under its figure (HTML and EPUB)."""


class _FileDirective(SphinxDirective):
    required_arguments = 1
    final_argument_whitespace = False

    def path(self, suffix: str) -> tuple[str, Path]:
        """The argument with *suffix*, relative to this document and on disk."""
        rel, absolute = self.env.relfn2path(self.arguments[0] + suffix)
        self.env.note_dependency(rel)
        return rel, Path(absolute)

    def read(self, suffix: str) -> str | None:
        try:
            return self.path(suffix)[1].read_text(encoding="utf-8")
        except OSError:
            return None

    def missing(self, suffix: str) -> list[nodes.Node]:
        return [
            self.state.document.reporter.warning(
                f"{self.name}: no file {self.arguments[0]}{suffix}"
                " (make transcripts writes it)",
                line=self.lineno,
            )
        ]


class CaptureDirective(_FileDirective):
    """``{capture} PATH``: the dissection and the pcap's download link."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        text = self.read(".txt")
        if text is None:
            return self.missing(".txt")
        pcap = self.path(".pcap")[1]
        if not pcap.is_file():
            return self.missing(".pcap")
        block = nodes.literal_block(text, text, classes=["capture"])
        block["language"] = "text"
        self.set_source_info(block)
        ref = addnodes.download_reference(
            "",
            "",
            refdoc=self.env.docname,
            reftarget=self.arguments[0] + ".pcap",
            refexplicit=True,
            refwarn=True,
            reftype="download",
            refdomain="",
        )
        ref += nodes.literal(pcap.name, pcap.name, classes=["xref", "download"])
        line = capture_download("", "", classes=["capture-download"])
        line += nodes.Text("Download the capture ")
        line += ref
        line += nodes.Text(f" ({pcap.stat().st_size:,} bytes) to open it in Wireshark")
        # In print a packet's line is long: a smaller type keeps most on one line.
        smaller = nodes.raw(
            "", r"\begingroup\fvset{fontsize=\scriptsize}", format="latex"
        )
        return [smaller, block, nodes.raw("", r"\endgroup", format="latex"), line]


class LadderDirective(_FileDirective):
    """``{ladder} PATH``: the diagram, its caption, its text equivalent."""

    has_content = True
    option_spec: ClassVar[dict[str, Any]] = {"name": directives.unchanged}

    def run(self) -> list[nodes.Node]:
        steps = self.read(".ladder.txt")
        if steps is None:
            return self.missing(".ladder.txt")
        for suffix in (".svg", ".pdf"):
            if not self.path(suffix)[1].is_file():
                return self.missing(suffix)
        arrows = [line for line in steps.splitlines() if line.strip()]
        figure = nodes.figure("", classes=["ladder"])
        alt = (
            f"Ladder diagram: {len(arrows)} packets, one arrow each, drawn from"
            " the capture; the list under it gives every arrow as text."
        )
        figure += nodes.image(uri=self.arguments[0] + ".*", alt=alt)
        if self.content:
            caption, _messages = self.state.inline_text(
                " ".join(self.content), self.lineno
            )
            figure += nodes.caption("", "", *caption)
        if "name" in self.options:
            self.add_name(figure)
        self.set_source_info(figure)
        return [figure, ladder_text("", arrows=arrows)]


def visit_capture_download(translator: Any, node: capture_download) -> None:
    builder = translator.builder
    if builder.format != "html" or not getattr(builder, "download_support", False):
        raise nodes.SkipNode
    translator.body.append(translator.starttag(node, "p", ""))


def depart_capture_download(translator: Any, node: capture_download) -> None:
    translator.body.append("</p>\n")


def visit_ladder_text(translator: Any, node: ladder_text) -> None:
    items = []
    for arrow in node["arrows"]:
        _number, _dot, words = arrow.partition(". ")
        items.append(f"<li>{html.escape(words)}</li>")
    translator.body.append(
        '<details class="ladder-text"><summary>The diagram as text</summary>'
        f"<ol>{''.join(items)}</ol></details>\n"
    )
    raise nodes.SkipNode


def skip(translator: Any, node: nodes.Node) -> None:
    raise nodes.SkipNode


def setup(app: Sphinx) -> dict[str, Any]:
    others = dict.fromkeys(("latex", "text", "man", "texinfo"), (skip, None))
    app.add_node(
        capture_download,
        html=(visit_capture_download, depart_capture_download),
        **others,
    )
    app.add_node(ladder_text, html=(visit_ladder_text, None), **others)
    app.add_directive("capture", CaptureDirective)
    app.add_directive("ladder", LadderDirective)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
