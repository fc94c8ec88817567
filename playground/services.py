"""Starting and stopping the playground's services, and the environment a
child command needs to use them.

>>> with Playground() as pg:
...     pg.http_url.startswith('http://127.0.0.1:'), pg.https_url.startswith('https://')
(True, True)
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType

from playground import gazetteer, tls
from playground.geocoder import GeocoderServer
from playground.wire import Exchange, Recorder

#: Where the certificate authority lives unless told otherwise.
DEFAULT_STATE = Path(__file__).resolve().parent.parent / "build" / "playground"


def url_host(host: str) -> str:
    """*host* as it appears in a URL: IPv6 addresses go in brackets."""
    return f"[{host}]" if ":" in host else host


class Playground:
    """The local geocoder over HTTP and HTTPS, on one host, in threads.

    Use it as a context manager; ports 0 (the default) pick free ports.
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
    ) -> None:
        self.state_dir = state_dir or Path(
            os.environ.get("PLAYGROUND_STATE", DEFAULT_STATE)
        )
        self.recorder = Recorder()
        self.gazetteer = places = gazetteer.load()
        context = tls.server_context(self.state_dir)
        self.servers: list[GeocoderServer] = []
        try:
            for port, tls_context in ((http_port, None), (https_port, context)):
                server = GeocoderServer(
                    host,
                    port,
                    places,
                    self.recorder,
                    tls=tls_context,
                    client_timeout=client_timeout,
                    slow_delay=slow_delay,
                    quiet=quiet,
                )
                self.servers.append(server)
        except BaseException:
            for server in self.servers:  # do not leave the HTTP port open
                server.server_close()
            raise
        self.threads: list[threading.Thread] = []

    @property
    def http_url(self) -> str:
        host, port = self.servers[0].server_address[:2]
        return f"http://{url_host(str(host))}:{port}"

    @property
    def https_url(self) -> str:
        host, port = self.servers[1].server_address[:2]
        return f"https://{url_host(str(host))}:{port}"

    @property
    def ca_file(self) -> Path:
        """The CA certificate clients must trust for the HTTPS service."""
        return self.state_dir / "ca.pem"

    def child_env(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        """*base* (default: this process's environment) plus what a client
        needs to use the playground: ``GEOCODER_URL`` (the HTTPS service) and
        the CA file for both ``ssl`` and Requests."""
        env = dict(os.environ if base is None else base)
        env["GEOCODER_URL"] = self.https_url
        env["SSL_CERT_FILE"] = str(self.ca_file)
        env["REQUESTS_CA_BUNDLE"] = str(self.ca_file)
        return env

    def exchanges(self) -> list[Exchange]:
        """The requests received so far (see :mod:`playground.wire`)."""
        return self.recorder.exchanges()

    def start(self) -> Playground:
        # Index the GeoNames alternate names now, while no one is asking:
        # the first query that needs them then finds them ready, or waits for
        # this one thread instead of building them itself.
        threading.Thread(target=self.gazetteer.alternates, daemon=True).start()
        for server in self.servers:
            # Checking for shutdown every 0.1 s (not 0.5 s) makes stop() quick.
            loop = functools.partial(server.serve_forever, poll_interval=0.1)
            thread = threading.Thread(target=loop, daemon=True)
            thread.start()
            self.threads.append(thread)
        return self

    def stop(self) -> None:
        """Stop serving and close the listening sockets (once is enough)."""
        if self.threads:  # shutdown() would wait forever for a loop never started
            for server in self.servers:
                server.shutdown()
        for server in self.servers:
            server.server_close()
        for thread in self.threads:
            thread.join()
        self.threads.clear()

    def __enter__(self) -> Playground:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
