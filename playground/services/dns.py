"""The playground's DNS server, which runs on ``backbone`` (192.0.2.53).

It plays every part the real DNS splits between many machines: it holds the
records of example.com and example.net (the names in
:func:`playground.net.topology.dns_records`), answers reverse lookups for
the public addresses, and says "no such name" (NXDOMAIN) for everything
else, because in the playground nothing else exists. Each host's
``/etc/resolv.conf`` points at it, so the ordinary resolver of every program
in the playground asks it.

>>> from dnslib import DNSRecord
>>> reply = Zone().answer(DNSRecord.question('geocoder.example.com', 'A'))
>>> for r in reply.rr:
...     print(r.rname, QTYPE[r.rtype], r.rdata)
geocoder.example.com. CNAME www.example.com.
www.example.com. A 203.0.113.80
>>> RCODE[Zone().answer(DNSRecord.question('www.python.org', 'A')).header.rcode]
'NXDOMAIN'
"""

from __future__ import annotations

import sys
import threading

from dnslib import CNAME, MX, NS, PTR, QTYPE, RCODE, RR, SOA, A, DNSRecord
from dnslib.server import BaseResolver, DNSLogger, DNSServer

from playground.net import topology
from playground.services.spec import Context, Port, Service

TTL = 60
SERIAL = 2025010101


def _rdata(rtype: str, value: str) -> A | CNAME | MX | PTR | NS | SOA:
    if rtype == "SOA":
        return SOA(
            "ns.example.com", "hostmaster.example.com", (SERIAL, 3600, 600, 86400, TTL)
        )
    if rtype == "A":
        return A(value)
    if rtype == "CNAME":
        return CNAME(value)
    if rtype == "PTR":
        return PTR(value)
    if rtype == "NS":
        return NS(value)
    if rtype == "MX":
        preference, exchange = value.split()
        return MX(exchange, int(preference))
    raise ValueError(f"no record type {rtype}")


class Zone(BaseResolver):
    """The records, and the answer to one question."""

    def __init__(self, records: list[tuple[str, str, str]] | None = None) -> None:
        self.records: dict[str, list[tuple[str, str]]] = {}
        for name, rtype, value in (
            records if records is not None else topology.dns_records()
        ):
            self.records.setdefault(name.lower().rstrip("."), []).append((rtype, value))
        # The reverse zones of the three public ranges.
        reverse = [
            ".".join(str(n.network_address).split(".")[2::-1]) + ".in-addr.arpa"
            for n in topology.PUBLIC
        ]
        self.zones = [*topology.ZONES, *reverse]
        for zone in self.zones:
            self.records.setdefault(zone, []).extend(
                [("SOA", ""), ("NS", "ns.example.com")]
            )

    def zone_of(self, name: str) -> str | None:
        for zone in self.zones:
            if name == zone or name.endswith("." + zone):
                return zone
        return None

    def soa(self, zone: str) -> RR:
        return RR(zone, QTYPE.SOA, ttl=TTL, rdata=_rdata("SOA", ""))

    def answer(self, request: DNSRecord) -> DNSRecord:
        """The reply to *request*, with authority, as a DNS message."""
        reply = request.reply(ra=1, aa=1)
        qname = str(request.q.qname).lower().rstrip(".")
        qtype = QTYPE[request.q.qtype]
        name, seen = qname, set()
        while name in self.records and name not in seen:
            seen.add(name)
            found = self.records[name]
            wanted = [(t, v) for t, v in found if qtype in (t, "ANY")]
            for rtype, value in wanted:
                reply.add_answer(
                    RR(name, getattr(QTYPE, rtype), ttl=TTL, rdata=_rdata(rtype, value))
                )
            cname = [v for t, v in found if t == "CNAME"]
            if wanted or not cname:
                break
            reply.add_answer(RR(name, QTYPE.CNAME, ttl=TTL, rdata=CNAME(cname[0])))
            name = cname[0].lower().rstrip(".")
        if not reply.rr:
            zone = self.zone_of(qname)
            if qname not in self.records and not any(
                n.endswith("." + qname) for n in self.records
            ):
                reply.header.rcode = RCODE.NXDOMAIN
            if zone:
                reply.add_auth(self.soa(zone))
        return reply

    def resolve(self, request: DNSRecord, handler: object) -> DNSRecord:
        return self.answer(request)


class ErrorsOnly(DNSLogger):
    """Log nothing but errors, in one line each, to stderr."""

    def __init__(self) -> None:
        super().__init__(
            "error",
            prefix=False,
            logf=lambda text: print(text, file=sys.stderr, flush=True),
        )


class DNSRun:
    """The zone served over UDP and TCP on one port number, bound."""

    def __init__(self, servers: list[DNSServer]) -> None:
        self.servers = servers
        udp, tcp = (int(s.server.server_address[1]) for s in servers)
        self.ports = {"dns": udp, "dns-tcp": tcp}
        self.threads: list[threading.Thread] = []

    def start(self) -> None:
        for server in self.servers:
            thread = threading.Thread(
                target=server.server.serve_forever, args=(0.1,), daemon=True
            )
            thread.start()
            self.threads.append(thread)

    def stop(self) -> None:
        if self.threads:
            for server in self.servers:
                server.server.shutdown()
        for server in self.servers:
            server.server.server_close()
        for thread in self.threads:
            thread.join()
        self.threads.clear()


def serve(ctx: Context) -> DNSRun:
    """Bind UDP, then TCP on the same port number (on loopback, a free one)."""
    zone = Zone()
    udp = DNSServer(
        zone, address=ctx.address, port=ctx.ports["dns"], logger=ErrorsOnly()
    )
    port = int(udp.server.server_address[1])
    try:
        tcp = DNSServer(
            zone,
            address=ctx.address,
            port=ctx.ports["dns-tcp"] or port,
            tcp=True,
            logger=ErrorsOnly(),
        )
    except BaseException:
        udp.server.server_close()
        raise
    return DNSRun([udp, tcp])


SERVICE = Service(
    name="dns",
    summary="DNS server of example.com and example.net",
    host="backbone",
    ports=(Port("dns", "udp", 53), Port("dns-tcp", "tcp", 53)),
    serve=serve,
    bind=topology.DNS_ADDRESS,
)
