"""The playground's services on one host (loopback by default), for tests,
sessions and ``python -m playground``; and the environment a child command
needs to use them.

Which services run is a list of names from :data:`playground.services.REGISTRY`
(the geocoder unless told otherwise); each listens on a free port unless
given one, and has a certificate for the loopback names and the names it
declares, from the state folder's CA (:mod:`playground.tls`).

>>> with Playground(services=('geocoder', 'dns')) as pg:
...     pg.http_url.startswith('http://127.0.0.1:'), pg.https_url.startswith('https://')
...     sorted(pg.running), pg.address('dns', 'dns')[0]
(True, True)
(['dns', 'geocoder'], '127.0.0.1')
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from playground import services as registry
from playground import tls
from playground.services import readiness
from playground.services.spec import Context, Running, Service
from playground.wire import Exchange, Recorder

#: Where the certificate authority lives unless told otherwise
#: (:data:`playground.tls.DEFAULT_STATE`).
#:
#: :meta hide-value:
DEFAULT_STATE = tls.DEFAULT_STATE
#: How long a service started as a program may take to get ready.
READY_TIMEOUT = 30.0


def url_host(host: str) -> str:
    """*host* as it appears in a URL: IPv6 addresses go in brackets."""
    return f"[{host}]" if ":" in host else host


def free_port(host: str, proto: str) -> int:
    """A port on *host* that no one uses now (for programs that cannot be
    told to pick one themselves)."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
    with socket.socket(family, kind) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


class ProgramRun:
    """A service that starts as a program (``command``): its ports are
    chosen now, the program runs from :meth:`start` until :meth:`stop`."""

    def __init__(self, service: Service, ctx: Context) -> None:
        self.service, self.ctx = service, ctx
        for port in service.ports:
            if not ctx.ports.get(port.name):
                ctx.ports[port.name] = free_port(ctx.address, port.proto)
        self.ports = dict(ctx.ports)
        self.log = ctx.work / f"{service.name}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        assert self.service.command is not None
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(
                self.service.command(self.ctx),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.ctx.work,
                start_new_session=True,
            )
        deadline = time.monotonic() + READY_TIMEOUT
        while not self.ready():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                words = self.log.read_text(errors="replace").strip().splitlines()
                last = words[-1] if words else "no message"
                raise OSError(f"{self.service.name} did not get ready: {last}")
            time.sleep(0.02)

    def ready(self) -> bool:
        output = self.log.read_text(errors="replace")
        tcp = [self.ports[p.name] for p in self.service.ports if p.proto == "tcp"]
        return readiness.line_seen(self.service, output) and all(
            readiness.accepts(self.ctx.address, port) for port in tcp
        )

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(2.0)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None


class Playground:
    """Services from the registry on one host, in this process (``serve``)
    or as child programs (``command``).

    Use it as a context manager; ports 0 (the default) pick free ports.
    *http_port* and *https_port* are the geocoder's; *client_timeout* and
    *slow_delay* go to it too (see ``playground.services.geocoder``).
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        http_port: int = 0,
        https_port: int = 0,
        state_dir: Path | None = None,
        client_timeout: float = 10.0,
        slow_delay: float = 3.0,
        quiet: bool = True,
        services: Iterable[str] = ("geocoder",),
        ports: Mapping[str, Mapping[str, int]] | None = None,
    ) -> None:
        self.host = host
        self.state_dir = tls.state_dir(state_dir)
        self.recorder = Recorder()
        wanted = {"geocoder": {"http": http_port, "https": https_port}}
        wanted.update({k: dict(v) for k, v in (ports or {}).items()})
        options: dict[str, Any] = {
            "client_timeout": client_timeout,
            "slow_delay": slow_delay,
            "recorder": self.recorder,
            "index_early": True,
        }
        self._work = tempfile.TemporaryDirectory(prefix="playground-")
        self.running: dict[str, Running] = {}
        self.started = False
        try:
            for name in services:
                service = registry.named(name)
                if not service.loopback:
                    raise ValueError(f"{name} runs only in the network playground")
                ctx = Context(
                    address=host,
                    ports={
                        p.name: wanted.get(name, {}).get(p.name, 0)
                        for p in service.ports
                    },
                    state=self.state_dir,
                    work=Path(self._work.name),
                    certificate=self._certificate(service),
                    quiet=quiet,
                    options=options,
                )
                if service.serve is not None:
                    self.running[name] = service.serve(ctx)
                else:
                    self.running[name] = ProgramRun(service, ctx)
        except BaseException:
            self.stop()  # do not leave the ports bound so far open
            raise

    def _certificate(self, service: Service) -> Path | None:
        if not service.certificate:
            return None
        names = [*tls.LOOPBACK_NAMES, *service.certificate]
        if self.host not in names:
            names.append(self.host)
        return tls.issue(
            self.state_dir, names, self.state_dir / f"{service.name}.pem", service.name
        )

    # -- where the services are -----------------------------------------------

    def address(self, service: str, port: str) -> tuple[str, int]:
        """``(host, port)`` of *service*'s port called *port*."""
        return self.host, self.running[service].ports[port]

    def url(self, scheme: str, service: str, port: str) -> str:
        host, number = self.address(service, port)
        return f"{scheme}://{url_host(host)}:{number}"

    @property
    def http_url(self) -> str:
        """The geocoder over HTTP."""
        return self.url("http", "geocoder", "http")

    @property
    def https_url(self) -> str:
        """The geocoder over HTTPS."""
        return self.url("https", "geocoder", "https")

    @property
    def servers(self) -> list[Any]:
        """The geocoder's HTTP and HTTPS servers."""
        return list(getattr(self.running["geocoder"], "servers", []))

    @property
    def ca_file(self) -> Path:
        """The CA certificate clients must trust for the HTTPS service."""
        return tls.ca_file(self.state_dir)

    def child_env(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        """*base* (default: this process's environment) plus what a client
        needs to use the playground: ``GEOCODER_URL`` (the HTTPS service, if
        it runs), the CA file for both ``ssl`` and Requests, and
        ``PLAYGROUND_<SERVICE>_<PORT>`` (``host:port``) for every port."""
        env = dict(os.environ if base is None else base)
        if "geocoder" in self.running:
            env["GEOCODER_URL"] = self.https_url
        env["SSL_CERT_FILE"] = str(self.ca_file)
        env["REQUESTS_CA_BUNDLE"] = str(self.ca_file)
        for name, run in self.running.items():
            for port, number in run.ports.items():
                key = f"PLAYGROUND_{name}_{port}".upper().replace("-", "_")
                env[key] = f"{url_host(self.host)}:{number}"
        return env

    def listening(self) -> list[str]:
        """One line per port, as ``python -m playground`` prints them: a URL
        for HTTP and HTTPS, ``host:port`` for the rest.

        >>> with Playground(services=['geocoder', 'dns']) as pg:
        ...     for line in pg.listening():
        ...         print(line.split()[1:3])
        ['geocoder', 'over']
        ['geocoder', 'over']
        ['dns', '(dns,']
        ['dns', '(dns-tcp,']
        """
        lines = []
        for name in self.running:
            service = registry.named(name)
            for port in service.ports:
                host, number = self.address(name, port.name)
                if port.name in ("http", "https"):
                    where = f"{port.name}://{url_host(host)}:{number}"
                    what = f"{name} over {port.name.upper()}"
                else:
                    where = f"{url_host(host)}:{number}"
                    what = f"{name} ({port.name}, {port.proto})"
                if port.tls:
                    what += f" (CA certificate: {self.ca_file})"
                lines.append(f"{where}  {what}")
        return lines

    def exchanges(self) -> list[Exchange]:
        """The requests received so far (see :mod:`playground.wire`)."""
        return self.recorder.exchanges()

    # -- starting and stopping ------------------------------------------------

    def start(self) -> Playground:
        self.started = True
        for run in self.running.values():
            run.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the listening sockets (once is enough)."""
        for run in reversed(list(self.running.values())):
            run.stop()
        self.started = False
        self._work.cleanup()

    def __enter__(self) -> Playground:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
