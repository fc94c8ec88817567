"""The geocoder (:mod:`playground.geocoder`) as a playground service: HTTP
and HTTPS, on www.example.com in the network playground.

The runner may pass, in :attr:`Context.options`, ``client_timeout`` and
``slow_delay`` (see :class:`playground.geocoder.GeocoderServer`), a
``recorder`` (:class:`playground.wire.Recorder`) to keep the request heads,
and ``index_early`` (true: index the alternate names once it has served for
:data:`EARLY_INDEX_DELAY` seconds, which costs about a second of CPU that a
long-lived server wins back; a query that needs them sooner builds them).
"""

from __future__ import annotations

import threading

from playground import gazetteer
from playground.geocoder import GeocoderServer
from playground.services.spec import Context, Port, Service
from playground.wire import Recorder

#: How long a geocoder with ``index_early`` serves before it indexes the
#: alternate names: long enough that a short run (``python -m playground run
#: COMMAND`` for one quick command, a test) never spends the CPU on them,
#: soon enough that they are ready for a reader's server.
EARLY_INDEX_DELAY = 5.0


class GeocoderRun:
    """The geocoder's two servers, bound; :meth:`start` serves them."""

    def __init__(
        self,
        servers: list[GeocoderServer],
        recorder: Recorder,
        places: gazetteer.Gazetteer,
        index_early: bool = False,
    ) -> None:
        self.servers, self.recorder, self.gazetteer = servers, recorder, places
        self.index_early = index_early
        http, https = (int(s.server_address[1]) for s in servers)
        self.ports = {"http": http, "https": https}
        self.threads: list[threading.Thread] = []
        self.indexer: threading.Timer | None = None

    def start(self) -> None:
        # Index the GeoNames alternate names soon, while no one is asking:
        # a later query that needs them finds them ready, and one that comes
        # first builds them (concurrent ones wait for the one index).
        if self.index_early:
            self.indexer = threading.Timer(EARLY_INDEX_DELAY, self.gazetteer.alternates)
            self.indexer.daemon = True
            self.indexer.start()
        for server in self.servers:
            # Checking for shutdown every 0.1 s (not 0.5 s) makes stop() quick.
            thread = threading.Thread(
                target=server.serve_forever, args=(0.1,), daemon=True
            )
            thread.start()
            self.threads.append(thread)

    def stop(self) -> None:
        """Stop serving and close the listening sockets (once is enough)."""
        if self.indexer is not None:
            self.indexer.cancel()
        if self.threads:  # shutdown() would wait forever for a loop never started
            for server in self.servers:
                server.shutdown()
        for server in self.servers:
            server.server_close()
        for thread in self.threads:
            thread.join()
        self.threads.clear()


def serve(ctx: Context) -> GeocoderRun:
    """Bind the HTTP port, then the HTTPS one (closing the first if the
    second cannot be had)."""
    places = gazetteer.load()
    recorder = ctx.options.get("recorder") or Recorder()
    servers: list[GeocoderServer] = []
    try:
        for name, tls in (("http", None), ("https", ctx.tls())):
            server = GeocoderServer(
                ctx.address,
                ctx.ports[name],
                places,
                recorder,
                tls=tls,
                client_timeout=ctx.options.get("client_timeout", 10.0),
                slow_delay=ctx.options.get("slow_delay", 3.0),
                quiet=ctx.quiet,
            )
            servers.append(server)
    except BaseException:
        for server in servers:  # do not leave the HTTP port open
            server.server_close()
        raise
    early = bool(ctx.options.get("index_early", False))
    return GeocoderRun(servers, recorder, places, early)


SERVICE = Service(
    name="geocoder",
    summary="HTTP and HTTPS (the geocoder)",
    host="www",
    ports=(Port("http", "tcp", 80), Port("https", "tcp", 443, tls=True)),
    certificate=("www.example.com", "example.com", "geocoder.example.com"),
    serve=serve,
    bind="203.0.113.80",  # www's other address is httpbin.example.com's
)
