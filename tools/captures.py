"""Packet captures: tcpdump in the playground's namespaces, then a pcap turned
into a one-line-per-packet dissection and a ladder (sequence) diagram.

    python -m tools.captures dissect FILE.pcap [--at HOST:IFACE]
    python -m tools.captures ladder FILE.pcap --at HOST:IFACE

The first prints the dissection the book shows; the second the ladder's
mscgen source and its text equivalent. Sessions on the network playground
name *capture points* (``h1:eth0``, ``modemA:wan``); the session runner
starts one :class:`Tcpdump` per point before the session's first command
(:func:`capturing`) and stops them after its last, and :func:`outputs` makes
the files the book shows, for each point ``ID.HOST-IFACE`` plus:

``.pcap``
    the capture as tcpdump wrote it, for readers to open in Wireshark;
``.txt``
    the dissection (:func:`dissect`): what CI compares;
``.msc``, ``.svg``, ``.pdf``, ``.ladder.txt``
    for a point with ``ladder = true``: the diagram's source (compared), the
    drawing for HTML and EPUB and for the PDF edition (mscgen, then
    rsvg-convert), and the same arrows as a numbered list, for readers who
    cannot see the picture.

Only the text files are compared. A pcap changes from run to run in its time
stamps (and TCP's random numbers), so a run rewrites it only together with
the text made from it; the drawings depend on their source alone and are
rewritten when they differ (:func:`changed_files`): a second ``make
transcripts`` writes nothing.

What varies from run to run is made fixed by these named rules (:data:`RULES`),
always all of them, in this order; the dissection's first line names them:

``relative-time``
    times count from the session's first packet (at any point), rounded down
    to whole seconds, or to the session's ``resolution``: a timer (a
    retransmission after 1 s) shows, the microseconds of a fast network do
    not;
``ephemeral-ports``
    ports in Linux's ephemeral range (32768-60999) show as 50001, 50002, ...
    in the order the session's points first saw them, as the transcripts
    show client ports (one numbering per session, so a port that NAT leaves
    alone keeps its number across the points);
``relative-seq``
    TCP sequence and acknowledgement numbers count from each side's initial
    sequence number (the SYN's is 0; without a SYN, the first seen);
``ip-id``
    the IP identification field is shown on fragments only, numbered 1, 2,
    ... in order of appearance (it is what ties fragments together);
``checksums``
    checksums are not shown (with the offloads off they are all correct);
``tcp-options``
    TCP options and windows are shown on SYN segments only, where they are
    negotiated (later windows follow the receiver's buffer tuning), except a
    zero window (``win 0``: the receiver is full), and of a timestamp option
    only its presence (``TS``: its values are clocks); a SACK block on a
    later segment shows as ``sack``.

Captures need root, Linux network namespaces and tcpdump; dissections and
ladder sources need only this module and dpkt, so the tests check the
committed dissections against the committed pcaps on any machine.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import ipaddress
import math
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import dpkt

from playground.net import topology

#: The normalisation rules, by name, in the order they are applied.
RULES: dict[str, str] = {
    "relative-time": "times from the first packet, rounded down (to seconds)",
    "ephemeral-ports": "ports 32768-60999 shown as 50001, 50002, ... in order seen",
    "relative-seq": "TCP sequence and acknowledgement numbers from each side's ISN",
    "ip-id": "IP identification shown on fragments only, numbered 1, 2, ...",
    "checksums": "checksums not shown",
    "tcp-options": "TCP options, windows on SYNs only (and zero windows), TS bare",
}
EPHEMERAL = range(32768, 61000)
DISPLAY_CLIENT_PORT = 50001
#: Bytes of application data shown as text, per packet.
PREVIEW = 20
#: How long a capture waits for tcpdump to start, and for the last packets.
START_TIMEOUT = 10.0
SETTLE = 0.1
STOP_TIMEOUT = 5.0


class CaptureError(Exception):
    """A capture could not be made or read: one line for the reader."""


# -- capture points -------------------------------------------------------


@dataclass(frozen=True)
class Point:
    """Where a capture is taken: an interface on a host of the playground."""

    host: str
    iface: str
    ladder: bool = False

    @property
    def name(self) -> str:
        """The files' suffix: ``h1-eth0``."""
        return f"{self.host}-{self.iface}"

    def __str__(self) -> str:
        return f"{self.host}:{self.iface}"


def interfaces(host: str) -> list[str]:
    """The interfaces of *host* a capture can name (its links and bridges)."""
    found = [b.name for b in topology.BRIDGES if b.host == host]
    found += [
        p.iface for link in topology.LINKS for p in (link.a, link.b) if p.host == host
    ]
    return found


def point(text: str, ladder: bool = False) -> Point:
    """Parse ``HOST:IFACE``; :class:`ValueError` naming what is wrong.

    >>> point('modemA:wan')
    Point(host='modemA', iface='wan', ladder=False)
    >>> point('h1:wlan0')
    Traceback (most recent call last):
      ...
    ValueError: h1 has no interface wlan0 (it has: eth0)
    """
    host, sep, iface = text.partition(":")
    names = [h.name for h in topology.HOSTS]
    if not sep or not host or not iface:
        raise ValueError(f"capture point {text!r}: write it HOST:IFACE (h1:eth0)")
    if host not in names:
        raise ValueError(f"no host {host!r} in the playground ({' '.join(names)})")
    if iface not in interfaces(host):
        raise ValueError(
            f"{host} has no interface {iface} (it has: {', '.join(interfaces(host))})"
        )
    return Point(host, iface, ladder)


@dataclass(frozen=True)
class Spec:
    """A session's ``capture`` table: where, what, and which ladders.

    In a session file::

        capture = { at = ["h1:eth0", "modemA:wan"], filter = "tcp port 80",
                    ladder = "h1:eth0" }

    ``at`` names the capture points (one or a list), ``filter`` is tcpdump's
    capture filter (pcap-filter(7)), which keeps the capture to the
    session's own traffic, and ``ladder`` the points (among ``at``) whose
    capture is also drawn as a ladder diagram. ``resolution`` (seconds: 1,
    the default, 0.1, 0.01 or 0.001) is the step the times are rounded down
    to, for a session whose timers are the point (a retransmission after
    0.2 s): a timer fires a little after its time, never before, so rounding
    down shows its time.
    """

    points: tuple[Point, ...]
    capture_filter: str
    digits: int = 0  # the decimals of the times shown: resolution 1, 0.1, ...

    def files(self, stem: Path) -> list[Path]:
        """Every file the capture makes, for a session whose files start
        with *stem* (``book/transcripts/chapter01/nat-search4``)."""
        found = []
        for p in self.points:
            suffixes = [".pcap", ".txt"]
            if p.ladder:
                suffixes += [".msc", ".svg", ".pdf", ".ladder.txt"]
            found += [stem.with_name(f"{stem.name}.{p.name}{s}") for s in suffixes]
        return found


def spec(value: object) -> Spec:
    """A session file's ``capture`` value, checked; :class:`ValueError`
    saying what is wrong.

    >>> spec({'at': ['h1:eth0', 'modemA:wan'], 'filter': 'tcp', 'ladder': 'h1:eth0'})
    ... # doctest: +NORMALIZE_WHITESPACE
    Spec(points=(Point(host='h1', iface='eth0', ladder=True),
                 Point(host='modemA', iface='wan', ladder=False)),
         capture_filter='tcp', digits=0)
    """
    example = '{ at = ["h1:eth0"], filter = "tcp port 80" }'
    if not isinstance(value, dict) or set(value) - {
        "at",
        "filter",
        "ladder",
        "resolution",
    }:
        raise ValueError(
            f"capture must be a table like {example} (ladder, resolution optional)"
        )
    resolutions = {1: 0, 0.1: 1, 0.01: 2, 0.001: 3}
    resolution = value.get("resolution", 1)
    if isinstance(resolution, bool) or resolution not in resolutions:
        raise ValueError("capture: resolution is 1, 0.1, 0.01 or 0.001 (seconds)")
    at, ladder = value.get("at"), value.get("ladder", [])
    at = [at] if isinstance(at, str) else at
    ladder = [ladder] if isinstance(ladder, str) else ladder
    texts_ok = all(
        isinstance(x, list) and all(isinstance(i, str) for i in x) for x in (at, ladder)
    )
    if not texts_ok or not at:
        raise ValueError(f"capture: at names one point or a list, as in {example}")
    assert isinstance(at, list) and isinstance(ladder, list)
    if not set(ladder) <= set(at):
        raise ValueError("capture: every ladder point must be one of the at points")
    if len(set(at)) != len(at):
        raise ValueError("capture: a point is named twice in at")
    capture_filter = value.get("filter")
    if not isinstance(capture_filter, str) or not capture_filter.strip():
        raise ValueError(
            "capture: filter must keep the capture to the session's traffic"
            f" (tcpdump's syntax, as in {example})"
        )
    points = tuple(point(a, a in ladder) for a in at)
    return Spec(points, capture_filter, resolutions[resolution])


#: The Debian package of each program a capture needs.
PACKAGES = {"tcpdump": "tcpdump", "mscgen": "mscgen", "rsvg-convert": "librsvg2-bin"}


def missing_tools(capture: Spec) -> str:
    """Why *capture* cannot be made here ("" when it can): a program missing."""
    needed = ["tcpdump"]
    if any(p.ladder for p in capture.points):
        needed += ["mscgen", "rsvg-convert"]
    for tool in needed:
        if shutil.which(tool) is None:
            return (
                f"{tool} is not installed (Debian's {PACKAGES[tool]}: make system-deps)"
            )
    return ""


# -- tcpdump --------------------------------------------------------------


class Tcpdump:
    """tcpdump on one interface inside one namespace, writing a pcap.

    Use it as a context manager: the capture runs inside the ``with`` block,
    and the process is stopped when it ends, however it ends. *command* is
    what runs in the namespace (``ip netns exec NAMESPACE``); tests replace
    it.
    """

    def __init__(
        self,
        namespace: str,
        iface: str,
        path: Path,
        capture_filter: str = "",
        command: Sequence[str] | None = None,
    ) -> None:
        self.namespace = namespace
        self.iface = iface
        self.path = path
        self.capture_filter = capture_filter
        self.command = list(command or ["ip", "netns", "exec", namespace])
        self.proc: subprocess.Popen[bytes] | None = None
        self.report = ""  # tcpdump's closing statistics

    def argv(self) -> list[str]:
        # -U and --immediate-mode: every packet reaches the file at once;
        # -Z root: tcpdump keeps the rights to write where it was told;
        # -s 0: whole packets; -n: no name lookups (no DNS traffic of its own).
        argv = [*self.command, "tcpdump", "-n", "-i", self.iface, "-s", "0"]
        argv += ["-U", "--immediate-mode", "-Z", "root", "-w", str(self.path)]
        return argv + ([self.capture_filter] if self.capture_filter else [])

    def start(self) -> None:
        if shutil.which("tcpdump") is None:
            raise CaptureError("tcpdump is missing: install Debian's tcpdump")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.unlink(missing_ok=True)
        self.proc = subprocess.Popen(
            self.argv(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        assert self.proc.stderr is not None
        os.set_blocking(self.proc.stderr.fileno(), False)
        deadline = time.monotonic() + START_TIMEOUT
        said = b""
        while b"listening on" not in said:
            said += self.proc.stderr.read() or b""
            if self.proc.poll() is not None:
                said += self.proc.stderr.read() or b""
                self.proc = None
                raise CaptureError(f"tcpdump on {self.where}: {first_line(said)}")
            if time.monotonic() > deadline:
                self.stop()
                raise CaptureError(f"tcpdump on {self.where} did not start")
            time.sleep(0.01)

    @property
    def where(self) -> str:
        return f"{self.namespace} {self.iface}"

    def settle(self) -> None:
        """Wait until the file has stopped growing (the last packets in)."""
        deadline = time.monotonic() + STOP_TIMEOUT
        size = -1
        while time.monotonic() < deadline:
            now = self.path.stat().st_size if self.path.exists() else 0
            if now == size:
                return
            size = now
            time.sleep(SETTLE)

    def stop(self) -> None:
        """Stop tcpdump (SIGINT, then SIGKILL); safe to call twice."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        assert proc.stderr is not None
        with contextlib.suppress(OSError, TypeError):
            self.report = (proc.stderr.read() or b"").decode(errors="replace")
        proc.stderr.close()

    def dropped(self) -> int:
        """Packets tcpdump says the kernel dropped (after :meth:`stop`)."""
        for line in self.report.splitlines():
            words = line.split()
            if words[1:] == ["packets", "dropped", "by", "kernel"]:
                return int(words[0])
        return 0

    def __enter__(self) -> Tcpdump:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def first_line(text: bytes) -> str:
    lines = [
        line
        for line in text.decode(errors="replace").splitlines()
        if line.strip() and not line.startswith("tcpdump: listening")
    ]
    return lines[0].removeprefix("tcpdump: ") if lines else "exited at once"


@contextlib.contextmanager
def capturing(
    prefix: str,
    points: Iterable[Point],
    folder: Path,
    capture_filter: str = "",
    command: Callable[[str], Sequence[str]] | None = None,
) -> Iterator[dict[Point, Path]]:
    """Capture at every point (namespaces PREFIX + host) while the block runs.

    Yields each point's pcap path (``folder/HOST-IFACE.pcap``). After the
    block the captures settle and stop; a capture that lost packets raises
    :class:`CaptureError`. Whatever happens, no tcpdump is left running.
    """
    with contextlib.ExitStack() as stack:
        dumps = {}
        for p in points:
            ns = prefix + p.host
            dump = Tcpdump(
                ns,
                p.iface,
                folder / f"{p.name}.pcap",
                capture_filter,
                command(ns) if command else None,
            )
            stack.callback(dump.stop)
            dump.start()
            dumps[p] = dump
        yield {p: d.path for p, d in dumps.items()}
        for dump in dumps.values():
            dump.settle()
        for p, dump in dumps.items():
            dump.stop()
            if dump.dropped():
                raise CaptureError(f"the capture at {p} lost {dump.dropped()} packets")


# -- reading pcaps --------------------------------------------------------


@dataclass
class Packet:
    """One IPv4 packet as captured, before any rule is applied."""

    time: float
    src: str
    dst: str
    proto: str  # "TCP", "UDP", "ICMP", or the protocol number
    size: int  # the IP packet's total length
    sport: int | None = None
    dport: int | None = None
    flags: int = 0  # TCP flags
    seq: int = 0
    ack: int = 0
    window: int = 0
    options: tuple[tuple[int, bytes], ...] = ()
    data: bytes = b""  # the transport payload
    ip_id: int = 0
    df: bool = False
    mf: bool = False
    offset: int = 0  # fragment offset in bytes
    icmp: str = ""  # what an ICMP message says, already in words
    other: str = ""  # a frame that is not IPv4, in words

    @property
    def fragment(self) -> bool:
        return self.mf or self.offset > 0


ICMP_TYPES = {
    0: "echo reply",
    3: "destination unreachable",
    8: "echo request",
    11: "time exceeded",
}
UNREACHABLE = {
    0: "network unreachable",
    1: "host unreachable",
    3: "port unreachable",
    4: "fragmentation needed",
    13: "administratively prohibited",
}


def read_pcap(path: Path) -> list[Packet]:
    """The packets in a pcap written by tcpdump (Ethernet or Linux cooked)."""
    try:
        with path.open("rb") as f:
            reader = dpkt.pcap.Reader(f)
            link = reader.datalink()
            frames = list(reader)
    except (OSError, ValueError, dpkt.Error) as exc:
        raise CaptureError(f"{path}: cannot read the capture: {exc}") from None
    if link not in (dpkt.pcap.DLT_EN10MB, dpkt.pcap.DLT_LINUX_SLL):
        raise CaptureError(f"{path}: link type {link} is not Ethernet")
    packets = []
    for number, (ts, frame) in enumerate(frames, 1):
        try:
            if link == dpkt.pcap.DLT_EN10MB:
                eth = dpkt.ethernet.Ethernet(frame)
            else:
                eth = dpkt.sll.SLL(frame)
            packets.append(packet(float(ts), eth.data, eth.type))
        except (dpkt.Error, ValueError, AttributeError) as exc:
            raise CaptureError(f"{path}: packet {number} is malformed: {exc}") from None
    return packets


def packet(ts: float, ip: object, ethertype: int) -> Packet:
    """A :class:`Packet` from dpkt's parse of one frame's payload."""
    if not isinstance(ip, dpkt.ip.IP):
        kind = {0x0806: "ARP", 0x86DD: "IPv6"}.get(ethertype, f"type {ethertype:#06x}")
        return Packet(ts, "", "", kind, 0, other=kind)
    p = Packet(
        ts,
        str(ipaddress.IPv4Address(ip.src)),
        str(ipaddress.IPv4Address(ip.dst)),
        str(ip.p),
        ip.len,
        ip_id=ip.id,
        df=bool(ip.df),
        mf=bool(ip.mf),
        offset=ip.offset,
    )
    body = ip.data
    if p.offset:
        p.data = bytes(body)
        p.proto = {6: "TCP", 17: "UDP", 1: "ICMP"}.get(ip.p, str(ip.p))
        return p
    if isinstance(body, dpkt.tcp.TCP):
        p.proto, p.sport, p.dport = "TCP", body.sport, body.dport
        p.flags, p.seq, p.ack, p.window = body.flags, body.seq, body.ack, body.win
        p.options = tuple(dpkt.tcp.parse_opts(body.opts))
        p.data = bytes(body.data)
    elif isinstance(body, dpkt.udp.UDP):
        p.proto, p.sport, p.dport = "UDP", body.sport, body.dport
        p.data = bytes(body.data)
    elif isinstance(body, dpkt.icmp.ICMP):
        p.proto = "ICMP"
        p.icmp = icmp_words(body)
    else:
        p.data = bytes(body)
    return p


def icmp_words(icmp: dpkt.icmp.ICMP) -> str:
    kind = ICMP_TYPES.get(icmp.type, f"type {icmp.type}")
    if icmp.type == 3:
        words = f"unreachable: {UNREACHABLE.get(icmp.code, f'code {icmp.code}')}"
        if icmp.code == 4:
            words += f", mtu {icmp.data.mtu}"
    elif icmp.type in (0, 8):
        words = f"{kind} seq {icmp.data.seq}"
    else:
        words = kind
    quoted = getattr(icmp.data, "data", None)
    if icmp.type in (3, 11) and isinstance(quoted, dpkt.ip.IP):
        words += f" (for {ipaddress.IPv4Address(quoted.dst)})"
    return words


# -- the rules ------------------------------------------------------------


TCP_FLAGS = (
    (dpkt.tcp.TH_SYN, "SYN"),
    (dpkt.tcp.TH_FIN, "FIN"),
    (dpkt.tcp.TH_RST, "RST"),
    (dpkt.tcp.TH_PUSH, "PSH"),
    (dpkt.tcp.TH_ACK, "ACK"),
    (dpkt.tcp.TH_URG, "URG"),
)


def flag_names(flags: int) -> str:
    """``SYN+ACK``, ``PSH+ACK``, ``FIN+ACK``... (``none`` for no flag)."""
    return "+".join(name for bit, name in TCP_FLAGS if flags & bit) or "none"


@dataclass
class Normaliser:
    """The rules' state for one session: shared by all of its points, so
    that the same port gets the same number wherever it is seen."""

    start: float | None = None
    digits: int = 0  # decimals of the times shown (the session's resolution)
    ports: dict[int, int] = field(default_factory=dict)
    isns: dict[tuple[str, int, str, int], int] = field(default_factory=dict)
    ids: dict[tuple[str, int], int] = field(default_factory=dict)

    def time(self, t: float) -> str:
        """relative-time: counted in whole microseconds (as pcaps store
        them), so that rounding down never depends on a float's last bit."""
        assert self.start is not None
        micros = max(0, round((t - self.start) * 1_000_000))
        steps = micros // 10 ** (6 - self.digits)
        return f"{steps / 10**self.digits:.{self.digits}f}"

    def port(self, port: int | None) -> str:
        """ephemeral-ports"""
        if port is None:
            return ""
        if port in EPHEMERAL:
            shown = self.ports.setdefault(port, DISPLAY_CLIENT_PORT + len(self.ports))
            return str(shown)
        return str(port)

    def seq(self, p: Packet, number: int, forward: bool) -> int:
        """relative-seq: *number* relative to the ISN of one side (*forward*:
        the sender's side, else the receiver's)."""
        side = (
            (p.src, p.sport or 0, p.dst, p.dport or 0)
            if forward
            else (p.dst, p.dport or 0, p.src, p.sport or 0)
        )
        if side not in self.isns:
            if not forward:
                return number  # the other side's ISN is not known yet
            self.isns[side] = number
        return (number - self.isns[side]) % 2**32

    def learn(self, p: Packet) -> None:
        """Note a packet's ISN before showing it (a SYN's seq, or a first seq)."""
        if p.proto == "TCP" and not p.fragment:
            side = (p.src, p.sport or 0, p.dst, p.dport or 0)
            if p.flags & dpkt.tcp.TH_SYN or side not in self.isns:
                self.isns.setdefault(side, p.seq)

    def ip_id(self, p: Packet) -> int:
        """ip-id"""
        key = (p.src, p.ip_id)
        return self.ids.setdefault(key, len(self.ids) + 1)


def prepare(captures: Mapping[Point, list[Packet]], digits: int = 0) -> Normaliser:
    """The session's normaliser: its start, and its ports in the order the
    points saw them (point by point, in the session's order); times shown
    with *digits* decimals."""
    norm = Normaliser(digits=digits)
    times = [p.time for packets in captures.values() for p in packets]
    norm.start = min(times, default=0.0)
    for packets in captures.values():
        for p in packets:
            norm.port(p.sport)
            norm.port(p.dport)
    return norm


def preview(data: bytes, limit: int = PREVIEW) -> str:
    r"""The first *limit* bytes as text: printable ASCII as it is, the rest
    escaped as in a Python bytes literal, in double quotes, ``...`` after it
    when there is more.

    >>> preview(b'GET / HTTP/1.1\r\nHost: www.example.com\r\n\r\n')
    '"GET / HTTP/1.1\\r\\nHost"...'
    >>> preview(bytes([0x16, 3, 1]))
    '"\\x16\\x03\\x01"'
    """
    shown = []
    for byte in data[:limit]:
        char = chr(byte)
        if char == "\\" or char == '"':
            shown.append("\\" + char)
        elif 0x20 <= byte < 0x7F:
            shown.append(char)
        else:
            shown.append({10: "\\n", 13: "\\r", 9: "\\t"}.get(byte, f"\\x{byte:02x}"))
    return '"' + "".join(shown) + '"' + ("..." if len(data) > limit else "")


OPTION_NAMES = {
    dpkt.tcp.TCP_OPT_SACKOK: "sackOK",
    dpkt.tcp.TCP_OPT_TIMESTAMP: "TS",
}


def tcp_options(p: Packet) -> str:
    words = []
    for kind, value in p.options:
        if kind == dpkt.tcp.TCP_OPT_MSS:
            words.append(f"mss {int.from_bytes(value, 'big')}")
        elif kind == dpkt.tcp.TCP_OPT_WSCALE:
            words.append(f"wscale {value[0]}")
        elif kind in OPTION_NAMES:
            words.append(OPTION_NAMES[kind])
        elif kind == dpkt.tcp.TCP_OPT_SACK:
            words.append("sack")
        elif kind not in (dpkt.tcp.TCP_OPT_NOP, dpkt.tcp.TCP_OPT_EOL):
            words.append(f"option {kind}")
    return " ".join(words)


def ip_flags(p: Packet) -> str:
    """The IP header's flags: ``DF``, ``MF`` or ``-``."""
    return "+".join(f for f, on in (("DF", p.df), ("MF", p.mf)) if on) or "-"


def details(p: Packet, norm: Normaliser) -> str:
    """What the last column says about *p*, the rules applied."""
    if p.other:
        return ""
    parts = []
    if p.fragment:
        parts.append(f"fragment id {norm.ip_id(p)} offset {p.offset}")
    if p.proto == "TCP" and not p.offset:
        parts.append(flag_names(p.flags))
        parts.append(f"seq {norm.seq(p, p.seq, True)}")
        if p.flags & dpkt.tcp.TH_ACK:
            parts.append(f"ack {norm.seq(p, p.ack, False)}")
        if p.flags & dpkt.tcp.TH_SYN:
            parts.append(f"win {p.window}")
            options = tcp_options(p)
            if options:
                parts.append(f"<{options}>")
        else:
            if p.window == 0 and not p.flags & dpkt.tcp.TH_RST:
                parts.append("win 0")  # a full receiver: flow control at work
            if any(kind == dpkt.tcp.TCP_OPT_SACK for kind, _ in p.options):
                parts.append("<sack>")
    elif p.icmp:
        parts.append(p.icmp)
    if p.data:
        parts.append(f"data {len(p.data)} {preview(p.data)}")
    return " ".join(parts)


def endpoint(address: str, port: str) -> str:
    return f"{address}:{port}" if port else address


def rows(packets: Sequence[Packet], norm: Normaliser) -> list[list[str]]:
    """The dissection's cells, one row per packet."""
    for p in packets:
        norm.learn(p)
    table = []
    for number, p in enumerate(packets, 1):
        if p.other:
            row = [str(number), norm.time(p.time), p.other, "", "", "", "", ""]
            table.append(row)
            continue
        table.append(
            [
                str(number),
                norm.time(p.time),
                endpoint(p.src, norm.port(p.sport)),
                endpoint(p.dst, norm.port(p.dport)),
                p.proto,
                str(p.size),
                ip_flags(p),
                details(p, norm),
            ]
        )
    return table


HEADER = ["no", "s", "source", "destination", "proto", "size", "ip", "what"]


def dissect_packets(packets: Sequence[Packet], norm: Normaliser, where: str) -> str:
    """The dissection of one point's packets (see the module's docstring)."""
    table = [HEADER, *rows(packets, norm)]
    widths = [max(len(row[i]) for row in table) for i in range(len(HEADER) - 1)]
    right = {0, 1, 5}
    lines = [
        f"# {where}: {len(packets)} packets; rules: {', '.join(RULES)}",
    ]
    for row in table:
        cells = [
            cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])
            for i, cell in enumerate(row[:-1])
        ]
        cells[2] += " >" if row[3] and row is not table[0] else "  "
        lines.append(("  ".join(cells) + "  " + row[-1]).rstrip())
    return "\n".join(lines) + "\n"


def dissect(
    captures: Mapping[Point, list[Packet]], digits: int = 0
) -> dict[Point, str]:
    """Every point's dissection, with one normaliser for the session."""
    norm = prepare(captures, digits)
    return {
        p: dissect_packets(packets, norm, f"at {p}") for p, packets in captures.items()
    }


# -- ladder diagrams ------------------------------------------------------


def host_names(at: Point) -> dict[str, str]:
    """Address -> host name as seen from *at*: a private address means the
    host in *at*'s own site (both homes use 192.168.1.0/24)."""
    site = topology.host(at.host).site
    names: dict[str, str] = {}
    for h in sorted(topology.HOSTS, key=lambda h: h.site != site):
        for _iface, cidr in topology.addresses(h.name):
            names.setdefault(str(ipaddress.ip_interface(cidr).ip), h.name)
    return names


@dataclass(frozen=True)
class Arrow:
    number: int
    src: str  # a participant (host name)
    dst: str
    label: str
    src_address: str = ""
    dst_address: str = ""


def arrows(packets: Sequence[Packet], norm: Normaliser, at: Point) -> list[Arrow]:
    """One arrow per IPv4 packet, with a short label (:func:`label`)."""
    names = host_names(at)
    for p in packets:
        norm.learn(p)
    found = []
    talked: set[tuple[str, int | None, str, int | None]] = set()
    for number, p in enumerate(packets, 1):
        if p.other:
            continue
        direction = (p.src, p.sport, p.dst, p.dport)
        first = bool(p.data) and direction not in talked
        if p.data:
            talked.add(direction)
        src, dst = names.get(p.src, p.src), names.get(p.dst, p.dst)
        found.append(Arrow(number, src, dst, label(p, norm, first), p.src, p.dst))
    return found


def label(p: Packet, norm: Normaliser, first: bool) -> str:
    """An arrow's label, shorter than the dissection's line: TCP flags,
    sequence and acknowledgement numbers, the MSS of a SYN, the data's
    length, and the start of the data that opens each side's talk (a
    request line, a status line); what an ICMP message says."""
    if p.fragment:
        words = [f"{p.proto} fragment offset {p.offset}"]
    elif p.proto == "TCP":
        words = [flag_names(p.flags), f"seq {norm.seq(p, p.seq, True)}"]
        if p.flags & dpkt.tcp.TH_ACK:
            words.append(f"ack {norm.seq(p, p.ack, False)}")
        for kind, value in p.options:
            if kind == dpkt.tcp.TCP_OPT_MSS:
                words.append(f"mss {int.from_bytes(value, 'big')}")
    elif p.icmp:
        words = ["ICMP " + p.icmp.split(" (for ")[0].removeprefix("unreachable: ")]
    else:
        words = [p.proto]
    if p.data:
        words.append(f"len {len(p.data)}")
        if first:
            words.append(glimpse(p.data))
    return " ".join(words)


def glimpse(data: bytes, limit: int = 14) -> str:
    r"""The start of *data*'s first line, for a label: printable ASCII other
    than backslashes (which mscgen would read as escapes), dots for the rest.

    >>> glimpse(b'GET /search?q=207 HTTP/1.1\r\n')
    '"GET /search?q="...'
    >>> glimpse(b'\x16\x03\x01\x02')
    '"...."'
    """
    line = data.split(b"\r", 1)[0].split(b"\n", 1)[0]
    shown = "".join(
        chr(b) if 0x20 <= b < 0x7F and b != 0x5C else "." for b in line[:limit]
    )
    return f'"{shown}"' + ("..." if len(data) > len(shown) else "")


def hops(start: str) -> dict[str, int]:
    """How many links each host is from *start* (over the playground's links)."""
    distance = {start: 0}
    frontier = [start]
    while frontier:
        nearer = []
        for here in frontier:
            for link in topology.LINKS:
                for a, b in ((link.a.host, link.b.host), (link.b.host, link.a.host)):
                    if a == here and b not in distance:
                        distance[b] = distance[here] + 1
                        nearer.append(b)
        frontier = nearer
    return distance


def participants(found: Sequence[Arrow], at: Point) -> list[str]:
    """The ladder's columns, in the order the hosts stand along the path
    from the capture's own host (so a router's ICMP message comes from
    between the two ends); an address of no host goes last."""
    seen: list[str] = []
    for a in found:
        for name in (a.src, a.dst):
            if name not in seen:
                seen.append(name)
    distance = hops(at.host)
    return sorted(seen, key=lambda n: (distance.get(n, len(distance)), seen.index(n)))


def msc_quote(text: str) -> str:
    """*text* for an mscgen string (it reads ``\\"`` and ``\\n``, so no
    backslash is left but the quote's)."""
    return text.replace("\\", ".").replace('"', '\\"')


#: Roughly the width of a character of mscgen's labels, in pixels.
CHAR_WIDTH = 6.4


def ladder_width(found: Sequence[Arrow], names: Sequence[str]) -> int:
    """A width in which every label fits over its arrow (mscgen spaces the
    columns evenly)."""
    gap = 0
    for a in found:
        span = abs(names.index(a.src) - names.index(a.dst)) or 1
        text = len(f"{a.number}  {a.label}") * CHAR_WIDTH + 24
        gap = max(gap, math.ceil(text / span))
    return max(400, len(names) * gap)


def ladder_source(found: Sequence[Arrow], at: Point, title: str = "") -> str:
    """The mscgen source of the ladder."""
    names = participants(found, at)
    addresses: dict[str, str] = {}  # each participant's first address seen
    for a in found:
        addresses.setdefault(a.src, a.src_address)
        addresses.setdefault(a.dst, a.dst_address)
    labels = {n: n if addresses[n] == n else f"{n} {addresses[n]}" for n in names}
    columns = ", ".join(f'"{n}" [label="{msc_quote(labels[n])}"]' for n in names)
    lines = [
        f"# The ladder of {title or 'a capture'} at {at}, drawn from the capture.",
        "msc {",
        f'  width="{ladder_width(found, names)}";',
        f"  {columns};",
    ]
    for a in found:
        label = msc_quote(f"{a.number}  {a.label}")
        lines.append(f'  "{a.src}" => "{a.dst}" [label="{label}"];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def ladder_text(found: Sequence[Arrow]) -> str:
    """The arrows as a numbered list: the diagram's text equivalent."""
    return "".join(f"{a.number}. {a.src} to {a.dst}: {a.label}\n" for a in found)


def render(source: str, folder: Path, stem: str) -> tuple[bytes, bytes]:
    """Draw *source* with mscgen: the SVG (without the DOCTYPE mscgen writes,
    whose external DTD EPUB 3 forbids) and, through rsvg-convert, the PDF."""
    for tool, package in (("mscgen", "mscgen"), ("rsvg-convert", "librsvg2-bin")):
        if shutil.which(tool) is None:
            raise CaptureError(f"{tool} is missing: install Debian's {package}")
    msc, svg, pdf = (folder / f"{stem}{ext}" for ext in (".msc", ".svg", ".pdf"))
    msc.write_text(source, encoding="utf-8")
    run_tool(["mscgen", "-T", "svg", "-o", str(svg), str(msc)])
    drawing = svg.read_text(encoding="utf-8")
    if drawing.startswith("<!DOCTYPE"):
        drawing = drawing[drawing.index(">") + 1 :].lstrip()
    svg.write_text(drawing, encoding="utf-8")
    # The PDF's creation date from SOURCE_DATE_EPOCH: the same bytes each run.
    run_tool(["rsvg-convert", "-f", "pdf", "-o", str(pdf), str(svg)], epoch=True)
    return svg.read_bytes(), pdf.read_bytes()


def run_tool(argv: list[str], epoch: bool = False) -> None:
    env = dict(os.environ, SOURCE_DATE_EPOCH="0") if epoch else None
    done = subprocess.run(argv, capture_output=True, text=True, check=False, env=env)
    if done.returncode != 0:
        why = (done.stderr or done.stdout).strip().splitlines() or ["failed"]
        raise CaptureError(f"{argv[0]}: {why[0]}")


# -- the files a session makes --------------------------------------------


def texts(
    captures: Mapping[Point, list[Packet]], title: str = "", digits: int = 0
) -> dict[str, str]:
    """The compared files of a session's captures, by suffix (``h1-eth0.txt``,
    ``h1-eth0.msc``, ``h1-eth0.ladder.txt``); times with *digits* decimals."""
    made = {f"{p.name}.txt": text for p, text in dissect(captures, digits).items()}
    norm = prepare(captures, digits)
    for p, packets in captures.items():
        if p.ladder:
            found = arrows(packets, norm, p)
            made[f"{p.name}.msc"] = ladder_source(found, p, title)
            made[f"{p.name}.ladder.txt"] = ladder_text(found)
    return made


def outputs(
    pcaps: Mapping[Point, Path], folder: Path, title: str = "", digits: int = 0
) -> dict[str, bytes]:
    """Every file of a session's captures, by suffix: the texts (above), the
    pcaps as made, and the ladders drawn (in *folder*, a scratch folder)."""
    captures = {p: read_pcap(path) for p, path in pcaps.items()}
    made = {k: v.encode() for k, v in texts(captures, title, digits).items()}
    for p, path in pcaps.items():
        made[f"{p.name}.pcap"] = path.read_bytes()
        if p.ladder:
            svg, pdf = render(made[f"{p.name}.msc"].decode(), folder, p.name)
            made[f"{p.name}.svg"], made[f"{p.name}.pdf"] = svg, pdf
    return made


#: The files that are not text: not compared as text, written as below.
AS_MADE = (".pcap", ".svg", ".pdf")
#: The pcap differs from run to run in its time stamps (and TCP's random
#: numbers), so it is written only with a changed text of its point; the
#: drawings depend on their source alone, and are written whenever they
#: differ (an mscgen or librsvg of another version, say).
CAPTURED = (".pcap",)


def changed_files(
    made: Mapping[str, bytes], existing: Callable[[str], bytes | None]
) -> dict[str, bytes]:
    """The files a run must write: those that differ from what *existing*
    returns, except that a pcap is written only when a text of its point
    changed, or when it is missing."""
    changed = {
        k: v for k, v in made.items() if not k.endswith(CAPTURED) and existing(k) != v
    }
    points = {k.split(".", 1)[0] for k in changed if not k.endswith(AS_MADE)}
    for k, v in made.items():
        if k.endswith(CAPTURED) and (
            k.split(".", 1)[0] in points or existing(k) is None
        ):
            changed[k] = v
    return changed


def verify(spec: Spec, stem: Path) -> list[str]:
    """Whether the committed texts of a session's capture are what its
    committed pcaps make now: a unified diff per file that differs (none
    when all agree). *stem* is the session's files' stem
    (``book/transcripts/chapter01/nat-search2``)."""

    def path(suffix: str) -> Path:
        return stem.with_name(f"{stem.name}.{suffix}")

    packets = {p: read_pcap(path(f"{p.name}.pcap")) for p in spec.points}
    diffs = []
    for suffix, text in texts(packets, stem.name, spec.digits).items():
        file = path(suffix)
        committed = file.read_text(encoding="utf-8") if file.exists() else ""
        if committed != text:
            pcap = path(suffix.split(".")[0] + ".pcap")
            diff = difflib.unified_diff(
                committed.splitlines(keepends=True),
                text.splitlines(keepends=True),
                fromfile=f"{file.name} (committed)",
                tofile=f"{file.name} (made from {pcap.name} now)",
            )
            diffs.append("".join(diff))
    return diffs


# -- the command line -----------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.captures",
        description="Dissect a pcap of the network playground, or draw its ladder.",
    )
    parser.add_argument("action", choices=["dissect", "ladder"])
    parser.add_argument("pcap", type=Path)
    parser.add_argument(
        "--at",
        default="h1:eth0",
        metavar="HOST:IFACE",
        help="where it was captured (names the hosts; default h1:eth0)",
    )
    args = parser.parse_args(argv)
    try:
        at = point(args.at, ladder=True)
        captures = {at: read_pcap(args.pcap)}
    except (ValueError, CaptureError) as exc:
        print(f"captures: {exc}", file=sys.stderr)
        return 1
    made = texts(captures)
    if args.action == "dissect":
        print(made[f"{at.name}.txt"], end="")
    else:
        print(made[f"{at.name}.msc"], end="")
        print(made[f"{at.name}.ladder.txt"], end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
