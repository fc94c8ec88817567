"""What a playground service declares, and what the runners hand it.

A service is data: a :class:`Service` names the playground host it runs on
in the network playground, its ports, the DNS names its certificate needs,
how it starts and how readiness is known. Two runners read the same
declaration: :mod:`playground.loopback` (tests, sessions, ``python -m
playground``), which listens on loopback and free ports, and
``playground.net.processes``, which starts it in its host's namespace on
its declared ports. Neither knows any service by name.

A service starts in one of two ways:

``serve``
    a Python function of this project, called with a :class:`Context`: it
    binds its sockets (raising :class:`OSError` if it cannot) and returns a
    :class:`Running` whose ``start()`` begins serving in threads. In the
    namespaces it runs as ``python -m playground.services NAME ...``;
``command``
    a function of the :class:`Context` that returns the command line of a
    program (a real daemon, say), run as a child process.

It is ready when every one of its ports listens, or, if it declares
``ready``, when a line of its output matches that regular expression (and
its ports listen).
"""

from __future__ import annotations

import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol


@dataclass(frozen=True)
class Port:
    """One port a service listens on: *number* on its playground host; on
    loopback the runner picks a free one."""

    name: str  # "http": what the service and its clients call it
    proto: str  # "tcp" or "udp"
    number: int
    tls: bool = False

    @property
    def label(self) -> str:
        """``tcp/443``, as ``status`` shows it."""
        return f"{self.proto}/{self.number}"


class Running(Protocol):
    """A started service, as a ``serve`` function returns it."""

    #: The port numbers it actually listens on, by port name.
    ports: dict[str, int]

    def start(self) -> None: ...

    def stop(self) -> None: ...


@dataclass
class Context:
    """Where and how a service is to run this time."""

    address: str  # the address to listen on ("127.0.0.1", "0.0.0.0", ...)
    ports: dict[str, int]  # port name -> number (0: any free port)
    state: Path  # the state folder: the CA lives here
    work: Path  # a folder of the service's own (configuration, scratch files)
    certificate: Path | None = None  # key and chain (PEM) for its names
    quiet: bool = True  # log nothing per request
    options: dict[str, Any] = field(default_factory=dict)  # runner's extras

    def tls(self) -> ssl.SSLContext:
        """A server context presenting :attr:`certificate`."""
        from playground import tls

        if self.certificate is None:
            raise ValueError("this service declares no certificate names")
        return tls.context(self.certificate)


@dataclass(frozen=True)
class Service:
    """One service of the playground (see the module's documentation)."""

    name: str  # "geocoder"; its log is NAME.log, its certificate NAME.pem
    summary: str  # a few words for --help, status and the book
    host: str  # the network playground host it runs on
    ports: tuple[Port, ...]
    certificate: tuple[str, ...] = ()  # DNS names its certificate needs
    serve: Callable[[Context], Running] | None = None
    command: Callable[[Context], list[str]] | None = None
    ready: str | None = None  # a regex its output matches once it is ready
    bind: str | None = None  # on its host, listen on this address only
    loopback: bool = True  # can run on loopback (on free ports) too

    def __post_init__(self) -> None:
        if (self.serve is None) == (self.command is None):
            raise ValueError(f"{self.name}: declare serve or command, not both")

    def port(self, name: str) -> Port:
        for port in self.ports:
            if port.name == name:
                return port
        raise KeyError(f"{self.name} has no port {name!r}")
