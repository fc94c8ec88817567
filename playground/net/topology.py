"""The network playground's topology, as data.

Twelve machines shaped like a tiny Internet. Everything else in this package
reads these tables: the builder makes namespaces, links, addresses, routes
and NAT rules from them, the DNS server takes its records from them, and
:func:`dot` draws them, so the picture in the book cannot drift from the
network the reader runs. Which services run on which host is the services'
own declaration (:mod:`playground.services`).

Two homes share the private range 192.168.1.0/24 on purpose (every home
router in the world hands out the same few ranges); h1 and h4 even have the
same address. Every public address comes from the documentation ranges of
RFC 5737, which never appear on the real Internet:

* 198.51.100.0/24: the ISP's customer links, one /30 per modem;
* 192.0.2.0/24: the links between the ISP, the backbone and example.com,
  and the DNS server's address, 192.0.2.53;
* 203.0.113.0/24: the example.com machine room.

Interfaces on routers are named after the machine at the other end (on
``isp``, the link to modemB is called ``modemB``), machines with a single
link call it ``eth0``, and a modem's LAN is a bridge called ``lan``, so a
capture command reads as what it watches: ``exec isp -- tcpdump -n -i modemB``.

>>> len(HOSTS), sorted(h.name for h in HOSTS if h.masquerade)
(12, ['modemA', 'modemB'])
>>> host('www').address, host('modemA').address
('203.0.113.80', '198.51.100.2')
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass


@dataclass(frozen=True)
class Port:
    """One end of a link: an interface on a host, with its address (an
    interface on a bridge has none: the bridge carries the address)."""

    host: str
    iface: str
    address: str | None = None  # "192.168.1.11/24"
    bridge: str | None = None  # enslaved to this bridge on the same host


@dataclass(frozen=True)
class Link:
    """A cable between two hosts (a veth pair)."""

    a: Port
    b: Port
    mtu: int = 1500
    note: str = ""


@dataclass(frozen=True)
class Bridge:
    """A switch built into a host (the modems' LAN ports, the machine room)."""

    host: str
    name: str
    address: str


@dataclass(frozen=True)
class Host:
    """A machine: one network namespace."""

    name: str
    kind: str  # "client", "router", "server"
    site: str  # a key of SITES
    fqdn: str | None = None  # its name in the playground's DNS
    routes: tuple[tuple[str, str], ...] = ()  # (destination, gateway)
    forwarding: bool = False
    masquerade: str | None = None  # NAT on this outgoing interface
    loopback: tuple[str, ...] = ()  # extra addresses on lo ("192.0.2.53/32")
    role: str = ""  # a few words for the figure (its services declare their host)

    @property
    def address(self) -> str:
        """The host's main address: its first public one if it has any
        (a modem's is on its uplink), else its first."""
        found = [ipaddress.ip_interface(a).ip for _i, a in addresses(self.name)]
        public = [ip for ip in found if any(ip in net for net in PUBLIC)]
        return str((public or found)[0])


#: Sites, in the order the figure draws them: (label, network shown).
SITES = {
    "homeA": ("Home network A", "192.168.1.0/24 (private)"),
    "homeB": ("Home network B", "192.168.1.0/24 (private)"),
    "isp": ("The ISP", "198.51.100.0/24"),
    "backbone": ("The backbone", "192.0.2.0/24"),
    "room": ("example.com machine room", "203.0.113.0/24"),
}

#: The DNS server's address (on backbone's lo), which every resolv.conf names.
DNS_ADDRESS = "192.0.2.53"

HOSTS: tuple[Host, ...] = (
    Host("h1", "client", "homeA", routes=(("default", "192.168.1.1"),), role="client"),
    Host("h2", "client", "homeA", routes=(("default", "192.168.1.1"),), role="client"),
    Host("h3", "client", "homeA", routes=(("default", "192.168.1.1"),), role="client"),
    Host(
        "modemA",
        "router",
        "homeA",
        fqdn="modema.example.net",
        routes=(("default", "198.51.100.1"),),
        forwarding=True,
        masquerade="wan",
        role="NAT router",
    ),
    Host("h4", "client", "homeB", routes=(("default", "192.168.1.1"),), role="client"),
    Host(
        "modemB",
        "router",
        "homeB",
        fqdn="modemb.example.net",
        routes=(("default", "198.51.100.5"),),
        forwarding=True,
        masquerade="wan",
        role="NAT router",
    ),
    Host(
        "isp",
        "router",
        "isp",
        fqdn="isp.example.net",
        routes=(("default", "192.0.2.1"),),
        forwarding=True,
        role="provider's router",
    ),
    Host(
        "backbone",
        "router",
        "backbone",
        fqdn="backbone.example.net",
        # No default route: like the Internet's core, it knows every network.
        routes=(("198.51.100.0/24", "192.0.2.2"), ("203.0.113.0/24", "192.0.2.6")),
        forwarding=True,
        loopback=(f"{DNS_ADDRESS}/32",),
        role="router and DNS server",
    ),
    Host(
        "example",
        "router",
        "room",
        fqdn="gw.example.com",
        routes=(("default", "192.0.2.5"),),
        forwarding=True,
        role="gateway of the machine room",
    ),
    Host(
        "www",
        "server",
        "room",
        fqdn="www.example.com",
        routes=(("default", "203.0.113.1"),),
        loopback=("203.0.113.81/32",),  # httpbin.example.com
        role="HTTP and HTTPS: the geocoder",
    ),
    Host(
        "mail",
        "server",
        "room",
        fqdn="mail.example.com",
        routes=(("default", "203.0.113.1"),),
        role="SMTP, POP3 and IMAP",
    ),
    Host(
        "ftp",
        "server",
        "room",
        fqdn="ftp.example.com",
        routes=(("default", "203.0.113.1"),),
        role="FTP and Telnet",
    ),
)

BRIDGES: tuple[Bridge, ...] = (
    Bridge("modemA", "lan", "192.168.1.1/24"),
    Bridge("modemB", "lan", "192.168.1.1/24"),
    Bridge("example", "room", "203.0.113.1/24"),
)

LINKS: tuple[Link, ...] = (
    Link(Port("h1", "eth0", "192.168.1.11/24"), Port("modemA", "h1", bridge="lan")),
    Link(Port("h2", "eth0", "192.168.1.12/24"), Port("modemA", "h2", bridge="lan")),
    Link(Port("h3", "eth0", "192.168.1.13/24"), Port("modemA", "h3", bridge="lan")),
    Link(Port("h4", "eth0", "192.168.1.11/24"), Port("modemB", "h4", bridge="lan")),
    Link(
        Port("modemA", "wan", "198.51.100.2/30"),
        Port("isp", "modemA", "198.51.100.1/30"),
    ),
    Link(
        Port("modemB", "wan", "198.51.100.6/30"),
        Port("isp", "modemB", "198.51.100.5/30"),
        mtu=1492,
        note="MTU 1492 (PPPoE-sized)",
    ),
    Link(
        Port("isp", "backbone", "192.0.2.2/30"), Port("backbone", "isp", "192.0.2.1/30")
    ),
    Link(
        Port("backbone", "example", "192.0.2.5/30"),
        Port("example", "backbone", "192.0.2.6/30"),
    ),
    Link(Port("example", "www", bridge="room"), Port("www", "eth0", "203.0.113.80/24")),
    Link(
        Port("example", "mail", bridge="room"), Port("mail", "eth0", "203.0.113.25/24")
    ),
    Link(Port("example", "ftp", bridge="room"), Port("ftp", "eth0", "203.0.113.21/24")),
)

#: Extra names in the playground's DNS: (name, type, value).
ALIASES: tuple[tuple[str, str, str], ...] = (
    ("example.com", "A", "203.0.113.80"),
    ("example.com", "MX", "10 mail.example.com"),
    ("geocoder.example.com", "CNAME", "www.example.com"),
    ("smtp.example.com", "CNAME", "mail.example.com"),
    ("pop.example.com", "CNAME", "mail.example.com"),
    ("imap.example.com", "CNAME", "mail.example.com"),
    ("httpbin.example.com", "A", "203.0.113.81"),
    ("ns.example.com", "A", DNS_ADDRESS),
)
#: The RFC 5737 ranges every public address comes from.
PUBLIC = tuple(
    ipaddress.ip_network(n)
    for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24")
)
#: The zones the DNS server answers for with authority.
ZONES = ("example.com", "example.net")


def host(name: str) -> Host:
    """The host called *name* (KeyError if there is none)."""
    for h in HOSTS:
        if h.name == name:
            return h
    raise KeyError(name)


def addresses(name: str) -> list[tuple[str, str]]:
    """``(interface, address/prefix)`` for every address of host *name*,
    bridges and links first, then extra loopback addresses.

    >>> addresses('backbone')
    [('isp', '192.0.2.1/30'), ('example', '192.0.2.5/30'), ('lo', '192.0.2.53/32')]
    """
    found = [(b.name, b.address) for b in BRIDGES if b.host == name]
    for link in LINKS:
        found += [
            (p.iface, p.address)
            for p in (link.a, link.b)
            if p.host == name and p.address
        ]
    found += [("lo", a) for a in host(name).loopback]
    return found


def dns_records() -> list[tuple[str, str, str]]:
    """Every record the playground's DNS server holds: ``(name, type, value)``.

    Each host with a name gets an A record for its main address and a PTR
    record for each public address (so ``tracepath`` and ``tcpdump`` can
    show names); :data:`ALIASES` adds the rest.

    >>> [r for r in dns_records() if r[0] == 'www.example.com']
    [('www.example.com', 'A', '203.0.113.80')]
    >>> ('80.113.0.203.in-addr.arpa', 'PTR', 'www.example.com') in dns_records()
    True
    """
    records: list[tuple[str, str, str]] = []
    for h in HOSTS:
        if not h.fqdn:
            continue
        records.append((h.fqdn, "A", h.address))
        for _iface, cidr in addresses(h.name):
            ip = ipaddress.ip_interface(cidr).ip
            if any(ip in net for net in PUBLIC):
                records.append((ip.reverse_pointer, "PTR", h.fqdn))
    # The DNS server's own address answers to its own name.
    records = [
        r for r in records if r[0] != ipaddress.ip_address(DNS_ADDRESS).reverse_pointer
    ]
    records.append(
        (ipaddress.ip_address(DNS_ADDRESS).reverse_pointer, "PTR", "ns.example.com")
    )
    return records + list(ALIASES)
