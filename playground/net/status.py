"""How the network playground is: each host's namespace, addresses and
services (``python -m playground.net status``)."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass

from playground import services
from playground.net.processes import Process, alive
from playground.net.topology import HOSTS
from playground.services import readiness


@dataclass
class HostStatus:
    """What ``status`` reports about one host."""

    host: str
    exists: bool
    addresses: list[str]  # "192.168.1.11/24 eth0"
    services: list[tuple[str, bool]]  # ("geocoder tcp/80+tcp/443", listening)

    @property
    def healthy(self) -> bool:
        return self.exists and all(ok for _name, ok in self.services)


def status(prefix: str, existing: set[str], procs: list[Process]) -> list[HostStatus]:
    """Every host: whether its namespace exists, its addresses, and whether
    each of its services runs and listens on all its ports."""
    by_name = {(p.host, p.service): p for p in procs}
    addrs = addresses(prefix, [h.name for h in HOSTS if prefix + h.name in existing])
    rows = []
    for h in HOSTS:
        found = []
        for s in services.on_host(h.name):
            p = by_name.get((h.name, s.name))
            want = readiness.wanted(s, {})
            ok = bool(p and alive(p.pid) and want <= readiness.listening(p.pid))
            found.append((f"{s.name} {'+'.join(x.label for x in s.ports)}", ok))
        exists = prefix + h.name in existing
        rows.append(HostStatus(h.name, exists, addrs.get(h.name, []), found))
    return rows


def addresses(prefix: str, hosts: list[str]) -> dict[str, list[str]]:
    """Each host's IPv4 addresses but 127.0.0.1, asked of ``ip`` side by side."""
    procs = {
        h: subprocess.Popen(
            ["ip", "-n", prefix + h, "-j", "-4", "addr", "show"],
            stdout=subprocess.PIPE,
            text=True,
        )
        for h in hosts
    }
    found: dict[str, list[str]] = {}
    for h, proc in procs.items():
        out, _ = proc.communicate()
        try:
            data = json.loads(out or "[]")
        except ValueError:
            data = []
        found[h] = [
            f"{a['local']}/{a['prefixlen']} {i['ifname']}"
            for i in data
            for a in i.get("addr_info", [])
            if a["local"] != "127.0.0.1"
        ]
    return found
