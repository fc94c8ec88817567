"""whoami_server.py and whoami_client.py: the first UDP server and client."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys

import pytest

from listings.chapter02 import whoami_server
from tests.chapter02.servers import running
from tests.conftest import LISTINGS, ROOT, listing_env, run_listing

SERVER = "chapter02/whoami_server.py"
CLIENT = "chapter02/whoami_client.py"
EPHEMERAL = range(32768, 61000)  # Linux's default net.ipv4.ip_local_port_range


def ask(port: int, request: bytes, host: str = "127.0.0.1") -> tuple[bytes, int]:
    """Send REQUEST from a socket of our own; return the reply and our port."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.settimeout(5)
        sock.sendto(request, (host, port))
        reply, sender = sock.recvfrom(65535)
        assert sender[:2] == (host, port)
        return reply, sock.getsockname()[1]


def unanswered(port: int, request: bytes, wait: float = 0.3) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(wait)
        sock.sendto(request, ("127.0.0.1", port))
        try:
            sock.recvfrom(65535)
        except TimeoutError:
            return True
    return False


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- The server ---------------------------------------------------------------


def test_server_answers_with_tag_size_and_sender_then_stops_on_ctrl_c():
    with running(SERVER, "--port", "0") as server:
        reply, mine = ask(server.port, b"hello world")
        empty, mine2 = ask(server.port, b"")
    assert reply == b"hello 11 bytes from 127.0.0.1 port %d" % mine
    assert empty == b"- 0 bytes from 127.0.0.1 port %d" % mine2
    assert server.lines == [
        f"listening on 127.0.0.1 port {server.port} (UDP)",
        f"11 bytes from 127.0.0.1 port {mine}: b'hello world'",
        f"0 bytes from 127.0.0.1 port {mine2}: b''",
        "stopped (datagrams received: 2, answered: 2)",
    ]
    assert (server.returncode, server.stderr) == (0, "")


def test_server_survives_binary_and_the_largest_datagram():
    with running(SERVER, "--port", "0") as server:
        junk, mine = ask(server.port, bytes(range(256)) * 4)
        big, mine2 = ask(server.port, b"x" * 65507)
        after, _ = ask(server.port, b"still there?")
    assert junk.endswith(b" 1024 bytes from 127.0.0.1 port %d" % mine)
    assert big == b"x" * 32 + b" 65507 bytes from 127.0.0.1 port %d" % mine2
    assert after.startswith(b"still 12 bytes")
    assert server.lines[-1] == "stopped (datagrams received: 3, answered: 3)"
    assert server.stderr == ""


def test_reply_to_cuts_the_tag_at_32_bytes():
    assert whoami_server.reply_to(b"a" * 40 + b" b", ("::1", 5)) == (
        b"a" * 32 + b" 42 bytes from ::1 port 5"
    )
    assert whoami_server.reply_to(b" \t\n", ("127.0.0.1", 9)) == (
        b"- 3 bytes from 127.0.0.1 port 9"
    )


def test_server_on_ipv6_loopback():
    with running(SERVER, "--host", "::1", "--port", "0") as server:
        reply, mine = ask(server.port, b"six", host="::1")
    assert server.first_line == f"listening on ::1 port {server.port} (UDP)"
    assert reply == b"six 3 bytes from ::1 port %d" % mine


def test_drop_ignores_exactly_the_first_requests():
    answered = []
    with (
        running(SERVER, "--port", "0", "--drop", "3") as server,
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock,
    ):
        for i in range(8):  # one socket to one on loopback: in order
            sock.sendto(b"n%d" % i, ("127.0.0.1", server.port))
        sock.settimeout(10)
        while len(answered) < 5:
            answered.append(int(sock.recv(100).split()[0][1:]))
        assert not unanswered(server.port, b"late", wait=10)  # the rest: answered
    assert answered == [3, 4, 5, 6, 7]
    # An ignored request leaves no line, as a lost one would: only the count.
    shown = [line.split(": ", 1)[1] for line in server.lines[1:-1]]
    assert shown == [f"b'n{i}'" for i in answered] + ["b'late'"]
    assert server.lines[-1] == "stopped (datagrams received: 9, answered: 6)"


def test_drop_of_one_ignores_the_first_request_only():
    with running(SERVER, "--port", "0", "--drop", "1") as server:
        assert unanswered(server.port, b"anyone?")
        assert not unanswered(server.port, b"again?", wait=10)
    assert server.lines[-1] == "stopped (datagrams received: 2, answered: 1)"


def test_a_port_in_use_is_one_line():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as holder:
        holder.bind(("127.0.0.1", 0))
        port = holder.getsockname()[1]
        result = run_listing(SERVER, "--port", str(port))
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (
        f"whoami_server: cannot listen on 127.0.0.1 port {port}: "
        "Address already in use\n"
    )


def test_a_privileged_port_is_refused_to_a_normal_user():
    # Root may bind any port because it holds CAP_NET_BIND_SERVICE; setpriv
    # runs the listing without that capability, as a reader's own account.
    with open("/proc/sys/net/ipv4/ip_unprivileged_port_start") as f:
        if int(f.read()) <= 1000:
            pytest.skip("this machine lets anyone bind ports below 1024")
    prefix = ["setpriv", "--bounding-set", "-net_bind_service"]
    if os.geteuid() != 0:
        prefix = []
    elif not shutil.which("setpriv"):
        pytest.skip("setpriv (util-linux) is needed to drop root's capability")
    result = subprocess.run(
        [*prefix, sys.executable, str(LISTINGS / SERVER), "--port", "1000"],
        capture_output=True,
        text=True,
        env=listing_env(),
        cwd=ROOT,
        timeout=30,
    )
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (
        "whoami_server: cannot listen on 127.0.0.1 port 1000: Permission denied\n"
    )


def test_an_unknown_host_is_one_line():
    result = run_listing(SERVER, "--host", "nowhere.invalid")
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (
        "whoami_server: cannot resolve nowhere.invalid: Name or service not known\n"
    )


@pytest.mark.parametrize("args", [["--port", "65536"], ["--drop", "-1"]])
def test_bad_options_are_usage_errors(args):
    result = run_listing(SERVER, *args)
    assert result.returncode == 2
    assert result.stderr.endswith(
        "whoami_server.py: error: --port must be 0-65535 and --drop at least 0\n"
    )


# -- The client ---------------------------------------------------------------


def test_client_shows_its_ephemeral_port_and_the_reply():
    with running(SERVER, "--port", "0") as server:
        result = run_listing(CLIENT, "--port", str(server.port))
    assert (result.returncode, result.stderr) == (0, "")
    sent, reply = result.stdout.splitlines()
    prefix = f"sent 5 bytes to 127.0.0.1 port {server.port} from 0.0.0.0 port "
    assert sent.startswith(prefix)
    mine = int(sent.removeprefix(prefix))
    assert mine in EPHEMERAL
    assert reply == (
        f"reply from 127.0.0.1 port {server.port}: "
        f"hello 5 bytes from 127.0.0.1 port {mine}"
    )
    assert server.lines[1] == f"5 bytes from 127.0.0.1 port {mine}: b'hello'"


def test_client_over_ipv6_and_from_a_chosen_port():
    source = free_port()
    with running(SERVER, "--host", "::1", "--port", "0") as server:
        result = run_listing(
            CLIENT, "hi", "--host", "::1", "--port", str(server.port),
            "--source-port", str(source),
        )  # fmt: skip
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.splitlines() == [
        f"sent 2 bytes to ::1 port {server.port} from :: port {source}",
        f"reply from ::1 port {server.port}: hi 2 bytes from ::1 port {source}",
    ]


def test_client_pads_to_the_largest_datagram_and_no_further():
    with running(SERVER, "--port", "0") as server:
        port = str(server.port)
        fits = run_listing(CLIENT, "big", "--size", "65507", "--port", port)
        too_big = run_listing(CLIENT, "big", "--size", "65508", "--port", port)
    assert fits.returncode == 0, fits.stderr
    assert fits.stdout.splitlines()[1].startswith(
        f"reply from 127.0.0.1 port {server.port}: big 65507 bytes from"
    )
    assert (too_big.returncode, too_big.stdout) == (1, "")
    assert too_big.stderr == (
        f"whoami_client: cannot send to 127.0.0.1 port {port}: Message too long\n"
    )


def test_client_sends_exactly_its_size_and_refuses_one_below_the_message():
    with running(SERVER, "--port", "0") as server:
        port = str(server.port)
        exact = run_listing(CLIENT, "hello", "--size", "5", "--port", port)
        short = run_listing(CLIENT, "hello", "--size", "4", "--port", port)
    assert exact.returncode == 0, exact.stderr
    assert exact.stdout.startswith(f"sent 5 bytes to 127.0.0.1 port {port} ")
    assert (short.returncode, short.stdout) == (2, "")
    assert short.stderr.endswith(
        "whoami_client.py: error: --size 4 is less than the message's 5 bytes\n"
    )
    assert server.lines[-1] == "stopped (datagrams received: 1, answered: 1)"


def test_client_gives_up_after_its_timeout():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        port = silent.getsockname()[1]
        result = run_listing(CLIENT, "--port", str(port), "--timeout", "0.2")
        request, _ = silent.recvfrom(100)
    assert request == b"hello"
    assert result.returncode == 1
    assert result.stderr == (
        f"whoami_client: no reply from 127.0.0.1 port {port} within 0.2 s\n"
    )


def test_client_failures_are_one_line():
    unknown = run_listing(CLIENT, "--host", "nowhere.invalid")
    assert (unknown.returncode, unknown.stdout) == (1, "")
    assert unknown.stderr == (
        "whoami_client: cannot resolve nowhere.invalid: Name or service not known\n"
    )
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as holder:
        holder.bind(("0.0.0.0", 0))
        taken = holder.getsockname()[1]
        busy = run_listing(CLIENT, "--source-port", str(taken))
    assert (busy.returncode, busy.stdout) == (1, "")
    assert busy.stderr == (
        f"whoami_client: cannot use port {taken}: Address already in use\n"
    )
    bad = run_listing(CLIENT, "--port", "0")
    assert bad.returncode == 2
    assert "error: ports must be 1-65535 (--source-port may be 0)" in bad.stderr


def test_the_trusting_client_takes_a_reply_from_anyone():
    # Nothing answers at the server's address; a third socket answers instead.
    with (
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent,
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as impostor,
    ):
        silent.bind(("127.0.0.1", 0))
        impostor.bind(("127.0.0.1", 0))
        port, fake = silent.getsockname()[1], impostor.getsockname()[1]
        with running(
            CLIENT, "--port", str(port), "--timeout", "5", port=r"from \S+ port (\d+)"
        ) as client:
            impostor.sendto(b"trust me", ("127.0.0.1", client.port))
            client.process.wait(timeout=10)
    assert client.returncode == 0, client.stderr
    assert client.lines[-1] == f"reply from 127.0.0.1 port {fake}: trust me"


def test_help_names_the_defaults():
    for name in (SERVER, CLIENT):
        result = run_listing(name, "--help")
        assert result.returncode == 0
        assert "(default: 4242)" in result.stdout
    assert ROOT.exists()
