"""The servers that run inside the playground's namespaces.

``python -m playground.net.services ROLE --ready FILE`` is what ``up`` starts
on a host (through ``ip netns exec``); it serves until killed and creates
FILE once it is listening. The roles:

``www``
    the playground geocoder (:mod:`playground.geocoder`) over HTTP on port
    80 and HTTPS on 443, with a certificate for www.example.com signed by
    the playground CA (``--cert``);
``dns``
    the DNS server of :mod:`playground.net.dns`, on 192.0.2.53 port 53;
``smtp`` and ``ftp``
    honest placeholders that later chapters will grow: each greets with
    its protocol's banner, answers ``NOOP`` and ``QUIT`` properly, and
    refuses every other command with the protocol's "not implemented" reply.
"""

from __future__ import annotations

import argparse
import socketserver
import ssl
import sys
import threading
from pathlib import Path
from typing import ClassVar

from playground.net import topology

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


class SMTPBanner(Banner):
    greeting = (
        "220 mail.example.com ESMTP playground (greets only; accepts no mail yet)"
    )
    replies: ClassVar[dict[str, str]] = {"NOOP": "250 2.0.0 OK"}
    bye = "221 2.0.0 mail.example.com closing connection"
    refusal = "502 5.5.1 Command not implemented: this server accepts no mail yet"
    too_long = "500 5.5.2 Line too long"
    idle = "421 4.4.2 mail.example.com idle too long, closing connection"


class FTPBanner(Banner):
    greeting = "220 ftp.example.com playground (greets only; serves no files yet)"
    replies: ClassVar[dict[str, str]] = {"NOOP": "200 NOOP ok."}
    bye = "221 Goodbye."
    refusal = "502 Command not implemented: this server serves no files yet."
    too_long = "500 Line too long."
    idle = "421 Idle too long, closing control connection."


class BannerServer(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
    block_on_close = False

    def handle_error(self, request: object, client_address: tuple[str, int]) -> None:
        error = sys.exc_info()[1]
        print(f"{client_address[0]} connection dropped: {error!r}", file=sys.stderr)


def serve_banner(handler: type[Banner], port: int) -> None:
    server = BannerServer(("0.0.0.0", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()


def serve_www(cert: Path) -> None:
    """The geocoder on ports 80 and 443, logging each request to stderr."""
    from playground import gazetteer
    from playground.geocoder import GeocoderServer
    from playground.wire import Recorder

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert)
    places, recorder = gazetteer.load(), Recorder()
    for port, tls in ((80, None), (443, context)):
        server = GeocoderServer("0.0.0.0", port, places, recorder, tls=tls, quiet=False)
        threading.Thread(target=server.serve_forever, daemon=True).start()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m playground.net.services")
    parser.add_argument("role", choices=["www", "dns", "smtp", "ftp"])
    parser.add_argument("--ready", type=Path, help="create this file once listening")
    parser.add_argument(
        "--cert", type=Path, help="www: the certificate chain and key (PEM)"
    )
    args = parser.parse_args(argv)
    try:
        if args.role == "www":
            if args.cert is None:
                parser.error("www needs --cert")
            serve_www(args.cert)
        elif args.role == "dns":
            from playground.net import dns

            dns.serve(topology.DNS_ADDRESS)
        else:
            handler, service = {
                "smtp": (SMTPBanner, topology.SMTP),
                "ftp": (FTPBanner, topology.FTP),
            }[args.role]
            serve_banner(handler, service.ports[0][1])
    except OSError as exc:
        print(
            f"playground.net {args.role}: cannot listen: {exc.strerror or exc}",
            file=sys.stderr,
        )
        return 1
    print(f"playground.net {args.role}: listening", file=sys.stderr, flush=True)
    if args.ready:
        args.ready.touch()
    threading.Event().wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
