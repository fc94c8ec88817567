"""pmtu.py: Don't Fragment, EMSGSIZE, and the MTU the kernel reports."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from listings.chapter02 import pmtu
from tests.chapter02.servers import running
from tests.conftest import listing_env, run_listing
from tools.paths import ROOT

SERVER = "chapter02/whoami_server.py"
LISTING = "chapter02/pmtu.py"
linux = pytest.mark.skipif(sys.platform != "linux", reason="Linux's socket options")


def test_the_constants_are_linuxs():
    # <linux/in.h>: IP_MTU_DISCOVER 10, IP_PMTUDISC_DONT 0, IP_PMTUDISC_DO 2,
    # IP_MTU 14; Python's own names, where it has them, must agree.
    expected = {
        "IP_MTU_DISCOVER": 10,
        "IP_PMTUDISC_DONT": 0,
        "IP_PMTUDISC_DO": 2,
        "IP_MTU": 14,
    }
    for name, value in expected.items():
        assert getattr(pmtu, name) == value
        assert getattr(socket, name, value) == value
    assert (pmtu.OVERHEAD, pmtu.LARGEST) == (28, 65507)


@linux
@pytest.mark.parametrize(("fragment", "rule"), [(False, 2), (True, 0)])
def test_the_option_reads_back_as_set(fragment, rule):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        chosen = pmtu.IP_PMTUDISC_DONT if fragment else pmtu.IP_PMTUDISC_DO
        sock.setsockopt(socket.IPPROTO_IP, pmtu.IP_MTU_DISCOVER, chosen)
        assert sock.getsockopt(socket.IPPROTO_IP, pmtu.IP_MTU_DISCOVER) == rule
        sock.connect(("127.0.0.1", 9))
        assert pmtu.path_mtu(sock) == 65535  # IP_MTU stops at 65535 (lo says 65536)


@linux
def test_on_loopback_the_largest_datagram_fits():
    with running(SERVER, "--port", "0") as server:
        result = run_listing(LISTING, "--port", str(server.port))
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.splitlines() == [
        "path MTU to 127.0.0.1, as this host knows it: 65535",
        "65507 bytes: answered (path MTU 65535)",
    ]
    assert server.lines[1].startswith("65507 bytes from 127.0.0.1 port ")


def in_namespace(mtu: int, *runs: str) -> list[tuple[int, str, str]]:
    """Run pmtu.py once per RUN in a network namespace of its own whose
    loopback has MTU *mtu*; return (status, stdout, stderr) for each."""
    if not shutil.which("unshare") or not shutil.which("ip"):
        pytest.skip("needs unshare and ip")
    done = subprocess.run(
        [
            "unshare",
            "--net",
            sys.executable,
            str(Path(__file__).with_name("in_own_netns.py")),
            str(mtu),
            *runs,
        ],
        capture_output=True,
        text=True,
        env=listing_env(),
        cwd=ROOT,
        timeout=300,
    )
    if done.returncode and "unshare failed" in done.stderr:
        pytest.skip(f"cannot make a network namespace: {done.stderr.strip()}")
    assert done.returncode == 0, done.stderr
    return [tuple(r) for r in json.loads(done.stdout)]


@linux
@pytest.mark.netns
def test_a_1400_byte_link_takes_1372_bytes_with_df_and_more_without():
    search, fits, too_big, fragmented = in_namespace(
        1400, "", "--size 1372", "--size 1373", "--size 3000 --fragment"
    )
    first = "path MTU to 127.0.0.1, as this host knows it: 1400\n"
    local = "too long to leave this host: the path MTU is 1400\n"
    answered = "answered (path MTU 1400)\n"
    assert search == (0, f"{first}65507 bytes: {local}1372 bytes: {answered}", "")
    assert fits == (0, f"{first}1372 bytes: {answered}", "")
    assert too_big == (1, f"{first}1373 bytes: {local}", "")
    assert fragmented == (0, f"{first}3000 bytes: {answered}", "")


def test_no_server_is_one_line():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as gone:
        gone.bind(("127.0.0.1", 0))
        port = gone.getsockname()[1]
    result = run_listing(LISTING, "--port", str(port))
    assert result.returncode == 1
    assert result.stderr == (
        f"pmtu: 65507 bytes to 127.0.0.1 port {port}: Connection refused\n"
    )


def test_silence_is_one_line():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        port = silent.getsockname()[1]
        result = run_listing(LISTING, "--port", str(port), "--timeout", "0.2")
    assert result.returncode == 1
    assert (
        result.stderr == f"pmtu: no answer from 127.0.0.1 port {port} to 65507 bytes\n"
    )


def test_other_failures_are_one_line():
    unknown = run_listing(LISTING, "nowhere.invalid")
    assert (unknown.returncode, unknown.stdout) == (1, "")
    assert unknown.stderr == (
        "pmtu: cannot resolve nowhere.invalid (IPv4 only): Name or service not known\n"
    )
    ipv6 = run_listing(LISTING, "::1")
    assert ipv6.returncode == 1
    assert ipv6.stderr.startswith("pmtu: cannot resolve ::1 (IPv4 only): ")
    bad = run_listing(LISTING, "--size", "65508")
    assert bad.returncode == 2
    assert bad.stderr.endswith("error: --port must be 1-65535 and --size 0-65507\n")


@linux
@pytest.mark.parametrize("size", [0, 1, 3, 4, 5, 20])
def test_a_size_is_sent_exactly(size):
    # The payload is b"pmtu" padded, or cut, to the size asked: --size 0 sends
    # an empty datagram, and the server says it got 0 bytes.
    with running(SERVER, "--port", "0") as server:
        result = run_listing(LISTING, "--port", str(server.port), "--size", str(size))
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.splitlines()[1] == f"{size} bytes: answered (path MTU 65535)"
    assert server.lines[1].startswith(f"{size} bytes from 127.0.0.1 port ")
    assert server.lines[1].endswith(": " + repr(b"pmtu".ljust(size)[:size]))
