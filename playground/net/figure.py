"""The playground drawn from its own tables, as Graphviz ``dot`` text.

``python -m playground.net dot`` prints it; the book's figure is made from
that output, so the picture shows the network the code builds.

>>> text = dot()
>>> 'graph playground {' in text and text.rstrip().endswith('}')
True
>>> 'modemB -- isp' in text and '1492' in text
True
"""

from __future__ import annotations

import ipaddress

from playground.net import topology

HEADER = """\
// The network playground: twelve machines shaped like a tiny Internet.
// Generated from playground/net/topology.py by `python -m playground.net dot`
// (`make figures` rewrites this file); edit the topology, not this file.
graph playground {
    graph [rankdir=LR, fontname="Helvetica", fontsize=11, nodesep=0.25,
           ranksep=0.45, labeljust=l, style="rounded", color="#888888",
           bgcolor="transparent"];
    node  [shape=box, style="rounded,filled", fillcolor="#f4f4f4",
           color="#555555", fontname="Helvetica", fontsize=10, margin="0.12,0.05"];
    edge  [color="#555555", fontname="Helvetica", fontsize=9];
"""
ROUTER_FILL = "#e3ecf7"


def _extra(address: str) -> str:
    """An extra address, with what answers there: "DNS 192.0.2.53", or the
    short name its A record gives it ("httpbin 203.0.113.81")."""
    if address == topology.DNS_ADDRESS:
        return f"DNS {address}"
    names = [
        n for n, kind, value in topology.ALIASES if (kind, value) == ("A", address)
    ]
    return f"{names[0].split('.')[0]} {address}" if names else address


def _node(h: topology.Host) -> str:
    lines = [h.name, h.role]
    if h.kind != "router":
        lines.append(h.address)
    elif h.masquerade:
        lines.append(f"public {h.address}")
    lines += [_extra(str(ipaddress.ip_interface(a).ip)) for a in h.loopback]
    label = "\\n".join(lines)
    fill = f', fillcolor="{ROUTER_FILL}"' if h.kind == "router" else ""
    return f'{h.name} [label="{label}"{fill}];'


def _edge(link: topology.Link) -> str:
    labels = []
    if link.a.address and link.b.address:
        labels.append(str(ipaddress.ip_interface(link.a.address).network))
    if link.note:
        labels.append(link.note)
    attrs = []
    if labels:
        attrs.append('label="' + "\\n".join(labels) + '"')
    if link.mtu != 1500:
        attrs.append("style=bold")
    tail = f" [{', '.join(attrs)}]" if attrs else ""
    return f"{link.a.host} -- {link.b.host}{tail};"


def dot() -> str:
    """The topology as a Graphviz graph."""
    out = [HEADER]
    for site, (title, network) in topology.SITES.items():
        hosts = [h for h in topology.HOSTS if h.site == site]
        out.append(f"    subgraph cluster_{site} {{")
        out.append(f'        label="{title}\\l{network}\\l";')
        out += [f"        {_node(h)}" for h in hosts]
        out.append("    }\n")
    out += [f"    {_edge(link)}" for link in topology.LINKS]
    out.append("}\n")
    return "\n".join(out)
