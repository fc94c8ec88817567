"""Subnets, kinds of address, edge routing and IPv4 fragments, with ipaddress.

Try: info 192.168.5.10/24, classify 10.1.2.3 ::1, route 8.8.8.8, fragments 4000
"""

import argparse
import ipaddress
import json
from typing import Any

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Interface = ipaddress.IPv4Interface | ipaddress.IPv6Interface
HEADER = 20  # bytes in an IPv4 header without options
# ANCHOR: ranges
# Ranges ipaddress has no property for (its is_private covers them all).
RANGES = {
    # RFC 5737, and RFC 3849 and RFC 9637 (2024) for IPv6
    "documentation": "192.0.2.0/24 198.51.100.0/24 203.0.113.0/24"
    " 2001:db8::/32 3fff::/20",
    "shared": "100.64.0.0/10",  # RFC 6598: carrier-grade NAT
    "private": "10.0.0.0/8 172.16.0.0/12 192.168.0.0/16",  # RFC 1918
    "unique-local": "fc00::/7",  # RFC 4193; only fd00::/8 is in use
}
# ANCHOR_END: ranges


def kind(address: Address) -> str:
    """Name the most specific kind of range ADDRESS is in.

    >>> address = ipaddress.ip_address("192.0.2.1")
    >>> address.is_private, kind(address)
    (True, 'documentation')
    """
    # A dict keeps its order: the narrow kinds first, the broad ones last.
    checks = {
        "unspecified": address.is_unspecified,
        "loopback": address.is_loopback,
        "link-local": address.is_link_local,
        "multicast": address.is_multicast,
    }
    for name, networks in RANGES.items():
        nets = [ipaddress.ip_network(net) for net in networks.split()]
        checks[name] = any(address in net for net in nets)
    checks |= {"reserved": address.is_reserved, "global": address.is_global}
    return next((name for name, hit in checks.items() if hit), "special")


def info(interface: Interface) -> dict[str, Any]:
    """Describe the subnet around an address with a prefix, as ipcalc does."""
    net = interface.network
    tiny = net.num_addresses <= 2  # /31 and /32 (/127, /128): all usable
    broadcast = net.version == 4 and not tiny  # IPv6 has no broadcast address
    first = net.network_address + (0 if tiny else 1)  # IPv6: routers' anycast
    last = net.broadcast_address - (1 if broadcast else 0)
    return {
        "network": str(net),
        "netmask": str(net.netmask),
        "prefixlen": net.prefixlen,
        "broadcast": str(net.broadcast_address) if broadcast else None,
        "first": str(first),
        "last": str(last),
        "hosts": int(last) - int(first) + 1,
        "kind": kind(interface.ip),
    }


def route(
    destination: Address, host: Interface, gateway: Address
) -> dict[str, Any]:
    """Decide, as an edge host does, where a packet for DESTINATION goes."""
    if gateway not in host.network:
        raise ValueError(
            f"gateway {gateway} is not on the local subnet {host.network}"
        )
    if destination.version != host.version:
        raise ValueError(f"{destination} and {host} are different IP versions")
    if destination.is_loopback or destination == host.ip:
        decision, hop = "loopback", None  # it never reaches a network card
    elif destination in host.network:
        decision, hop = "direct", str(destination)  # across the local link
    else:
        decision, hop = "gateway", str(gateway)  # the router takes it on
    return {
        "destination": str(destination),
        "subnet": str(host.network),
        "route": decision,
        "next_hop": hop,
    }


def fragments(size: int, mtu: int) -> dict[str, Any]:
    """Split an IPv4 datagram of SIZE bytes (header included) to fit the MTU.

    >>> [piece["data"] for piece in fragments(4000, mtu=1500)["fragments"]]
    [1480, 1480, 1020]
    """
    if mtu < 68:
        raise ValueError(f"MTU {mtu} is below 68, the least IPv4 allows")
    if not HEADER <= size <= 65535:
        raise ValueError(
            f"size {size} is not between {HEADER} and 65535 bytes"
        )
    data = size - HEADER
    if size <= mtu:  # it fits: one piece, at offset 0
        step, offsets = data, range(1)
    else:  # the header counts offsets in 8-byte units: cut at multiples of 8
        step = (mtu - HEADER) // 8 * 8
        offsets = range(0, data, step)
    pieces = []
    for offset in offsets:
        length = min(step, data - offset)
        pieces.append(
            {
                "offset": offset,
                "offset_field": offset // 8,
                "data": length,
                "length": HEADER + length,
                "more_fragments": offset + length < data,
            }
        )
    count = len(pieces)
    return {"size": size, "mtu": mtu, "count": count, "fragments": pieces}


def show(result: dict[str, Any]) -> None:
    """Print RESULT as aligned lines, and its list of fragments as a table."""
    pieces = result.pop("fragments", [])
    width = max(map(len, result))
    for key, value in result.items():
        print(f"{key:<{width}}  {'none' if value is None else value}")
    row = "{:>6}  {:>6}  {:>5}  {:>6}  {:>2}"  # offset field data length MF
    if pieces:
        print(row.format("offset", "field", "data", "length", "MF"))
    for piece in pieces:
        print(row.format(*piece.values()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    cmd = {
        name: commands.add_parser(name, help=text)
        for name, text in [
            ("info", "describe a subnet"),
            ("classify", "name each address's kind"),
            ("route", "pick the next hop"),
            ("fragments", "split an IPv4 datagram"),
        ]
    }
    for sub in cmd.values():
        sub.add_argument(
            "--json", action="store_true", help="print JSON, not text"
        )
    cmd["info"].add_argument(
        "cidr",
        type=ipaddress.ip_interface,
        help="a network (10.0.0.0/8) or host (10.1.2.3/8)",
    )
    cmd["classify"].add_argument(
        "address", nargs="+", type=ipaddress.ip_address
    )
    cmd["route"].add_argument("destination", type=ipaddress.ip_address)
    cmd["route"].add_argument(
        "--address",
        type=ipaddress.ip_interface,
        default="192.168.5.10/24",
        help="default: %(default)s",
    )
    cmd["route"].add_argument(
        "--gateway",
        type=ipaddress.ip_address,
        default="192.168.5.1",
        help="default: %(default)s",
    )
    cmd["fragments"].add_argument(
        "size", type=int, help="bytes, with the 20-byte header"
    )
    cmd["fragments"].add_argument(
        "--mtu", type=int, default=1500, help="default: %(default)s (Ethernet)"
    )
    args = parser.parse_args()
    try:
        match args.command:
            case "info":
                result = info(args.cidr)
            case "classify":
                result = {str(a): kind(a) for a in args.address}
            case "route":
                result = route(args.destination, args.address, args.gateway)
            case _:
                result = fragments(args.size, args.mtu)
    except ValueError as exc:
        parser.error(str(exc))
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        show(result)


if __name__ == "__main__":
    main()
