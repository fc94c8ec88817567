"""The book's figure of the network playground is what its topology draws."""

from __future__ import annotations

import dataclasses
import difflib

import pytest

from playground.net import topology
from playground.net.figure import dot
from tools import paths

FIGURE = paths.FIGURES / "playground.dot"


def figure_report(committed: str, drawn: str) -> str:
    """A diff and the command that regenerates the figure ("" when equal)."""
    if committed == drawn:
        return ""
    rel = paths.shown(FIGURE)
    diff = "".join(
        difflib.unified_diff(
            committed.splitlines(keepends=True),
            drawn.splitlines(keepends=True),
            fromfile=f"{rel} (committed)",
            tofile=f"{rel} (what playground/net/topology.py draws now)",
        )
    )
    return (
        f"{diff}\nIf the topology is right, regenerate the figure with `make figures`"
        f" (python -m playground.net dot > {rel}) and commit it."
    )


def test_the_playground_figure_is_what_the_topology_draws():
    report = figure_report(FIGURE.read_text(encoding="utf-8"), dot())
    if report:
        pytest.fail(report, pytrace=False)


def test_a_changed_topology_fails_the_figure_check(monkeypatch):
    links = [
        dataclasses.replace(link, mtu=1480, note="MTU 1480")
        if link.mtu != 1500
        else link
        for link in topology.LINKS
    ]
    monkeypatch.setattr(topology, "LINKS", tuple(links))
    report = figure_report(FIGURE.read_text(encoding="utf-8"), dot())
    assert '-    modemB -- isp [label="198.51.100.4/30\\nMTU 1492' in report
    assert '+    modemB -- isp [label="198.51.100.4/30\\nMTU 1480' in report
    assert "make figures" in report
