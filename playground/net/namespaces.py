"""The playground's namespaces and the links between them, as ``ip`` and
``nft`` commands made from :mod:`playground.net.topology`.

* one network namespace per host, called PREFIX + host name (``pow-h1``);
* veth pairs and bridges, created straight inside their namespaces (their
  names never exist in the host's own namespace, so they cannot collide
  with the host's interfaces, and they vanish with their namespaces);
* addresses and static routes, forwarding on routers, and masquerading
  (nftables) on the modems;
* the veths' offloads off, so captures show the segments that crossed.

Nothing connects a namespace to the host's own network: no link, address or
route leads out, so the playground's packets never leave it.
"""

from __future__ import annotations

import os
from pathlib import Path

from playground.net import topology
from playground.net.system import run, run_all
from playground.net.topology import HOSTS, Host

NETNS_RUN = Path("/run/netns")

NAT_RULES = """\
# NAT on {host}: connections from the home network leave with the address of
# {wan}; replies find their way back through connection tracking. Nothing
# from outside may start a connection towards the home network.
table ip playground {{
    chain postrouting {{
        type nat hook postrouting priority srcnat; policy accept;
        oifname "{wan}" masquerade
    }}
    chain forward {{
        type filter hook forward priority filter; policy accept;
        iifname "{wan}" ct state new,invalid drop
    }}
}}
"""


def link_commands() -> list[str]:
    """``ip -batch`` lines, run in the host's namespace, that create every
    bridge and cable straight inside the namespaces (PREFIX filled in later)."""
    lines = [
        f"link add {b.name} netns {{p}}{b.host} type bridge" for b in topology.BRIDGES
    ]
    for link in topology.LINKS:
        a, b = link.a, link.b
        lines.append(
            f"link add {a.iface} netns {{p}}{a.host} mtu {link.mtu} type veth"
            f" peer name {b.iface} netns {{p}}{b.host} mtu {link.mtu}"
        )
    return lines


def host_commands(host: Host) -> list[str]:
    """``ip -batch`` lines run inside *host*'s namespace: ports into bridges,
    no IPv6 link-local addresses (quiet captures), interfaces up, addresses,
    routes."""
    ports = [
        p for link in topology.LINKS for p in (link.a, link.b) if p.host == host.name
    ]
    bridges = [b for b in topology.BRIDGES if b.host == host.name]
    lines = ["link set lo up"]
    for dev in [b.name for b in bridges] + [p.iface for p in ports]:
        lines.append(f"link set {dev} addrgenmode none")
    lines += [f"link set {p.iface} master {p.bridge}" for p in ports if p.bridge]
    lines += [f"link set {b.name} up" for b in bridges]
    lines += [f"link set {p.iface} up" for p in ports]
    lines += [
        f"addr add {cidr} dev {iface}" for iface, cidr in topology.addresses(host.name)
    ]
    lines += [f"route add {dest} via {gateway}" for dest, gateway in host.routes]
    return lines


#: Offloads turned off on every veth end, so that what tcpdump shows is what
#: crossed the link: with them on, the kernel hands a veth "segments" of up to
#: 64 KB (segmentation and receive coalescing offloads), and leaves checksums
#: for hardware that a veth does not have, so a capture shows TCP segments
#: larger than the link's MTU and checksums that look wrong.
OFFLOADS = "tso off gso off gro off tx off"


def offload_script(host: Host) -> str | None:
    """Shell commands run inside *host*'s namespace that turn the offloads
    off on each of its veth ends (None for a host with none)."""
    ifaces = [
        p.iface
        for link in topology.LINKS
        for p in (link.a, link.b)
        if p.host == host.name
    ]
    if not ifaces:
        return None
    return " && ".join(f"ethtool -K {iface} {OFFLOADS}" for iface in ifaces)


def host_script(host: Host) -> tuple[str, str | None] | None:
    """What runs in one shell inside *host*'s namespace once its links are
    made (a script and its standard input), or None for nothing: the veth
    offloads off (:func:`offload_script`); on routers, forwarding, then NAT
    rules on the modems. Other per-host settings (``sysctl``) belong here."""
    steps = []
    stdin = None
    offloads = offload_script(host)
    if offloads:
        steps.append(offloads)
    if host.forwarding:
        steps.append("echo 1 > /proc/sys/net/ipv4/ip_forward")
    if host.masquerade:
        steps.append("nft -f -")
        stdin = NAT_RULES.format(host=host.name, wan=host.masquerade)
    return (" && ".join(steps), stdin) if steps else None


def create(prefix: str) -> None:
    """Add every host's namespace (the first step; fast)."""
    run(["ip", "-batch", "-"], "".join(f"netns add {prefix}{h.name}\n" for h in HOSTS))


def connect(prefix: str) -> None:
    """Make the links, then set up every host side by side."""
    run(
        ["ip", "-batch", "-"],
        "".join(line.format(p=prefix) + "\n" for line in link_commands()),
    )
    commands: list[tuple[list[str], str | None]] = [
        (
            ["ip", "-n", prefix + h.name, "-batch", "-"],
            "".join(f"{c}\n" for c in host_commands(h)),
        )
        for h in HOSTS
    ]
    for h in HOSTS:
        found = host_script(h)
        if found:
            script, stdin = found
            ns = prefix + h.name
            commands.append((["ip", "netns", "exec", ns, "sh", "-c", script], stdin))
    run_all(commands)


def existing(prefix: str) -> list[str]:
    """The namespaces with *prefix* that exist now."""
    try:
        names = os.listdir(NETNS_RUN)
    except OSError:
        return []
    return sorted(n for n in names if n.startswith(prefix))


def inode(path: Path) -> int | None:
    """The inode of a namespace file (what ``/proc/PID/ns/net`` of its
    processes shows), or None if it is gone."""
    try:
        return path.stat().st_ino
    except OSError:
        return None


def remove(names: list[str]) -> None:
    """Delete these namespaces (with their links, addresses, routes, rules)."""
    if names:
        run(["ip", "-batch", "-"], "".join(f"netns del {n}\n" for n in names))


def remove_stray_links(prefix: str) -> None:
    """Links are made inside the namespaces, but should a link with *prefix*
    ever be left in the host's namespace, remove it."""
    out = run(["ip", "-o", "link", "show"])
    names = [
        line.split(":")[1].strip().split("@")[0]
        for line in out.splitlines()
        if ":" in line
    ]
    for name in names:
        if name.startswith(prefix):
            run(["ip", "link", "del", name])
