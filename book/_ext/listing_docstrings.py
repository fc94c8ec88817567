"""The listings' docstrings in the appendix read as their authors wrote them.

A listing's module docstring is written for a reader of the file, not for
reStructuredText: its example commands are simply indented, as in

    python3 hexserver.py
    python3 deadlock.py --bytes 1000

which reStructuredText would take for a quotation, run together into one
paragraph, with each ``--`` made into a dash. This turns each indented block
that follows a blank line in a ``listings.`` module's docstring into a
literal block, as ``::`` would, so the commands keep their lines and their
characters. Other modules' docstrings are reStructuredText already and are
left alone.
"""

from __future__ import annotations

from typing import Any

from sphinx.application import Sphinx


def literal_blocks(lines: list[str]) -> list[str]:
    """*lines* with a ``::`` paragraph before each indented block.

    >>> literal_blocks(["Run it:", "", "    python3 x.py --port 1", "", "Then."])
    ['Run it:', '', '::', '', '    python3 x.py --port 1', '', 'Then.']
    >>> literal_blocks(["Nothing indented here."])
    ['Nothing indented here.']
    """
    out: list[str] = []
    for line in lines:
        starts_block = line.startswith("    ") and (not out or not out[-1].strip())
        inside = len(out) >= 2 and out[-2].startswith("    ")
        if starts_block and out and not inside:
            out += ["::", ""]
        out.append(line)
    return out


def on_docstring(
    app: Sphinx, what: str, name: str, obj: Any, options: Any, lines: list[str]
) -> None:
    if what == "module" and name.startswith("listings."):
        lines[:] = literal_blocks(lines)


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("autodoc-process-docstring", on_docstring)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
