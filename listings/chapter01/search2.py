"""Geocode an address with Requests: build the URL, GET it, pick through JSON.

Run it from the repository's root as python3 listings/chapter01/search2.py;
set GEOCODER_AGENT to name your own application in the User-Agent header.
"""

import argparse
import os
import ssl
import sys
from urllib.parse import SplitResult, urlsplit

import requests

EXAMPLE = "207 N. Defiance St, Archbold, OH"
SERVER = os.environ.get("GEOCODER_URL", "https://nominatim.openstreetmap.org")
AGENT = os.environ.get("GEOCODER_AGENT") or (
    "python-on-the-wire/1.0 (search2; "
    "+https://github.com/python-on-the-wire/book)"
)
PORTS = {"http": 80, "https": 443}


def geocode(address: str, server: SplitResult, timeout: float) -> str | None:
    """Ask for /search?q=ADDRESS and read the first place's lat and lon."""
    url = server.geturl().rstrip("/") + "/search"
    params: dict[str, str | int] = {"q": address, "format": "json", "limit": 1}
    headers = {"User-Agent": AGENT}
    reply = requests.get(url, params, headers=headers, timeout=timeout)
    reply.raise_for_status()  # a status of 400 or more raises HTTPError
    places = reply.json()
    if places == []:  # Nominatim's way of saying "no such place"
        return None
    return f"{places[0]['lat']}, {places[0]['lon']}"


FAILURES = (requests.RequestException, KeyError, TypeError)


def explain(error: BaseException, args: argparse.Namespace) -> str:
    """Say in one line what went wrong, from the error Requests wrapped."""
    host, port = args.server.hostname, args.server.port
    where = f"{host}:{port or PORTS[args.server.scheme]}"
    if isinstance(error, requests.HTTPError):
        reply = error.response
        return f"{where} answered {reply.status_code} {reply.reason}"
    if isinstance(error, requests.JSONDecodeError | KeyError | TypeError):
        return f"the reply from {where} is not a JSON list of places"
    # Look inside: what failed underneath?
    for inner in (error.__cause__, error.__context__, *error.args):
        if isinstance(inner, BaseException):
            return explain(inner, args)
    if isinstance(error, ssl.SSLCertVerificationError):
        what = error.verify_message
        return f"cannot verify the TLS certificate of {where}: {what}"
    if isinstance(error, TimeoutError):
        return f"no answer from {where} within {args.timeout:g} seconds"
    reason = getattr(error, "strerror", None) or error
    return f"connection to {where} failed: {reason}"


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
        sys.exit(f"search2: {explain(error, args)}")
    if answer is None:
        sys.exit(f"search2: no place matches {args.address!r}")
    print(answer)


if __name__ == "__main__":
    main()
