"""The playground's services, one module each, and the registry of them.

Each module declares one :class:`~playground.services.spec.Service`: how it
starts, how readiness is known, its ports, the playground host it runs on
and the names its certificate needs. :data:`REGISTRY` lists them; the
loopback runner (:class:`~playground.loopback.Playground`) and
the network playground (``playground.net.processes``) both read it, so
adding a service is adding a module and one line here:

1. ``playground/services/NAME.py`` declares ``SERVICE = Service(...)``: its
   name, a summary, the host it runs on (a host of
   ``playground.net.topology``), its ports, the names its certificate
   needs (if a port is TLS), and either ``serve`` (Python: bind on
   ``ctx.address`` and ``ctx.ports``, return an object with ``ports``,
   ``start()`` and ``stop()``) or ``command`` (a program that stays in the
   foreground and logs to its output; its configuration goes in
   ``ctx.work``), and ``ready`` if listening ports do not mean ready;
2. :data:`REGISTRY` lists it;
3. a name clients use goes in the topology's DNS (``fqdn`` or ``ALIASES``);
4. tests start it with ``Playground(services=["NAME"])`` on loopback, and
   ``python -m playground.net status`` shows it ``up`` on its host.

>>> [(s.name, s.host) for s in REGISTRY][:8]  # doctest: +NORMALIZE_WHITESPACE
[('geocoder', 'www'), ('dns', 'backbone'), ('smtp', 'mail'), ('pop-imap', 'mail'),
 ('ftp', 'ftp'), ('telnet', 'ftp'), ('httpbin', 'www'), ('httpbin-tls', 'www')]
>>> from playground.net import topology
>>> sorted(s.host for s in REGISTRY if s.name.startswith('ssh-')) == sorted(
...     h.name for h in topology.HOSTS)
True
>>> named('geocoder').port('https').label
'tcp/443'
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from playground.services import dns, ftp, geocoder, httpbin, pop_imap, smtp, ssh, telnet
from playground.services.spec import Context, Port, Running, Service

if TYPE_CHECKING:
    from playground.loopback import Playground, url_host

__all__ = [
    "REGISTRY",
    "Context",
    "Playground",
    "Port",
    "Running",
    "Service",
    "url_host",
]

#: Every service, in the order the runners start them (slowest first).
#:
#: :meta hide-value:
REGISTRY: tuple[Service, ...] = (
    geocoder.SERVICE,
    dns.SERVICE,
    smtp.SERVICE,
    pop_imap.SERVICE,
    ftp.SERVICE,
    telnet.SERVICE,
    *httpbin.SERVICES,
    *ssh.SERVICES,
)


def named(name: str) -> Service:
    """The service called *name* (:class:`KeyError` naming the others if none)."""
    for service in REGISTRY:
        if service.name == name:
            return service
    known = ", ".join(s.name for s in REGISTRY)
    raise KeyError(f"no service {name!r} in the playground (services: {known})")


def on_host(host: str) -> tuple[Service, ...]:
    """The services that run on *host* in the network playground."""
    return tuple(s for s in REGISTRY if s.host == host)


def __getattr__(name: str) -> Any:
    # The loopback runner imports this registry, so it is imported on demand.
    if name in ("Playground", "url_host"):
        from playground import loopback

        return getattr(loopback, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
