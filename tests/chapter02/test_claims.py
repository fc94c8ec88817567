"""Claims of chapter 2's text that its doctests cannot check by themselves:
the checksum arithmetic against datagrams that real kernels sent, and who
may share a port under SO_REUSEADDR and SO_REUSEPORT."""

from __future__ import annotations

import os
import shutil
import socket
import struct
import subprocess
import sys
from collections.abc import Callable

import dpkt
import pytest

from tools.paths import ROOT

CHAPTER = ROOT / "book" / "chapter02.md"
TRANSCRIPTS = ROOT / "book" / "transcripts" / "chapter02"


def chapter_function(name: str) -> Callable[[bytes], int]:
    """The function NAME as the chapter's doctest defines it (its `>>> def`
    line and the `...` lines after it), so that the test runs the very code
    the reader reads."""
    lines = CHAPTER.read_text(encoding="utf-8").splitlines()
    start = lines.index(
        next(line for line in lines if line.startswith(f">>> def {name}("))
    )
    source = [lines[start][4:]]
    for line in lines[start + 1 :]:
        if not line.startswith("..."):
            break
        source.append(line[4:])
    namespace: dict[str, object] = {"struct": struct}
    exec("\n".join(source), namespace)  # the chapter's own code
    function = namespace[name]
    assert callable(function)
    return function  # type: ignore[return-value]


def udp_datagrams(pcap: str) -> list[tuple[bytes, bytes, bytes]]:
    """(source address, destination address, UDP datagram) of each whole
    UDP datagram in a capture of the playground's Ethernet."""
    found = []
    with open(TRANSCRIPTS / pcap, "rb") as file:
        for _stamp, frame in dpkt.pcap.Reader(file):
            packet = dpkt.ethernet.Ethernet(frame).data
            if isinstance(packet, dpkt.ip.IP) and isinstance(packet.data, dpkt.udp.UDP):
                found.append((packet.src, packet.dst, bytes(packet.data)))
    return found


@pytest.mark.parametrize(
    "pcap",
    [
        "whoami-nat.h1-eth0.pcap",
        "whoami-nat.modemA-wan.pcap",
        "retry-loss.www-eth0.pcap",
    ],
)
def test_the_chapters_checksum_is_the_kernels(pcap):
    ones_complement_sum = chapter_function("ones_complement_sum")
    datagrams = udp_datagrams(pcap)
    assert len(datagrams) >= 2
    for source, destination, datagram in datagrams:
        pseudo = source + destination + struct.pack("!BBH", 0, 17, len(datagram))
        written = struct.unpack("!H", datagram[6:8])[0]
        zeroed = datagram[:6] + b"\0\0" + datagram[8:]
        computed = 0xFFFF - ones_complement_sum(pseudo + zeroed) or 0xFFFF
        assert computed == written
        assert ones_complement_sum(pseudo + datagram) == 0xFFFF  # the receiver's check


def as_nobody(code: str) -> list[str]:
    """A command that runs CODE in Python as the user nobody."""
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        pytest.skip("needs root and setpriv (util-linux) to run as another user")
    nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    # The code needs only the standard library, so any Python 3 that nobody
    # may run will do: this one, unless it lives where nobody cannot reach
    # (pyenv's under /root), else the system's.
    for python in (sys.executable, "/usr/bin/python3"):
        probe = [*nobody, python, "-c", "pass"]
        if subprocess.run(probe, capture_output=True, env=ENV).returncode == 0:
            return [*nobody, python, "-c", code]
    pytest.skip("no Python here that the user nobody may run")


ENV = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}


SHARER = """
import socket, sys
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.setsockopt(socket.SOL_SOCKET, socket.{option}, 1)
try:
    sock.bind(("127.0.0.1", {port}))
except OSError as error:
    sys.exit(error.strerror)
print("bound", flush=True)
sock.settimeout(10)
print(sock.recv(100).decode(), flush=True)
"""


@pytest.mark.skipif(sys.platform != "linux", reason="Linux's rules for sharing a port")
def test_with_so_reuseaddr_another_user_takes_over_the_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", 0))
        server.settimeout(0.5)
        port = server.getsockname()[1]
        command = as_nobody(SHARER.format(option="SO_REUSEADDR", port=port))
        with subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV
        ) as thief:
            assert thief.stdout is not None
            assert thief.stdout.readline() == "bound\n", thief.stderr
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
                client.sendto(b"for the server", ("127.0.0.1", port))
            stolen = thief.stdout.readline()
            assert thief.wait(timeout=10) == 0
        with pytest.raises(TimeoutError):
            server.recv(100)  # the first bound heard nothing
    assert stolen == "for the server\n"


@pytest.mark.skipif(sys.platform != "linux", reason="Linux's rules for sharing a port")
def test_so_reuseport_is_refused_to_another_user():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        server.bind(("127.0.0.1", 0))
        port = server.getsockname()[1]
        command = as_nobody(SHARER.format(option="SO_REUSEPORT", port=port))
        result = subprocess.run(
            command, capture_output=True, text=True, env=ENV, timeout=30
        )
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == "Address already in use\n"


@pytest.mark.skipif(sys.platform != "linux", reason="Linux's /proc/sys")
def test_a_socket_that_asks_for_nothing_gets_rmem_default():
    with open("/proc/sys/net/core/rmem_default") as setting:
        default = int(setting.read())
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF) == default


@pytest.mark.skipif(sys.platform != "linux", reason="Linux's loopback broadcast")
def test_with_so_reuseaddr_every_socket_hears_a_broadcast():
    # 127.255.255.255 is loopback's own broadcast address on Linux, so the
    # rule can be watched without leaving this machine.
    first, second = (socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(2))
    with first, second, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        for sock in first, second:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.settimeout(5)
        first.bind(("", 0))
        port = first.getsockname()[1]
        second.bind(("", port))
        sender.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        sender.sendto(b"everyone", ("127.255.255.255", port))
        assert first.recv(100) == b"everyone"
        assert second.recv(100) == b"everyone"
