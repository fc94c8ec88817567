"""Line-based placeholders for the services later chapters grow.

Each greets with its protocol's banner, answers ``NOOP`` and ``QUIT``
properly, and refuses every other command with the protocol's "not
implemented" reply; :mod:`playground.services.smtp` and
:mod:`playground.services.ftp` fill in the words. The machine room replaces
them with real daemons.
"""

from __future__ import annotations

import socket
import socketserver
import sys
import threading
from typing import ClassVar

from playground.services.spec import Context

IDLE_TIMEOUT = 60.0
MAX_LINE = 1024


class Banner(socketserver.StreamRequestHandler):
    """A line-based server that greets and then refuses politely."""

    timeout = IDLE_TIMEOUT
    greeting = ""
    replies: ClassVar[dict[str, str]] = {}
    bye = ""
    refusal = ""
    too_long = ""
    idle = ""

    def say(self, line: str) -> None:
        self.wfile.write(line.encode("ascii") + b"\r\n")

    def handle(self) -> None:
        self.say(self.greeting)
        while True:
            try:
                line = self.rfile.readline(MAX_LINE + 1)
            except TimeoutError:
                self.say(self.idle)
                return
            if not line:
                return
            if len(line) > MAX_LINE:
                self.say(self.too_long)
                return
            verb = line.decode("ascii", "replace").strip().split(" ")[0].upper()
            if verb == "QUIT":
                self.say(self.bye)
                return
            self.say(self.replies.get(verb, self.refusal))


class BannerServer(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], handler: type[Banner]) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        super().__init__(address, handler)

    def handle_error(self, request: object, client_address: tuple[str, int]) -> None:
        error = sys.exc_info()[1]
        print(f"{client_address[0]} connection dropped: {error!r}", file=sys.stderr)


class BannerRun:
    """One banner server, bound; :meth:`start` serves it in a thread."""

    def __init__(self, server: BannerServer, port: str) -> None:
        self.server = server
        self.ports = {port: int(server.server_address[1])}
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        self.thread = threading.Thread(
            target=self.server.serve_forever, args=(0.1,), daemon=True
        )
        self.thread.start()

    def stop(self) -> None:
        if self.thread is not None:
            self.server.shutdown()
            self.thread.join()
            self.thread = None
        self.server.server_close()


def serve(handler: type[Banner], ctx: Context, port: str) -> BannerRun:
    """Bind *handler*'s server on *ctx*'s address and its port *port*."""
    server = BannerServer((ctx.address, ctx.ports[port]), handler)
    return BannerRun(server, port)
