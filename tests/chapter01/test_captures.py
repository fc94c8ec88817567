"""What chapter 1 says about its packet captures, checked on the committed
pcaps (book/transcripts/chapter01/*.pcap): these tests need no root."""

from __future__ import annotations

from tools import captures, paths

FOLDER = paths.TRANSCRIPTS / "chapter01"


def packets(name: str) -> list[captures.Packet]:
    return captures.read_pcap(FOLDER / f"{name}.pcap")


def test_nat_rewrites_the_address_and_nothing_else() -> None:
    inside, outside = packets("nat-search2.h1-eth0"), packets("nat-search2.modemA-wan")
    assert len(inside) == len(outside) == 12
    for a, b in zip(inside, outside, strict=True):
        assert {a.src, a.dst} - {b.src, b.dst} == {"192.168.1.11"}
        assert {b.src, b.dst} - {a.src, a.dst} == {"198.51.100.2"}
        assert (a.sport, a.dport, a.flags, a.size, a.data) == (
            b.sport, b.dport, b.flags, b.size, b.data
        )  # fmt: skip


def test_no_packet_on_the_pppoe_sized_path_is_larger_than_its_mtu() -> None:
    """With the veth offloads off (playground.net.build), the sizes are true."""
    at_h4 = packets("pmtu-h4.h4-eth0")
    assert max(p.size for p in at_h4) == 1492
    assert not [p for p in at_h4 if p.proto == "ICMP"]


def test_www_learns_the_path_mtu_from_isp() -> None:
    at_www = packets("pmtu-h4.www-eth0")
    too_big = [p for p in at_www if p.proto == "ICMP"]
    assert too_big and all(
        p.src == "192.0.2.2" and "fragmentation needed, mtu 1492" in p.icmp
        for p in too_big
    )
    first = at_www.index(too_big[0])
    assert max(p.size for p in at_www[:first]) == 1500
    assert max(p.size for p in at_www[first:]) == 1492
