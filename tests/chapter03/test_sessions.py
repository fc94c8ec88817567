"""Chapter 3's console sessions (book/sessions/chapter03.toml) print what
their committed files show, and the sessions the chapter promises are there."""

from __future__ import annotations

from tests.support.sessions import (
    chapter_sessions,
    pytest_generate_tests,
    test_the_committed_transcript_is_what_the_commands_print,
)

__all__ = [
    "pytest_generate_tests",
    "test_the_committed_transcript_is_what_the_commands_print",
]

SESSIONS = {s.id: s for s in chapter_sessions(__file__)}


def test_the_sessions_the_chapter_promises_are_there() -> None:
    on_loopback = {i for i, s in SESSIONS.items() if not s.on_network}
    assert {
        "distance",
        "fourtuple-local",
        "fourtuple-dual",
        "deadlock-small",
        "deadlock-stall",
        "deadlock-threads",
        "lines",
    } <= on_loopback
    on_network = {i for i, s in SESSIONS.items() if s.on_network}
    assert {
        "handshake",
        "refused",
        "dropped",
        "fourtuple-nat",
        "mss",
        "mss-clamped",
    } <= on_network


def test_the_stall_is_bounded_and_the_fixed_client_is_not_stalled() -> None:
    stall, fixed = SESSIONS["deadlock-stall"], SESSIONS["deadlock-threads"]
    assert stall.statuses == (1,) and "--threads" not in stall.commands[0]
    assert fixed.statuses == (0,) and "--threads" in fixed.commands[0]
    # the same command, but for the fix (and a shorter wait for the stall)
    naive = stall.commands[0].replace(" --timeout 0.5", "")
    assert naive + " --threads" == fixed.commands[0]


def test_the_firewall_and_clamp_rules_are_removed_by_their_sessions() -> None:
    for name, table in (("dropped", "inet guard"), ("mss-clamped", "ip clamp")):
        commands = SESSIONS[name].commands
        assert commands[0].startswith(f"nft add table {table} ")
        assert commands[-1] == f"nft delete table {table}"


def test_the_ipv6_session_has_one_dual_stack_server_and_both_families() -> None:
    dual = SESSIONS["fourtuple-dual"]
    assert " --host :: " in dual.servers[0].command
    assert [c.split("--host ")[1].split()[0] for c in dual.commands] == [
        "::1",
        "127.0.0.1",
    ]


def test_the_restart_without_so_reuseaddr_comes_after_the_server_stops() -> None:
    handshake = SESSIONS["handshake"]
    [server] = handshake.servers
    assert server.until == 1  # stopped after the question, before ss
    assert handshake.commands[1].startswith("ss -tn state time-wait")
    assert handshake.commands[2].endswith(" --no-reuse")
    assert handshake.statuses == (0, 0, 1)
