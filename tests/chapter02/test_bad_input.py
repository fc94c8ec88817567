"""Every chapter 2 listing against the bad input a reader can type: numbers
out of range, hosts that are no hosts, empty and non-ASCII messages, and a
Ctrl-C while a client waits. Each ends in argparse's usage error (exit 2) or
in one line naming the cause (exit 1), never in a traceback."""

from __future__ import annotations

import os
import socket

import pytest

from tests.chapter02.servers import running
from tests.conftest import run_listing

SERVER = "whoami_server.py"
CLIENT = "whoami_client.py"
RETRY = "retry_client.py"
PMTU = "pmtu.py"
IMPOSTOR = "impostor.py"
BROADCAST = "broadcast.py"
HUGE = "99999999999999999999"  # past any C integer: OverflowError, if unchecked
NOT_TEXT = os.fsdecode(b"\xff\xfe")  # bytes that are not UTF-8, as a shell passes them
LONG_LABEL = "a" * 64 + ".invalid"  # DNS labels stop at 63 characters


def run(listing: str, *args: str):
    return run_listing(f"chapter02/{listing}", *args, timeout=30)


def assert_usage_error(result, listing: str) -> None:
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("usage: ")
    assert result.stderr.splitlines()[-1].startswith(f"{listing}: error: ")


def assert_one_line(result, listing: str) -> str:
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 1, (result.stdout, result.stderr)
    prefix = listing.removesuffix(".py") + ": "
    assert result.stderr.startswith(prefix), result.stderr
    assert result.stderr.count("\n") == 1 and result.stderr.endswith("\n")
    return result.stderr


USAGE = {
    "timeouts": [
        (listing, [*before, option, value])
        for listing, before, option in [
            (CLIENT, [], "--timeout"),
            (RETRY, [], "--timeout"),
            (RETRY, [], "--max-wait"),
            (PMTU, [], "--timeout"),
            (IMPOSTOR, ["9"], "--every"),
        ]
        for value in ("-1", "0", "nan", "inf")
    ],
    "ports": [
        (listing, [*before, value])
        for listing, before in [
            (SERVER, ["--port"]),
            (CLIENT, ["--port"]),
            (CLIENT, ["--source-port"]),
            (RETRY, ["--port"]),
            (RETRY, ["--source-port"]),
            (PMTU, ["--port"]),
            (IMPOSTOR, []),
            (BROADCAST, ["listen", "--port"]),
            (BROADCAST, ["send", "--port"]),
        ]
        for value in ("70000", "-1", HUGE)
    ],
    "sizes and counts": [
        (CLIENT, ["--size", "-1"]),
        (CLIENT, ["--size", "65536"]),
        (CLIENT, ["--size", HUGE]),  # MemoryError, if unchecked
        (PMTU, ["--size", "-1"]),
        (PMTU, ["--size", "65508"]),
        (PMTU, ["--size", HUGE]),
        (RETRY, ["--tries", "0"]),
        (RETRY, ["--tries", "101"]),
        (RETRY, ["--tries", "100000000"]),  # 2**n overflows a float, if unchecked
        (RETRY, ["--id", ""]),
        (RETRY, ["--id", "é1"]),
        (RETRY, ["--id", "a" * 17]),  # the server would cut the tag short
        (SERVER, ["--drop", "-1"]),
        (SERVER, ["--drop", "0.5"]),
        (SERVER, ["--drop", "x"]),
        (CLIENT, ["hello", "--size", "4"]),  # shorter than the message
    ],
}


@pytest.mark.parametrize(
    ("listing", "args"),
    [case for cases in USAGE.values() for case in cases],
    ids=[f"{kind}-{i}" for kind, cases in USAGE.items() for i in range(len(cases))],
)
def test_out_of_range_values_are_usage_errors(listing, args):
    assert_usage_error(run(listing, *args), listing)


HOST_OPTION = {
    SERVER: ["--port", "0", "--host"],
    CLIENT: ["--host"],
    RETRY: ["--host"],
    PMTU: [],
    IMPOSTOR: ["9", "--host"],
    BROADCAST: ["send", "--to"],
}


@pytest.mark.parametrize("listing", list(HOST_OPTION))
@pytest.mark.parametrize(
    ("host", "says"),
    [
        ("nowhere.invalid", "cannot resolve nowhere.invalid"),
        (LONG_LABEL, f"'{LONG_LABEL}' is not a valid host name"),
        (NOT_TEXT, r"'\udcff\udcfe' is not a valid host name"),
    ],
    ids=["unknown", "long-label", "not-text"],
)
def test_a_host_that_is_no_host_is_one_line(listing, host, says):
    line = assert_one_line(run(listing, *HOST_OPTION[listing], host), listing)
    assert says in line


@pytest.mark.parametrize(
    ("typed", "sent"),
    [
        ("", b""),
        (" ", b" "),
        ("héllo", "héllo".encode()),
        ("日本", "日本".encode()),
        (NOT_TEXT, b"\xff\xfe"),
    ],
    ids=["empty", "space", "accented", "cjk", "not-utf8"],
)
def test_messages_go_as_the_bytes_typed(typed, sent):
    # A datagram carries bytes: the server counts them, not characters.
    with running(f"chapter02/{SERVER}", "--port", "0") as server:
        port = str(server.port)
        trusting = run(CLIENT, typed, "--port", port)
        careful = run(RETRY, typed, "--port", port, "--id", "abc")
    assert (trusting.returncode, trusting.stderr) == (0, "")
    assert (careful.returncode, careful.stderr) == (0, "")
    assert f"sent {len(sent)} bytes to 127.0.0.1" in trusting.stdout
    assert f"try 1: sent {len(sent) + 5} bytes" in careful.stdout
    assert server.lines[1].endswith(f": {sent!r}")
    assert server.lines[2].endswith(f": {b'#abc ' + sent!r}")


def test_the_other_senders_send_the_bytes_typed():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as target:
        target.bind(("127.0.0.1", 0))
        target.settimeout(10)
        port = str(target.getsockname()[1])
        forged = run(IMPOSTOR, port, "--message", NOT_TEXT)
        broadcast = run(
            BROADCAST, "send", NOT_TEXT, "--to", "127.0.0.1", "--port", port
        )
        empty = run(BROADCAST, "send", "", "--to", "127.0.0.1", "--port", port)
        got = [target.recv(100) for _ in range(3)]
    assert [forged.returncode, broadcast.returncode, empty.returncode] == [0, 0, 0]
    assert got == [b"\xff\xfe", b"\xff\xfe", b""]


@pytest.mark.parametrize(
    ("listing", "args", "line"),
    [
        (CLIENT, ["--timeout", "60"], "whoami_client: interrupted, no reply from"),
        (RETRY, ["--timeout", "60", "--max-wait", "60"], "retry_client: interrupted"),
        (PMTU, ["--timeout", "60"], "pmtu: interrupted, no answer from"),
    ],
)
def test_ctrl_c_while_a_client_waits_is_one_line(listing, args, line):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        port = str(silent.getsockname()[1])
        where = ["127.0.0.1", "--port", port] if listing == PMTU else ["--port", port]
        # Ready at its first line; then SIGINT, while it waits for a reply.
        with running(f"chapter02/{listing}", *where, *args, port=r"(\d+)") as client:
            silent.settimeout(10)
            silent.recv(65535)  # its request has been sent: it is waiting now
    assert client.returncode == 1
    assert client.stderr.startswith(line)
    assert client.stderr.count("\n") == 1
    assert "Traceback" not in client.stderr
