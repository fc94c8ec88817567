"""Chapter 1's console sessions (book/sessions/chapter01.toml) print what
their committed files show, and the sessions the chapter promises are there."""

from __future__ import annotations

from tests.support.sessions import (
    chapter_sessions,
    pytest_generate_tests,
    test_the_committed_transcript_is_what_the_commands_print,
)
from tools import paths

__all__ = [
    "pytest_generate_tests",
    "test_the_committed_transcript_is_what_the_commands_print",
]

SESSIONS = chapter_sessions(__file__)


def test_the_network_playground_sessions_the_book_promises_are_there() -> None:
    shown = {
        (host, command)
        for s in SESSIONS
        if s.on_network
        for host, command in zip(s.hosts, s.commands, strict=True)
    }
    assert ("h1", "python3 listings/chapter01/getname.py www.example.com") in shown
    assert any(
        h == "h1" and "search" in c and "--server https://www.example.com" in c
        for h, c in shown
    )
    assert {h for h, c in shown if "/_playground/whoami" in c} == {"h1", "h4"}
    assert ("h4", "tracepath -n www.example.com") in shown


def test_each_layer_of_the_search_listings_has_its_wire_capture() -> None:
    layers = {p.stem for p in (paths.LISTINGS / "chapter01").glob("search[0-9].py")}
    wired = {s.id for s in SESSIONS if s.wire}
    assert layers and wired == layers
