"""broadcast.py: SO_BROADCAST, and a listener bound to every address."""

from __future__ import annotations

import socket

from tests.chapter02.servers import running
from tests.conftest import run_listing

LISTING = "chapter02/broadcast.py"
# Linux's loopback has a broadcast address of its own (127.0.0.0/8's last),
# so the broadcast rules can be watched without leaving this machine.
LOOPBACK_BROADCAST = "127.255.255.255"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_broadcast_reaches_a_listener_on_every_address():
    port = free_port()
    to = ["--port", str(port), "--to", LOOPBACK_BROADCAST]
    with running(LISTING, "listen", "--port", str(port)) as listener:
        sent = run_listing(LISTING, "send", *to)
        first = listener.next_line()
        again = run_listing(LISTING, "send", "hi", *to)
        second = listener.next_line()
    assert (sent.returncode, sent.stderr) == (0, "")
    assert sent.stdout == f"sent 13 bytes to {LOOPBACK_BROADCAST} port {port}\n"
    assert again.stdout == f"sent 2 bytes to {LOOPBACK_BROADCAST} port {port}\n"
    assert listener.first_line == f"listening on port {port} (every IPv4 address)"
    assert first.startswith("13 bytes from 127.0.0.1 port ")
    assert first.endswith(": b'anyone there?'")
    assert second.startswith("2 bytes from 127.0.0.1 port ")
    assert listener.lines[1:] == [first, second, "stopped (datagrams received: 2)"]
    assert (listener.returncode, listener.stderr) == (0, "")


def test_without_so_broadcast_the_kernel_refuses():
    port = free_port()
    result = run_listing(
        LISTING, "send", "--port", str(port), "--to", LOOPBACK_BROADCAST,
        "--without-so-broadcast",
    )  # fmt: skip
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (
        f"broadcast: cannot send to {LOOPBACK_BROADCAST} port {port}: "
        "Permission denied\n"
    )


def test_an_ordinary_address_needs_no_so_broadcast():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as target:
        target.bind(("127.0.0.1", 0))
        port = target.getsockname()[1]
        result = run_listing(
            LISTING, "send", "x", "--port", str(port), "--to", "127.0.0.1",
            "--without-so-broadcast",
        )  # fmt: skip
        assert target.recvfrom(10)[0] == b"x"
    assert result.returncode == 0


def test_failures_are_one_line():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as holder:
        holder.bind(("", 0))
        taken = holder.getsockname()[1]
        busy = run_listing(LISTING, "listen", "--port", str(taken))
    assert (busy.returncode, busy.stderr) == (
        1,
        f"broadcast: cannot listen on port {taken}: Address already in use\n",
    )
    unknown = run_listing(LISTING, "send", "--to", "nowhere.invalid")
    assert unknown.stderr == (
        "broadcast: cannot resolve nowhere.invalid: Name or service not known\n"
    )
    assert unknown.returncode == 1
    bad = run_listing(LISTING, "listen", "--port", "0")
    assert bad.returncode == 2
    assert bad.stderr.endswith("error: --port must be 1-65535\n")
