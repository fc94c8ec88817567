"""What chapter 2 says about its packet captures, checked on the committed
pcaps (book/transcripts/chapter02/*.pcap): these tests need no root."""

from __future__ import annotations

import itertools

from tools import captures, paths

FOLDER = paths.TRANSCRIPTS / "chapter02"


def packets(name: str) -> list[captures.Packet]:
    return captures.read_pcap(FOLDER / f"{name}.pcap")


def test_nat_rewrites_the_home_address_and_keeps_the_port() -> None:
    inside, outside = packets("whoami-nat.h1-eth0"), packets("whoami-nat.modemA-wan")
    assert [p.proto for p in inside] == [p.proto for p in outside] == ["UDP"] * 2
    request, reply = inside
    assert (request.src, request.dst, request.dport) == (
        "192.168.1.11",
        "203.0.113.80",
        4242,
    )
    assert (outside[0].src, outside[1].dst) == ("198.51.100.2", "198.51.100.2")
    assert outside[0].sport == request.sport  # Linux's NAT kept the port
    assert [p.data for p in inside] == [p.data for p in outside]
    assert request.data == b"hello"
    assert reply.data == b"hello 5 bytes from 198.51.100.2 port %d" % request.sport


def test_three_tries_leave_h1_and_one_reaches_www() -> None:
    at_h1, at_www = packets("retry-loss.h1-eth0"), packets("retry-loss.www-eth0")
    sent = [p for p in at_h1 if p.src == "192.168.1.11"]
    assert len(sent) == 3 and len(at_h1) == 4
    assert {p.data for p in sent} == {b"#5eed1d00 hello"}  # one request, resent
    assert len({p.sport for p in sent}) == 1
    gaps = [b.time - a.time for a, b in itertools.pairwise(sent)]
    assert 1 <= gaps[0] < 1.5 and 2 <= gaps[1] < 2.5  # the waits: 1 s, then 2 s
    assert [p.src for p in at_www] == ["198.51.100.2", "203.0.113.80"]
    assert at_www[0].data == sent[0].data
    assert at_h1[-1].data.startswith(b"#5eed1d00 15 bytes from 198.51.100.2 port ")


def test_modem_b_teaches_h4_the_path_mtu() -> None:
    at_h4 = packets("pmtu-h4.h4-eth0")
    assert [(p.proto, p.size) for p in at_h4] == [
        ("UDP", 1500),
        ("ICMP", 576),
        ("UDP", 1492),
        ("UDP", 72),
    ]
    too_big = at_h4[1]
    assert too_big.src == "192.168.1.1"  # modemB, on home B's network
    assert "fragmentation needed, mtu 1492" in too_big.icmp
    assert all(p.df for p in at_h4 if p.proto == "UDP")
    assert [len(p.data) for p in at_h4 if p.dport == 4242] == [1472, 1464]
    beyond = packets("pmtu-h4.modemB-wan")
    assert max(p.size for p in beyond) == 1492
    assert not [p for p in beyond if p.proto == "ICMP"]


def test_without_df_the_datagram_leaves_h1_in_three_fragments() -> None:
    at_h1 = packets("pmtu-fragment.h1-eth0")
    pieces = [p for p in at_h1 if p.fragment]
    assert [(p.size, p.offset, p.mf) for p in pieces] == [
        (1500, 0, True),
        (1500, 185, True),  # in units of 8 bytes: 1480 bytes in
        (68, 370, False),
    ]
    assert len({p.ip_id for p in pieces}) == 1
    assert not any(p.df for p in pieces)
    assert sum(len(p.data) for p in pieces) == 3000  # the first after UDP's header
    assert sum(p.size - 20 for p in pieces) == 3000 + 8  # IP carries both
    assert pieces[0].dport == 4242 and pieces[1].dport is None
    assert at_h1[-1].data == b"pmtu 3000 bytes from 198.51.100.2 port %d" % (
        pieces[0].sport
    )
