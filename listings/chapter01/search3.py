"""Geocode an address with http.client: send a GET, decode bytes, parse JSON.

Run it from the repository's root as python3 listings/chapter01/search3.py;
set GEOCODER_AGENT to name your own application in the User-Agent header.
"""

import argparse
import json
import os
import ssl
import sys
from contextlib import closing
from http.client import HTTPConnection, HTTPException, HTTPSConnection
from urllib.parse import SplitResult, quote, urlencode, urlsplit

EXAMPLE = "207 N. Defiance St, Archbold, OH"
SERVER = os.environ.get("GEOCODER_URL", "https://nominatim.openstreetmap.org")
AGENT = os.environ.get("GEOCODER_AGENT") or (
    "python-on-the-wire/1.0 (search3; "
    "+https://github.com/python-on-the-wire/book)"
)
PORTS = {"http": 80, "https": 443}


class ErrorReply(Exception):
    """The server answered, but not with the places asked for."""


def geocode(address: str, server: SplitResult, timeout: float) -> str | None:
    """GET /search with http.client, then decode and parse the body."""
    host, port = server.hostname or "", server.port or PORTS[server.scheme]
    query = urlencode({"q": address, "format": "json", "limit": 1})
    path = quote(server.path.rstrip("/")) + "/search?" + query
    if server.scheme == "http":
        connection = HTTPConnection(host, port, timeout=timeout)
    else:
        tls = ssl.create_default_context()  # checks certificate and name
        connection = HTTPSConnection(host, port, timeout=timeout, context=tls)
    with closing(connection):  # connection.close(), however the block ends
        connection.request("GET", path, headers={"User-Agent": AGENT})
        reply = connection.getresponse()
        body = reply.read()
    if reply.status != 200:
        raise ErrorReply(f"answered {reply.status} {reply.reason}")
    places = json.loads(body.decode("utf-8"))  # JSON is UTF-8 (RFC 8259)
    if places == []:  # Nominatim's way of saying "no such place"
        return None
    return f"{places[0]['lat']}, {places[0]['lon']}"


NOT_PLACES = (ValueError, LookupError, TypeError)  # not JSON, or not places
FAILURES = (OSError, HTTPException, ErrorReply, *NOT_PLACES)


def explain(error: BaseException, args: argparse.Namespace) -> str:
    """Say in one line what went wrong: http.client wraps nothing."""
    host, port = args.server.hostname, args.server.port
    where = f"{host}:{port or PORTS[args.server.scheme]}"
    if isinstance(error, ssl.SSLCertVerificationError):
        what = error.verify_message
        return f"cannot verify the TLS certificate of {where}: {what}"
    if isinstance(error, TimeoutError):
        return f"no answer from {where} within {args.timeout:g} seconds"
    if isinstance(error, OSError | HTTPException):
        reason = getattr(error, "strerror", None) or error
        return f"connection to {where} failed: {reason}"
    if isinstance(error, ErrorReply):
        return f"{where} {error}"
    return f"the reply from {where} is not a JSON list of places"


def server_url(text: str) -> SplitResult:
    """Check --server: an http or https URL with a host name in it."""
    try:  # ValueError: not a URL, a port above 65535, or a host name
        url = urlsplit(text)  # with a label empty or over 63 characters
        host = (url.hostname or "").encode("idna")
        usable = url.scheme in PORTS and bool(host) and url.port != 0
    except ValueError:
        usable = False
    if not usable:
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
        sys.exit(f"search3: {explain(error, args)}")
    if answer is None:
        sys.exit(f"search3: no place matches {args.address!r}")
    print(answer)


if __name__ == "__main__":
    main()
