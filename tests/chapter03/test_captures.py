"""What chapter 3 says about its packet captures, checked on the committed
pcaps (book/transcripts/chapter03/*.pcap): these tests need no root."""

from __future__ import annotations

import struct

from tools import captures, paths

FOLDER = paths.TRANSCRIPTS / "chapter03"
SYN, ACK, FIN, RST = 0x02, 0x10, 0x01, 0x04


def packets(name: str) -> list[captures.Packet]:
    return captures.read_pcap(FOLDER / f"{name}.pcap")


def mss(packet: captures.Packet) -> int:
    [value] = [v for kind, v in packet.options if kind == 2]
    return int(struct.unpack("!H", value)[0])


def test_a_closed_port_answers_the_syn_with_a_reset() -> None:
    syn, reset = packets("refused.www-eth0")
    assert (syn.flags, syn.dport) == (SYN, 1070)
    assert reset.flags == RST | ACK and reset.ack == syn.seq + 1


def test_a_dropped_syn_is_resent_after_a_second_and_never_answered() -> None:
    seen = packets("dropped.www-eth0")
    assert len(seen) >= 2 and all(p.flags == SYN and p.dport == 1070 for p in seen)
    assert len({p.seq for p in seen}) == 1  # the same SYN, again
    assert 0.9 < seen[1].time - seen[0].time < 1.5
    assert seen[-1].time - seen[0].time < 1.5  # the client's --timeout
