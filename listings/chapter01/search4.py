"""Geocode an address over a bare socket: write the HTTP request by hand.

Run it from the repository's root as python3 listings/chapter01/search4.py;
set GEOCODER_AGENT to name your own application in the User-Agent header.
"""

import argparse
import os
import re
import socket
import ssl
import sys
from urllib.parse import SplitResult, quote, urlencode, urlsplit

EXAMPLE = "207 N. Defiance St, Archbold, OH"
SERVER = os.environ.get("GEOCODER_URL", "https://nominatim.openstreetmap.org")
AGENT = os.environ.get("GEOCODER_AGENT") or (
    "python-on-the-wire/1.0 (search4; "
    "+https://github.com/python-on-the-wire/book)"
)
PORTS = {"http": 80, "https": 443}
STATUS_LINE = re.compile(rb"HTTP/1\.[01] (\d{3}) ?([^\r\n]*)")


class ErrorReply(Exception):
    """The server answered, but with an error status, or not in HTTP."""


def geocode(address: str, server: SplitResult, timeout: float) -> str:
    """Write a GET for /search by hand, send it, and return the raw reply."""
    host, port = server.hostname or "", server.port or PORTS[server.scheme]
    query = urlencode({"q": address, "format": "json", "limit": 1})
    request = (
        f"GET {quote(server.path.rstrip('/'))}/search?{query} HTTP/1.1\r\n"
        f"Host: {server.netloc}\r\n"
        f"User-Agent: {AGENT}\r\n"
        "Connection: close\r\n"
        "\r\n"
    ).encode("ascii")
    reply = fetch(host, port, server.scheme == "https", request, timeout)
    status = STATUS_LINE.match(reply)
    if not status:  # the server hung up at once, or spoke something else
        raise ErrorReply("sent no HTTP reply")
    if int(status[1]) >= 400:
        raise ErrorReply(f"answered {status[1].decode()} {status[2].decode()}")
    head, _, body = reply.partition(b"\r\n\r\n")
    return f"{head.decode('latin-1')}\r\n\r\n{body.decode('utf-8', 'replace')}"


def fetch(
    host: str, port: int, tls: bool, request: bytes, timeout: float
) -> bytes:
    """Send REQUEST; return every byte the server sends until it hangs up."""
    sock = socket.create_connection((host, port), timeout=timeout)
    if tls:  # should the handshake fail, wrap_socket() closes the socket
        context = ssl.create_default_context()
        sock = context.wrap_socket(sock, server_hostname=host)
    with sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


FAILURES = (OSError, ErrorReply)


def explain(error: BaseException, args: argparse.Namespace) -> str:
    """Say in one line what went wrong: the socket module wraps nothing."""
    host, port = args.server.hostname, args.server.port
    where = f"{host}:{port or PORTS[args.server.scheme]}"
    if isinstance(error, ssl.SSLCertVerificationError):
        what = error.verify_message
        return f"cannot verify the TLS certificate of {where}: {what}"
    if isinstance(error, TimeoutError):
        return f"no answer from {where} within {args.timeout:g} seconds"
    if isinstance(error, ErrorReply):
        return f"{where} {error}"
    reason = getattr(error, "strerror", None) or error
    return f"connection to {where} failed: {reason}"


def server_url(text: str) -> SplitResult:
    """Check --server: an http or https URL with just a host and a port.

    The Host header below is written from the URL as it stands, so only the
    characters of host names, [IPv6] addresses and ports may be in it: a CR
    and LF there would end the line and let the URL add headers of its own.
    """
    try:  # ValueError: not a URL, a port above 65535, or a host name
        url = urlsplit(text)  # with a label empty or over 63 characters
        host = (url.hostname or "").encode("idna")
        usable = url.scheme in PORTS and bool(host) and url.port != 0
    except ValueError:
        usable = False
    if not usable or not re.fullmatch(r"[\w.:\[\]-]+", url.netloc, re.ASCII):
        raise argparse.ArgumentTypeError(f"{text!r} is not http(s)://HOST")
    return url


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    add = parser.add_argument
    add("address", nargs="?", default=EXAMPLE, help="what to look up")
    add("--server", default=SERVER, type=server_url, help="geocoder's URL")
    add("--timeout", default=10.0, type=float, help="in seconds")
    args = parser.parse_args()
    if not 0 < args.timeout <= 3600:
        parser.error("--timeout must be above 0 and at most 3600 seconds")
    if not (AGENT.isascii() and AGENT.isprintable()):  # it goes into a header
        parser.error(f"GEOCODER_AGENT {AGENT!r} is not printable ASCII")
    try:
        answer = geocode(args.address, args.server, args.timeout)
    except FAILURES as error:
        sys.exit(f"search4: {explain(error, args)}")
    print(answer)


if __name__ == "__main__":
    main()
