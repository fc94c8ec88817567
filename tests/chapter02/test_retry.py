"""retry_client.py: exponential backoff, a cap, request IDs, connect()."""

from __future__ import annotations

import itertools
import re
import socket
import struct
import sys
import time

import pytest

from listings.chapter02.retry_client import schedule
from tests.chapter02.servers import running
from tests.conftest import run_listing

SERVER = "chapter02/whoami_server.py"
CLIENT = "chapter02/retry_client.py"
REQUEST = re.compile(rb"#[0-9a-f]{8} hello")


def test_schedule_doubles_up_to_the_cap():
    assert schedule(0.5, 4.0, 6) == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    assert schedule(0.25, 10.0, 4) == [0.25, 0.5, 1.0, 2.0]
    assert schedule(1.0, 1.0, 3) == [1.0, 1.0, 1.0]
    assert schedule(0.5, 4.0, 1) == [0.5]


def test_the_defaults_wait_eleven_and_a_half_seconds_in_five_tries():
    assert sum(schedule(0.5, 4.0, 5)) == 11.5


def test_gives_up_after_the_last_try_with_growing_waits_between_tries():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        port = silent.getsockname()[1]
        args = ["--port", str(port), "--timeout", "0.05", "--max-wait", "0.2"]
        result = run_listing(CLIENT, *args, "--tries", "5")
        silent.settimeout(0)
        requests = []
        while True:
            try:
                requests.append(silent.recvfrom(100))
            except BlockingIOError:
                break
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "try 1: sent 15 bytes, waiting 0.05 s",
        "try 2: sent 15 bytes, waiting 0.1 s",
        "try 3: sent 15 bytes, waiting 0.2 s",
        "try 4: sent 15 bytes, waiting 0.2 s",
        "try 5: sent 15 bytes, waiting 0.2 s",
    ]
    assert result.stderr == (
        f"retry_client: no reply from 127.0.0.1 port {port} after 5 tries (0.75 s)\n"
    )
    # Five copies of one request, from one port: the same ID every time.
    assert len(requests) == 5
    assert len({data for data, _ in requests}) == 1
    assert REQUEST.fullmatch(requests[0][0])
    assert len({sender for _, sender in requests}) == 1


SO_TIMESTAMP = 29  # Linux (<asm-generic/socket.h>); Python lacks the name


@pytest.mark.skipif(sys.platform != "linux", reason="SO_TIMESTAMP is Linux's")
def test_the_waits_really_grow():
    # The kernel stamps each request as it arrives, so a busy test process
    # reading late cannot shorten a gap. Only lower bounds: a busy client may
    # be late, never early.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMP, 1)
        silent.bind(("127.0.0.1", 0))
        port = silent.getsockname()[1]
        args = ["--port", str(port), "--timeout", "0.1", "--tries", "4"]
        result = run_listing(CLIENT, *args, "--max-wait", "0.3")
        silent.settimeout(0)
        stamps = []
        for _ in range(4):
            _data, ancillary, _flags, _sender = silent.recvmsg(100, 64)
            [(level, kind, stamp)] = ancillary
            assert (level, kind) == (socket.SOL_SOCKET, SO_TIMESTAMP)
            seconds, micros = struct.unpack("@ll", stamp[:16])
            stamps.append(seconds + micros / 1e6)
    assert result.returncode == 1
    gaps = [b - a for a, b in itertools.pairwise(stamps)]
    assert gaps[0] >= 0.099 and gaps[1] >= 0.199 and gaps[2] >= 0.299, gaps


def test_lost_requests_are_sent_again_until_one_is_answered():
    # The server drops the first request and answers the second.
    with running(SERVER, "--port", "0", "--drop", "1") as server:
        result = run_listing(CLIENT, "--port", str(server.port), "--timeout", "1")
    assert (result.returncode, result.stderr) == (0, "")
    lines = result.stdout.splitlines()
    assert lines[:2] == [
        "try 1: sent 15 bytes, waiting 1 s",
        "try 2: sent 15 bytes, waiting 2 s",
    ]
    assert re.fullmatch(
        rf"reply from 127\.0\.0\.1 port {server.port}: "
        r"15 bytes from 127\.0\.0\.1 port \d+",
        lines[2],
    )
    assert len(lines) == 3
    # The first request was ignored without a word; the second was answered.
    assert len(server.lines) == 3
    assert re.fullmatch(r"15 bytes from .*: b'#[0-9a-f]{8} hello'", server.lines[1])
    assert server.lines[2] == "stopped (datagrams received: 2, answered: 1)"


def test_a_reply_with_another_id_is_ignored():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as fake:
        fake.bind(("127.0.0.1", 0))
        fake.settimeout(5)
        port = fake.getsockname()[1]
        args = ["--port", str(port), "--timeout", "4"]
        with running(CLIENT, *args, port=r"(\d+) bytes") as client:
            request, sender = fake.recvfrom(100)
            fake.sendto(b"#00000000 a guess", sender)
            fake.sendto(request.split()[0] + b" the answer", sender)
            client.process.wait(timeout=10)
    assert client.returncode == 0, client.stderr
    assert client.lines == [
        "try 1: sent 15 bytes, waiting 4 s",
        "  ignored 17 bytes: not an answer to this request",
        f"reply from 127.0.0.1 port {port}: the answer",
    ]


def test_a_connected_socket_never_sees_the_impostor():
    with (
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as real,
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as impostor,
    ):
        real.bind(("127.0.0.1", 0))
        real.settimeout(5)
        port = real.getsockname()[1]
        with running(
            CLIENT, "--port", str(port), "--timeout", "2", port=r"(\d+) bytes"
        ) as client:
            request, sender = real.recvfrom(100)
            tag = request.split()[0]
            impostor.sendto(tag + b" believe me", sender)  # even the right ID
            time.sleep(0.2)  # let the kernel deliver it, or rather drop it
            real.sendto(tag + b" the truth", sender)
            client.process.wait(timeout=10)
    assert client.returncode == 0, client.stderr
    assert client.lines == [
        "try 1: sent 15 bytes, waiting 2 s",
        f"reply from 127.0.0.1 port {port}: the truth",
    ]


def test_connect_hears_that_nothing_listens():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as gone:
        gone.bind(("127.0.0.1", 0))
        port = gone.getsockname()[1]
    result = run_listing(CLIENT, "--port", str(port))
    assert (result.returncode, result.stdout) == (
        1,
        "try 1: sent 15 bytes, waiting 0.5 s\n",
    )
    assert result.stderr == (
        f"retry_client: nothing listens at 127.0.0.1 port {port} (refused)\n"
    )


def test_one_try_is_one_try():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        port = silent.getsockname()[1]
        result = run_listing(
            CLIENT, "--port", str(port), "--timeout", "0.05", "--tries", "1"
        )
    assert result.stderr == (
        f"retry_client: no reply from 127.0.0.1 port {port} after 1 try (0.05 s)\n"
    )


def test_failures_are_one_line():
    unknown = run_listing(CLIENT, "--host", "nowhere.invalid")
    assert (unknown.returncode, unknown.stdout) == (1, "")
    assert unknown.stderr == (
        "retry_client: cannot resolve nowhere.invalid: Name or service not known\n"
    )
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as holder:
        holder.bind(("0.0.0.0", 0))
        taken = holder.getsockname()[1]
        busy = run_listing(CLIENT, "--source-port", str(taken))
    assert (busy.returncode, busy.stdout) == (1, "")
    assert busy.stderr == (
        "retry_client: cannot talk to 127.0.0.1 port 4242: Address already in use\n"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--tries", "0"], "--tries must be 1-100"),
        (["--timeout", "5"], "need 0 < --timeout <= --max-wait <= 3600 seconds"),
        (["--port", "70000"], "ports must be 1-65535 (--source-port may be 0)"),
        (["--id", "a b"], "--id must be ASCII letters and digits"),
    ],
)
def test_bad_options_are_usage_errors(args, message):
    result = run_listing(CLIENT, *args)
    assert result.returncode == 2
    assert result.stderr.endswith(f"retry_client.py: error: {message}\n")


def test_a_fixed_id_is_the_one_sent():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as fake:
        fake.bind(("127.0.0.1", 0))
        fake.settimeout(30)
        port = fake.getsockname()[1]
        args = ["--port", str(port), "--id", "5eed1d00", "--timeout", "4"]
        with running(CLIENT, *args, "hi", port=r"(\d+) bytes") as client:
            request, sender = fake.recvfrom(100)
            fake.sendto(b"#5eed1d00 fine", sender)
            client.process.wait(timeout=30)
    assert request == b"#5eed1d00 hi"
    assert client.lines[-1] == f"reply from 127.0.0.1 port {port}: fine"


def test_a_host_name_is_reported_as_the_address_that_answered():
    # As whoami_client.py does: the reply names the address it came from
    # (the connected peer), not the name the user typed.
    address = socket.getaddrinfo("localhost", 0, type=socket.SOCK_DGRAM)[0][4][0]
    with running(SERVER, "--host", address, "--port", "0") as server:
        result = run_listing(CLIENT, "--host", "localhost", "--port", str(server.port))
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.splitlines()[1].startswith(
        f"reply from {address} port {server.port}: 15 bytes from {address} port "
    )
