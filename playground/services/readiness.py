"""How a runner knows a started service is ready: its ports listen, and,
if it declares ``ready``, a line of its output matches.

>>> import re
>>> bool(re.search(r'^ready$', 'starting\\nready\\n', re.M))
True
"""

from __future__ import annotations

import re
import socket
from pathlib import Path

from playground.services.spec import Service

#: Socket states in ``/proc/net/*``: TCP LISTEN, and UDP's unconnected state.
_LISTEN = {"tcp": "0A", "udp": "07"}


def listening(pid: int) -> set[tuple[str, int]]:
    """``("tcp", port)`` and ``("udp", port)`` sockets bound, IPv4 or IPv6, in
    *pid*'s network namespace (``/proc/PID/net`` shows the namespace of PID);
    empty where there is no such file."""
    found = set()
    for proto, state in _LISTEN.items():
        for table in (proto, f"{proto}6"):
            try:
                rows = Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]
            except OSError:
                continue
            for row in rows:
                fields = row.split()
                if fields[3] == state:
                    found.add((proto, int(fields[1].rsplit(":", 1)[1], 16)))
    return found


def wanted(service: Service, ports: dict[str, int]) -> set[tuple[str, int]]:
    """The ``(proto, number)`` pairs *service* must have listening."""
    return {(p.proto, ports.get(p.name, p.number)) for p in service.ports}


def line_seen(service: Service, output: str) -> bool:
    """Whether *output* shows *service* ready (always, if it declares no line)."""
    return service.ready is None or re.search(service.ready, output, re.M) is not None


def accepts(address: str, port: int) -> bool:
    """Whether a TCP connection to *address* port *port* is accepted now."""
    try:
        socket.create_connection((address, port), timeout=0.5).close()
    except OSError:
        return False
    return True
