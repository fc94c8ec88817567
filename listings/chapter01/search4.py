"""Geocode an address over a bare socket: write the HTTP request by hand.

Run it from the repository's root: python listings/chapter01/search4.py [ADDRESS]
"""

import argparse
import os
import re
import socket
import ssl
import sys
from urllib.parse import quote, urlencode, urlsplit

EXAMPLE = "207 N. Defiance St, Archbold, OH"
SERVER = os.environ.get("GEOCODER_URL", "https://nominatim.openstreetmap.org")
AGENT = "python-on-the-wire/1.0 (search4; +https://github.com/python-on-the-wire/book)"


def fetch(host: str, port: int, tls: bool, request: bytes, timeout: float) -> bytes:
    """Send *request* and return every byte the server sends until it hangs up."""
    sock = socket.create_connection((host, port), timeout=timeout)
    if tls:  # should the handshake fail, wrap_socket() closes the socket itself
        sock = ssl.create_default_context().wrap_socket(sock, server_hostname=host)
    with sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    parser.add_argument("address", nargs="?", default=EXAMPLE, help="what to look up")
    parser.add_argument("--server", default=SERVER, metavar="URL", help="geocoder")
    parser.add_argument("--timeout", type=float, default=10.0, help="in seconds")
    args = parser.parse_args()
    try:  # ValueError: a malformed URL; KeyError: neither http nor https
        url = urlsplit(args.server)
        host, port = url.hostname, url.port or {"http": 80, "https": 443}[url.scheme]
    except (KeyError, ValueError):
        host = None
    if not host or not re.fullmatch(r"[\w.:\[\]-]+", url.netloc, re.ASCII):
        sys.exit(f"search4: bad --server URL {args.server!r}: use http(s)://HOST")

    where, timeout = f"{host}:{port}", args.timeout
    query = urlencode({"q": args.address, "format": "json", "limit": 1})
    request = (
        f"GET {quote(url.path.rstrip('/'))}/search?{query} HTTP/1.1\r\n"
        f"Host: {url.netloc}\r\n"
        f"User-Agent: {AGENT}\r\n"
        "Connection: close\r\n"
        "\r\n"
    ).encode("ascii")
    try:
        reply = fetch(host, port, url.scheme == "https", request, timeout)
    except ssl.SSLCertVerificationError as error:
        reason = error.verify_message
        sys.exit(f"search4: cannot verify the TLS certificate of {where}: {reason}")
    except TimeoutError:
        sys.exit(f"search4: no answer from {where} within {timeout:g} seconds")
    except OSError as error:
        sys.exit(f"search4: connection to {where} failed: {error.strerror or error}")
    status = re.match(rb"HTTP/1\.[01] (\d{3}) ?([^\r\n]*)", reply)
    if not status:  # the server hung up at once, or said something else
        sys.exit(f"search4: {where} sent no HTTP reply")
    if int(status[1]) >= 400:
        sys.exit(f"search4: {where} answered {status[1].decode()} {status[2].decode()}")
    print(reply.decode("utf-8", errors="replace"))


if __name__ == "__main__":
    main()
