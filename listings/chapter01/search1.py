"""Geocode an address with geopy, which knows Nominatim's API for us.

Run it from the repository's root as python3 listings/chapter01/search1.py;
set GEOCODER_AGENT to name your own application in the User-Agent header.
"""

import argparse
import os
import ssl
import sys
from http.client import responses
from urllib.parse import SplitResult, urlsplit

from geopy.adapters import AdapterHTTPError
from geopy.exc import GeocoderParseError, GeopyError
from geopy.geocoders import Nominatim

EXAMPLE = "207 N. Defiance St, Archbold, OH"
SERVER = os.environ.get("GEOCODER_URL", "https://nominatim.openstreetmap.org")
AGENT = os.environ.get("GEOCODER_AGENT") or (
    "python-on-the-wire/1.0 (search1; "
    "+https://github.com/python-on-the-wire/book)"
)
PORTS = {"http": 80, "https": 443}


def geocode(address: str, server: SplitResult, timeout: float) -> str | None:
    """Ask Nominatim at SERVER, through geopy, where ADDRESS is."""
    domain = server.netloc + server.path.rstrip("/")  # geopy adds /search
    with Nominatim(
        user_agent=AGENT, domain=domain, scheme=server.scheme, timeout=timeout
    ) as geocoder:
        place = geocoder.geocode(address)
    if place is None:
        return None
    return f"{place.latitude}, {place.longitude}"


FAILURES = (GeopyError, TypeError)  # TypeError: JSON of another shape


def explain(error: BaseException, args: argparse.Namespace) -> str:
    """Say in one line what went wrong, from the error geopy wrapped."""
    host, port = args.server.hostname, args.server.port
    where = f"{host}:{port or PORTS[args.server.scheme]}"
    if isinstance(error, GeocoderParseError | TypeError):
        return f"the reply from {where} is not a JSON list of places"
    # Look inside: what failed underneath?
    for inner in (error.__cause__, error.__context__, *error.args):
        if isinstance(inner, BaseException):
            return explain(inner, args)
    if isinstance(error, AdapterHTTPError):
        code = error.status_code
        return f"{where} answered {code} {responses.get(code, '')}"
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
        sys.exit(f"search1: {explain(error, args)}")
    if answer is None:
        sys.exit(f"search1: no place matches {args.address!r}")
    print(answer)


if __name__ == "__main__":
    main()
