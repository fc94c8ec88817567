"""tools/captures.py: tcpdump in a namespace, dissections, ladders.

The dissection and ladder tests run anywhere: they write pcaps of their own
with dpkt (the packets of a small HTTP exchange, as Linux sends them) and
check what the rules make of them. The tcpdump tests need root and network
namespaces; they capture in a namespace of their own (``capt<PID>``, only its
loopback up), never on the host's interfaces, and are skipped elsewhere.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import dpkt
import pytest

from tools import captures, paths
from tools.captures import Point
from tools.sessions import manifest

CLIENT, SERVER, MODEM = "192.168.1.11", "203.0.113.80", "198.51.100.2"
H1, WAN = Point("h1", "eth0", ladder=True), Point("modemA", "wan")


def ip_bytes(text: str) -> bytes:
    return bytes(int(part) for part in text.split("."))


def tcp_frame(
    src: str,
    dst: str,
    sport: int,
    dport: int,
    flags: int,
    seq: int,
    ack: int = 0,
    data: bytes = b"",
    mss: int | None = None,
    ip_id: int = 0,
    window: int = 502,
) -> bytes:
    opts = b""
    if mss is not None:
        opts = b"\x02\x04" + mss.to_bytes(2, "big") + b"\x04\x02" + b"\x08\x0a"
        opts += os.urandom(8) + b"\x01\x03\x03\x0a"
    else:
        opts = b"\x01\x01\x08\x0a" + os.urandom(8)
    tcp = dpkt.tcp.TCP(
        sport=sport, dport=dport, seq=seq, ack=ack, flags=flags, win=window, opts=opts
    )
    tcp.off = 5 + len(opts) // 4
    tcp.data = data
    ip = dpkt.ip.IP(
        src=ip_bytes(src), dst=ip_bytes(dst), p=dpkt.ip.IP_PROTO_TCP, id=ip_id, ttl=64
    )
    ip.df = 1
    ip.data = tcp
    ip.len = 20 + len(bytes(tcp))
    eth = dpkt.ethernet.Ethernet(src=os.urandom(6), dst=os.urandom(6), data=ip)
    return bytes(eth)


def exchange(
    client: str = CLIENT,
    port: int = 41234,
    isns: tuple[int, int] = (1_000_000, 3_000_000_000),
    start: float = 1_764_000_000.25,
    fin: bool = True,
    mss: int = 1460,
) -> list[tuple[float, bytes]]:
    """An HTTP request and reply, as a client behind *client* sends them."""
    c, s = isns
    syn, ack, psh, finf = (
        dpkt.tcp.TH_SYN,
        dpkt.tcp.TH_ACK,
        dpkt.tcp.TH_PUSH,
        dpkt.tcp.TH_FIN,
    )
    request = b"GET /search?q=Archbold HTTP/1.1\r\nHost: www.example.com\r\n\r\n"
    reply = (
        b'HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n[{"lat": "41.5"}]'
    )
    out = [
        (client, SERVER, port, 80, syn, c, 0, b"", mss),
        (SERVER, client, 80, port, syn | ack, s, c + 1, b"", 1460),
        (client, SERVER, port, 80, ack, c + 1, s + 1, b"", None),
        (client, SERVER, port, 80, psh | ack, c + 1, s + 1, request, None),
        (SERVER, client, 80, port, psh | ack, s + 1, c + 1 + len(request), reply, None),
    ]
    if fin:
        end_c, end_s = c + 1 + len(request), s + 1 + len(reply)
        out += [
            (SERVER, client, 80, port, finf | ack, end_s, end_c, b"", None),
            (client, SERVER, port, 80, finf | ack, end_c, end_s + 1, b"", None),
            (SERVER, client, 80, port, ack, end_s + 1, end_c + 1, b"", None),
        ]
    frames = []
    for i, (src, dst, sp, dp, flags, seq, ackno, data, m) in enumerate(out):
        frame = tcp_frame(src, dst, sp, dp, flags, seq, ackno, data, m, 4000 + i)
        frames.append((start + 0.0001 * i, frame))
    return frames


def write_pcap(path: Path, frames: list[tuple[float, bytes]]) -> Path:
    with path.open("wb") as f:
        writer = dpkt.pcap.Writer(f)
        for ts, frame in frames:
            writer.writepkt(frame, ts)
    return path


def dissection(tmp_path: Path, **kwargs: object) -> str:
    pcap = write_pcap(tmp_path / "x.pcap", exchange(**kwargs))  # type: ignore[arg-type]
    return captures.dissect({H1: captures.read_pcap(pcap)})[H1]


# -- dissections ----------------------------------------------------------


def test_a_dissection_shows_each_packet_on_one_line(tmp_path: Path) -> None:
    lines = dissection(tmp_path).splitlines()
    assert lines[0] == (
        "# at h1:eth0: 8 packets; rules: relative-time, ephemeral-ports,"
        " relative-seq, ip-id, checksums, tcp-options"
    )
    assert lines[1].split() == [
        "no", "s", "source", "destination", "proto", "size", "ip", "what"
    ]  # fmt: skip
    assert lines[2].split() == [
        "1", "0", "192.168.1.11:50001", ">", "203.0.113.80:80", "TCP", "60", "DF",
        "SYN", "seq", "0", "win", "502", "<mss", "1460", "sackOK", "TS", "wscale",
        "10>",
    ]  # fmt: skip
    assert "SYN+ACK seq 0 ack 1 win 502" in lines[3]
    assert lines[4].endswith("ACK seq 1 ack 1")
    assert lines[5].endswith('PSH+ACK seq 1 ack 1 data 58 "GET /search?q=Archbo"...')
    assert lines[6].endswith(
        'PSH+ACK seq 1 ack 59 data 68 "HTTP/1.0 200 OK\\r\\nCon"...'
    )
    assert lines[7].endswith("FIN+ACK seq 69 ack 59")
    assert lines[9].endswith("ACK seq 70 ack 60")
    assert len(lines) == 10


def test_what_varies_from_run_to_run_changes_nothing(tmp_path: Path) -> None:
    """Other ISNs, another client port, another time: the same dissection."""
    first = dissection(tmp_path)
    again = dissection(
        tmp_path, port=58000, isns=(4_294_967_000, 7), start=1_800_000_123.9
    )
    assert again == first


def test_a_changed_packet_changes_the_dissection(tmp_path: Path) -> None:
    first = dissection(tmp_path)
    assert dissection(tmp_path, fin=False) != first  # a missing FIN
    other_mss = dissection(tmp_path, mss=1452)
    assert "<mss 1452" in other_mss and other_mss != first


def test_a_changed_rule_changes_the_dissection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = dissection(tmp_path)
    monkeypatch.setattr(captures, "DISPLAY_CLIENT_PORT", 40001)
    assert dissection(tmp_path) != first


def test_the_same_port_gets_the_same_number_at_every_point(tmp_path: Path) -> None:
    """Before and after NAT: one numbering for the session's points."""
    inside = write_pcap(tmp_path / "h1.pcap", exchange())
    outside = write_pcap(tmp_path / "wan.pcap", exchange(client=MODEM))
    shown = captures.dissect(
        {H1: captures.read_pcap(inside), WAN: captures.read_pcap(outside)}
    )
    assert "192.168.1.11:50001 >" in shown[H1]
    assert "198.51.100.2:50001 >" in shown[WAN]
    strip = [text.replace(MODEM, CLIENT).splitlines()[1:] for text in shown.values()]
    assert strip[0] == strip[1]
    moved = write_pcap(tmp_path / "moved.pcap", exchange(client=MODEM, port=41999))
    shown = captures.dissect(
        {H1: captures.read_pcap(inside), WAN: captures.read_pcap(moved)}
    )
    assert "198.51.100.2:50002 >" in shown[WAN]


def test_times_are_whole_seconds_from_the_first_packet(tmp_path: Path) -> None:
    frames = exchange(fin=False)
    late = [(ts + (2.5 if i == 4 else 0), f) for i, (ts, f) in enumerate(frames)]
    text = captures.dissect(
        {H1: captures.read_pcap(write_pcap(tmp_path / "t.pcap", late))}
    )[H1]
    times = [line.split()[1] for line in text.splitlines()[2:]]
    assert times == ["0", "0", "0", "0", "2"]


def icmp_frame(mtu: int) -> bytes:
    quoted = dpkt.ip.IP(src=ip_bytes(SERVER), dst=ip_bytes(MODEM), p=6, len=1500)
    quoted.data = b"\x00" * 8
    icmp = dpkt.icmp.ICMP(
        type=3, code=4, data=dpkt.icmp.ICMP.Unreach(mtu=mtu, data=quoted)
    )
    ip = dpkt.ip.IP(src=ip_bytes("192.0.2.2"), dst=ip_bytes(SERVER), p=1, data=icmp)
    ip.len = 20 + len(bytes(icmp))
    return bytes(dpkt.ethernet.Ethernet(data=ip))


def fragment_frames() -> list[bytes]:
    frames = []
    for offset, more, size in ((0, True, 1480), (1480, False, 100)):
        ip = dpkt.ip.IP(
            src=ip_bytes(CLIENT), dst=ip_bytes(SERVER), p=17, id=0xBEEF, ttl=64
        )
        ip.mf, ip.offset = int(more), offset
        ip.data = b"\x00" * size
        ip.len = 20 + size
        frames.append(bytes(dpkt.ethernet.Ethernet(data=ip)))
    return frames


def test_icmp_and_fragments(tmp_path: Path) -> None:
    frames = [icmp_frame(1492), *fragment_frames()]
    pcap = write_pcap(tmp_path / "i.pcap", [(1.0, f) for f in frames])
    lines = captures.dissect({WAN: captures.read_pcap(pcap)})[WAN].splitlines()
    assert lines[2].split()[2:7] == ["192.0.2.2", ">", "203.0.113.80", "ICMP", "56"]
    assert lines[2].endswith(
        "unreachable: fragmentation needed, mtu 1492 (for 198.51.100.2)"
    )
    assert " MF  fragment id 1 offset 0 " in lines[3]
    assert " -   fragment id 1 offset 1480 data 100 " in lines[4]


def test_frames_that_are_not_ipv4_are_named(tmp_path: Path) -> None:
    arp = bytes(dpkt.ethernet.Ethernet(type=0x0806, data=b"\x00" * 28))
    pcap = write_pcap(tmp_path / "a.pcap", [(1.0, arp)])
    assert captures.dissect({H1: captures.read_pcap(pcap)})[H1].splitlines()[
        2
    ].split() == ["1", "0", "ARP"]


def test_preview_escapes_what_is_not_printable() -> None:
    assert captures.preview(b'say "hi"\\\x00') == '"say \\"hi\\"\\\\\\x00"'
    assert captures.preview(b"x" * 30, 4) == '"xxxx"...'


# -- ladders --------------------------------------------------------------


def test_the_ladder_has_one_arrow_per_packet(tmp_path: Path) -> None:
    pcap = write_pcap(tmp_path / "l.pcap", exchange())
    made = captures.texts({H1: captures.read_pcap(pcap)}, "search4")
    source = made["h1-eth0.msc"]
    assert source.startswith("# The ladder of search4 at h1:eth0")
    assert '"h1" [label="h1 192.168.1.11"], "www" [label="www 203.0.113.80"];' in source
    assert source.count(" => ") == 8
    assert '"h1" => "www" [label="1  SYN seq 0 mss 1460"];' in source
    steps = made["h1-eth0.ladder.txt"].splitlines()
    assert steps[0] == "1. h1 to www: SYN seq 0 mss 1460"
    assert steps[3] == '4. h1 to www: PSH+ACK seq 1 ack 1 len 58 "GET /search?q="...'
    assert len(steps) == 8
    assert "h1-eth0.msc" in made and "modemA-wan.msc" not in made


def test_a_ladder_names_the_hosts_of_the_capture_points_own_home() -> None:
    assert captures.host_names(Point("h4", "eth0"))["192.168.1.1"] == "modemB"
    assert captures.host_names(Point("h1", "eth0"))["192.168.1.1"] == "modemA"
    assert captures.host_names(Point("h4", "eth0"))["192.168.1.11"] == "h4"


@pytest.mark.skipif(
    not (shutil.which("mscgen") and shutil.which("rsvg-convert")),
    reason="drawing ladders needs Debian's mscgen and librsvg2-bin (make system-deps)",
)
def test_a_ladder_is_drawn_as_svg_and_pdf(tmp_path: Path) -> None:
    pcap = write_pcap(tmp_path / "l.pcap", exchange())
    made = captures.outputs({H1: pcap}, tmp_path)
    assert made["h1-eth0.svg"].startswith(b"<svg ")  # no DTD (EPUB 3 forbids it)
    assert b"SYN+ACK seq 0 ack 1" in made["h1-eth0.svg"]
    assert made["h1-eth0.pdf"].startswith(b"%PDF-")
    assert made["h1-eth0.pcap"] == pcap.read_bytes()


def test_pcaps_are_written_only_with_their_texts() -> None:
    old = {"h1-eth0.txt": b"old", "h1-eth0.pcap": b"p1", "h1-eth0.svg": b"s"}
    old |= {"wan-x.txt": b"same", "wan-x.pcap": b"q1"}
    made = {"h1-eth0.txt": b"new", "h1-eth0.pcap": b"p2", "h1-eth0.svg": b"s"}
    made |= {"wan-x.txt": b"same", "wan-x.pcap": b"q2"}
    assert captures.changed_files(made, old.get) == {
        "h1-eth0.txt": b"new",
        "h1-eth0.pcap": b"p2",
    }
    assert captures.changed_files(made, made.get) == {}
    assert captures.changed_files(made, {}.get) == made
    redrawn = made | {"h1-eth0.svg": b"s2"}  # a drawing is written when it differs
    assert captures.changed_files(redrawn, made.get) == {"h1-eth0.svg": b"s2"}


@pytest.mark.skipif(
    not (shutil.which("mscgen") and shutil.which("rsvg-convert")),
    reason="drawing ladders needs Debian's mscgen and librsvg2-bin (make system-deps)",
)
def test_the_committed_drawings_are_drawn_from_the_committed_sources(
    tmp_path: Path,
) -> None:
    sources = sorted(paths.TRANSCRIPTS.glob("*/*.msc"))
    assert sources
    for msc in sources:
        svg, pdf = captures.render(msc.read_text(), tmp_path, msc.stem)
        assert svg == msc.with_suffix(".svg").read_bytes(), f"{msc.name}: redraw"
        assert pdf == msc.with_suffix(".pdf").read_bytes(), f"{msc.name}: redraw"


# -- points and the command line ------------------------------------------


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("h1", "capture point 'h1': write it HOST:IFACE"),
        ("h9:eth0", "no host 'h9'"),
        ("modemA:eth0", "modemA has no interface eth0 (it has: lan, h1, h2, h3, wan)"),
    ],
)
def test_a_bad_capture_point_is_named(text: str, why: str) -> None:
    with pytest.raises(ValueError, match="^" + re.escape(why)):
        captures.point(text)


def test_the_command_line_dissects_and_draws(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pcap = write_pcap(tmp_path / "c.pcap", exchange())
    assert captures.main(["dissect", str(pcap)]) == 0
    assert capsys.readouterr().out == dissection(tmp_path)
    assert captures.main(["ladder", str(pcap), "--at", "h1:eth0"]) == 0
    assert "msc {" in capsys.readouterr().out


def test_the_command_line_names_a_bad_file_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "bad.pcap").write_bytes(b"not a pcap")
    assert captures.main(["dissect", str(tmp_path / "bad.pcap")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("captures: ") and "cannot read the capture" in err
    assert err.count("\n") == 1


# -- tcpdump in a namespace -----------------------------------------------


def _why_no_namespace() -> str | None:
    if sys.platform != "linux" or os.geteuid() != 0:
        return "captures need root and Linux network namespaces"
    for tool in ("ip", "tcpdump", "ping"):
        if shutil.which(tool) is None:
            return f"{tool} is missing (make system-deps)"
    return None


WHY_NOT = _why_no_namespace()
NAMESPACE = f"capt{os.getpid()}"


@pytest.fixture(scope="module")
def namespace() -> Iterator[str]:
    if WHY_NOT:
        pytest.skip(WHY_NOT)
    subprocess.run(["ip", "netns", "add", NAMESPACE], check=True)
    try:
        subprocess.run(["ip", "-n", NAMESPACE, "link", "set", "lo", "up"], check=True)
        yield NAMESPACE
    finally:
        subprocess.run(["ip", "netns", "del", NAMESPACE], check=True)


def tcpdumps() -> list[str]:
    """tcpdump processes in our test namespace (by its inode)."""
    inode = os.stat(f"/run/netns/{NAMESPACE}").st_ino
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if os.stat(f"/proc/{entry.name}/ns/net").st_ino == inode:
                    found.append(entry.name)
            except OSError:
                continue
    return found


def ping(count: int = 2) -> None:
    subprocess.run(
        ["ip", "netns", "exec", NAMESPACE, "ping", "-c", str(count), "-i", "0.05",
         "-q", "127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip


@pytest.mark.netns
def test_tcpdump_captures_what_crosses_and_stops(
    namespace: str, tmp_path: Path
) -> None:
    pcap = tmp_path / "lo.pcap"
    with captures.Tcpdump(namespace, "lo", pcap, "icmp") as dump:
        ping()
        dump.settle()
    assert tcpdumps() == []
    packets = captures.read_pcap(pcap)
    assert [p.icmp.split(" seq")[0] for p in packets] == [
        "echo request", "echo reply", "echo request", "echo reply"
    ]  # fmt: skip
    assert dump.dropped() == 0


@pytest.mark.netns
def test_the_filter_keeps_other_traffic_out(namespace: str, tmp_path: Path) -> None:
    pcap = tmp_path / "udp.pcap"
    with captures.Tcpdump(namespace, "lo", pcap, "udp") as dump:
        ping(1)
        dump.settle()
    assert captures.read_pcap(pcap) == []


@pytest.mark.netns
def test_nothing_is_left_running_when_the_session_fails(
    namespace: str, tmp_path: Path
) -> None:
    points = [Point("h1", "lo"), Point("h2", "lo")]
    with (
        pytest.raises(RuntimeError),
        captures.capturing(
            "",
            points,
            tmp_path,
            "icmp",
            command=lambda ns: ["ip", "netns", "exec", namespace],
        ),
    ):
        assert len(tcpdumps()) == 2
        raise RuntimeError("the session failed")
    assert tcpdumps() == []


@pytest.mark.netns
def test_tcpdump_that_cannot_start_is_one_line(namespace: str, tmp_path: Path) -> None:
    with pytest.raises(captures.CaptureError, match=r"^tcpdump on .* wlan9: .*") as e:
        captures.Tcpdump(namespace, "wlan9", tmp_path / "x.pcap").start()
    assert "\n" not in str(e.value)
    with pytest.raises(captures.CaptureError, match=r"^tcpdump on .*"):
        captures.Tcpdump(namespace, "lo", tmp_path / "x.pcap", "port 99999").start()
    assert tcpdumps() == []


def test_the_playground_turns_the_offloads_off_on_every_veth_end() -> None:
    """So that captures show what crossed each link (see playground.net.build)."""
    from playground.net import build

    assert build.offload_script(build.topology.host("h1")) == (
        "ethtool -K eth0 tso off gso off gro off tx off"
    )
    script = build.offload_script(build.topology.host("modemB")) or ""
    assert script.count("ethtool -K") == 2 and "-K wan " in script


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("h1:eth0", "capture must be a table"),
        ({"at": [], "filter": "tcp"}, "capture: at names one point"),
        ({"at": "h1:eth0"}, "capture: filter must keep the capture"),
        ({"at": "h1:eth0", "filter": "tcp", "ladder": "h4:eth0"}, "capture: every"),
        ({"at": ["h1:eth0", "h1:eth0"], "filter": "tcp"}, "capture: a point is named"),
        ({"at": "h1:eth9", "filter": "tcp"}, "h1 has no interface eth9"),
        ({"at": "h1:eth0", "filter": "tcp", "snaplen": 96}, "capture must be a table"),
    ],
)
def test_a_bad_capture_table_is_named(value: object, why: str) -> None:
    with pytest.raises(ValueError, match="^" + re.escape(why)):
        captures.spec(value)


def test_a_capture_names_its_files() -> None:
    spec = captures.spec({"at": ["h1:eth0", "modemA:wan"], "filter": "tcp",
                          "ladder": "h1:eth0"})  # fmt: skip
    names = [p.name for p in spec.files(Path("/b/chapter01/nat-search4"))]
    assert names == [
        "nat-search4.h1-eth0.pcap", "nat-search4.h1-eth0.txt",
        "nat-search4.h1-eth0.msc", "nat-search4.h1-eth0.svg",
        "nat-search4.h1-eth0.pdf", "nat-search4.h1-eth0.ladder.txt",
        "nat-search4.modemA-wan.pcap", "nat-search4.modemA-wan.txt",
    ]  # fmt: skip


def test_a_ladder_orders_its_hosts_along_the_path(tmp_path: Path) -> None:
    """A router's ICMP message comes from a column between the two ends."""
    frames = [tcp_frame(MODEM, SERVER, 41234, 80, dpkt.tcp.TH_SYN, 5, mss=1460)]
    frames.append(icmp_frame(1492))
    at = Point("www", "eth0", ladder=True)
    pcap = write_pcap(tmp_path / "p.pcap", [(1.0, f) for f in frames])
    made = captures.texts({at: captures.read_pcap(pcap)})
    columns = made["www-eth0.msc"].splitlines()[3]
    assert columns.index('"www"') < columns.index('"isp"') < columns.index('"modemA"')
    assert made["www-eth0.ladder.txt"].splitlines()[1] == (
        "2. isp to www: ICMP fragmentation needed, mtu 1492"
    )


# -- the committed captures -------------------------------------------------

CAPTURED = [s for s in manifest.load_all() if s.capture is not None]


def stem(session: manifest.Session) -> Path:
    return paths.TRANSCRIPTS / session.chapter / session.id


def test_some_sessions_capture() -> None:
    assert {s.name for s in CAPTURED} >= {"chapter01/nat-search2", "chapter01/pmtu-h4"}


@pytest.mark.parametrize("session", CAPTURED, ids=[s.name for s in CAPTURED])
def test_the_committed_dissections_are_made_from_the_committed_pcaps(
    session: manifest.Session,
) -> None:
    """Runs anywhere (no root): the pcaps are read, the rules applied."""
    assert session.capture is not None
    diffs = captures.verify(session.capture, stem(session))
    assert not diffs, "\n".join(diffs) + "\nregenerate them with `make transcripts`"


def copy_session(session: manifest.Session, folder: Path) -> Path:
    for path in session.files():
        if path.exists():
            shutil.copy(path, folder / path.name)
    return folder / session.id


def test_a_changed_packet_fails_with_a_diff(tmp_path: Path) -> None:
    """Drop the last packet of a committed capture (the final ACK of the
    close): the check names the file and shows the missing line."""
    session = CAPTURED[0]
    assert session.capture is not None
    copy = copy_session(session, tmp_path)
    first = session.capture.points[0]
    pcap = copy.with_name(f"{copy.name}.{first.name}.pcap")
    with pcap.open("rb") as f:
        frames = list(dpkt.pcap.Reader(f))
    write_pcap(pcap, frames[:-1])
    diffs = captures.verify(session.capture, copy)
    assert diffs and f"{first.name}.txt (committed)" in diffs[0]
    removed = [line for line in diffs[0].splitlines() if line.startswith("-") and
               not line.startswith("---")]  # fmt: skip
    assert any(line[1:].split()[0] == str(len(frames)) for line in removed)


def test_a_changed_rule_fails_with_a_diff(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    session = CAPTURED[0]
    assert session.capture is not None
    monkeypatch.setattr(captures, "DISPLAY_CLIENT_PORT", 40001)
    diffs = captures.verify(session.capture, copy_session(session, tmp_path))
    assert diffs and "+" in diffs[0] and ":40001" in diffs[0]


def test_a_capture_session_without_tcpdump_is_skipped_with_the_reason(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tools.sessions import network
    from tools.sessions.runner import Runner

    monkeypatch.setattr(network, "support", lambda: "")
    real_which = shutil.which
    monkeypatch.setattr(
        captures.shutil,
        "which",
        lambda name, *a, **k: None if name == "tcpdump" else real_which(name, *a, **k),
    )
    why = Runner().unavailable(CAPTURED[0])
    assert why == "tcpdump is not installed (Debian's tcpdump: make system-deps)"


def test_a_capture_needs_a_host_session() -> None:
    entry = {
        "id": "x",
        "commands": "true",
        "capture": {"at": "h1:eth0", "filter": "tcp"},
    }
    with pytest.raises(manifest.ManifestError, match="only a session on the network"):
        manifest.parse("chapter01", entry)
    entry["host"] = "h1"
    entry["capture"] = {"at": "h1:eth9", "filter": "tcp"}
    with pytest.raises(manifest.ManifestError, match="h1 has no interface eth9"):
        manifest.parse("chapter01", entry)


def test_a_session_can_show_tenths_of_a_second(tmp_path: Path) -> None:
    """For timers shorter than a second: rounded down, in whole microseconds."""
    frames = exchange(fin=False, start=1_764_000_000.0)
    late = [(ts + (0.3 if i == 4 else 0), f) for i, (ts, f) in enumerate(frames)]
    pcap = write_pcap(tmp_path / "t.pcap", late)
    spec = captures.spec({"at": "h1:eth0", "filter": "tcp", "resolution": 0.1})
    packets = {spec.points[0]: captures.read_pcap(pcap)}
    text = captures.texts(packets, digits=spec.digits)["h1-eth0.txt"]
    assert [line.split()[1] for line in text.splitlines()[2:]] == [
        "0.0", "0.0", "0.0", "0.0", "0.3"
    ]  # fmt: skip
    with pytest.raises(ValueError, match=re.escape("resolution is 1, 0.1, 0.01")):
        captures.spec({"at": "h1:eth0", "filter": "tcp", "resolution": 0.5})


def test_a_zero_window_shows(tmp_path: Path) -> None:
    """Later windows are left out (buffer tuning varies), a full receiver not."""
    frames = exchange(fin=False)
    ack = dpkt.tcp.TH_ACK
    frames.append((frames[-1][0] + 0.001, tcp_frame(
        CLIENT, SERVER, 41234, 80, ack, 1_000_059, 3_000_000_069, window=0
    )))  # fmt: skip
    pcap = write_pcap(tmp_path / "z.pcap", frames)
    lines = captures.dissect({H1: captures.read_pcap(pcap)})[H1].splitlines()
    assert lines[-1].endswith("ACK seq 59 ack 69 win 0")
    assert "win" not in lines[-2]
