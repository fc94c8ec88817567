"""Code blocks end at their last line, in the HTML edition.

A Python session in a chapter ends with a blank line, because
pytest-doctestplus needs one before the closing fence to tell the expected
output from what follows. In the HTML that line is an empty last line in the
box. This drops trailing blank lines from every code block when the page is
written for the HTML site (the sources, the doctests and the PDF and EPUB
editions keep them).
"""

from __future__ import annotations

from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.transforms.post_transforms import SphinxPostTransform


class TrimCodeBlocks(SphinxPostTransform):
    default_priority = 400
    builders = ("html", "dirhtml", "singlehtml")

    def run(self, **kwargs: Any) -> None:
        for block in self.document.findall(nodes.literal_block):
            text = block.astext()
            if block.rawsource != text or not text.endswith("\n"):
                continue  # parsed literals keep their markup; others are fine
            trimmed = text.rstrip("\n")
            block.rawsource = trimmed
            block.children = []
            block += nodes.Text(trimmed)


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_post_transform(TrimCodeBlocks)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
