"""impostor.py: a forged reply, taken by the trusting client only."""

from __future__ import annotations

import socket

from tests.chapter02.servers import running
from tests.conftest import run_listing

SERVER = "chapter02/whoami_server.py"
TRUSTING = "chapter02/whoami_client.py"
CAREFUL = "chapter02/retry_client.py"
IMPOSTOR = "chapter02/impostor.py"
LIE = "hello 5 bytes from 192.0.2.66 port 6666"


def test_the_impostor_sends_its_lie_and_says_so():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as victim:
        victim.bind(("127.0.0.1", 0))
        port = victim.getsockname()[1]
        result = run_listing(IMPOSTOR, str(port), "--message", "boo")
        data, sender = victim.recvfrom(100)
    assert data == b"boo"
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == (
        f"sent 3 bytes to 127.0.0.1 port {port} from 0.0.0.0 port {sender[1]}\n"
    )


def test_every_keeps_sending_until_ctrl_c():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as victim:
        victim.bind(("127.0.0.1", 0))
        victim.settimeout(30)
        port = victim.getsockname()[1]
        args = [str(port), "--every", "0.05", "--message", "again"]
        with running(IMPOSTOR, *args, port=r"from \S+ port (\d+)") as liar:
            got = [victim.recvfrom(100) for _ in range(3)]
    assert [data for data, _ in got] == [b"again"] * 3
    assert {sender[1] for _, sender in got} == {liar.port}
    assert liar.lines == [
        f"sent 5 bytes to 127.0.0.1 port {port} from 0.0.0.0 port {liar.port}",
        "stopped",
    ]
    assert (liar.returncode, liar.stderr) == (0, "")


def test_bad_options_are_usage_errors():
    for args, message in (
        (["0"], "the port must be 1-65535"),
        (["9", "--every", "0"], "--every must be above 0 and at most 3600 seconds"),
    ):
        result = run_listing(IMPOSTOR, *args)
        assert result.returncode == 2
        assert result.stderr.endswith(f"error: {message}\n")
    unknown = run_listing(IMPOSTOR, "9", "--host", "nowhere.invalid")
    assert (unknown.returncode, unknown.stderr) == (
        1,
        "impostor: cannot resolve nowhere.invalid: Name or service not known\n",
    )


def test_the_trusting_client_believes_the_impostor():
    # The server drops the one request, so only the impostor ever answers.
    with running(SERVER, "--port", "0", "--drop", "1") as server:
        args = ["--port", str(server.port), "--timeout", "10"]
        with running(TRUSTING, *args, port=r"from \S+ port (\d+)") as client:
            lie = run_listing(IMPOSTOR, str(client.port))
            client.process.wait(timeout=15)
    assert lie.returncode == 0, lie.stderr
    fake = int(lie.stdout.rsplit(" ", 1)[1])
    assert client.returncode == 0
    assert client.lines[-1] == f"reply from 127.0.0.1 port {fake}: {LIE}"


def test_the_careful_client_never_hears_the_impostor():
    # The server drops the first request and answers the second; the
    # impostor speaks while the client waits after its first try.
    with running(SERVER, "--port", "0", "--drop", "1") as server:
        args = ["--port", str(server.port), "--timeout", "1"]
        with running(CAREFUL, *args, port=r"(\d+) bytes") as client:
            mine = client_port(client.process.pid, server.port)
            lie = run_listing(IMPOSTOR, str(mine))
            client.process.wait(timeout=15)
    assert lie.returncode == 0, lie.stderr
    assert client.returncode == 0, client.stderr
    assert client.lines[:2] == [
        "try 1: sent 15 bytes, waiting 1 s",
        "try 2: sent 15 bytes, waiting 2 s",
    ]
    assert client.lines[2] == (
        f"reply from 127.0.0.1 port {server.port}: 15 bytes from 127.0.0.1 port {mine}"
    )
    assert len(client.lines) == 3


def client_port(pid: int, server_port: int) -> int:
    """The local port of the UDP socket connected to SERVER_PORT, as the
    kernel lists it in /proc/net/udp (what `ss -uan` reads). The client
    connect()ed before its first line, so the socket is there."""
    with open("/proc/net/udp") as table:
        for line in table.readlines()[1:]:
            local, remote = line.split()[1:3]
            if int(remote.split(":")[1], 16) == server_port:
                return int(local.split(":")[1], 16)
    raise AssertionError(f"no UDP socket connected to port {server_port}")
