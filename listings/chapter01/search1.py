"""Geocode an address with geopy, which knows Nominatim's API for us.

Run it from the repository's root: python listings/chapter01/search1.py [ADDRESS]
"""

import argparse
import os
import ssl
import sys
from http.client import responses
from urllib.parse import urlsplit

from geopy.adapters import AdapterHTTPError
from geopy.exc import GeocoderParseError, GeopyError
from geopy.geocoders import Nominatim

EXAMPLE = "207 N. Defiance St, Archbold, OH"
SERVER = os.environ.get("GEOCODER_URL", "https://nominatim.openstreetmap.org")
AGENT = "python-on-the-wire/1.0 (search1; +https://github.com/python-on-the-wire/book)"


def explain(error: BaseException, where: str, timeout: float) -> str:
    """Say what went wrong, from the innermost error that geopy wrapped."""
    for inner in (error.__cause__, error.__context__, *error.args):
        if isinstance(inner, BaseException):
            return explain(inner, where, timeout)
    if isinstance(error, AdapterHTTPError):
        code = error.status_code
        return f"{where} answered {code} {responses.get(code, '')}"
    if isinstance(error, ssl.SSLCertVerificationError):
        return f"cannot verify the TLS certificate of {where}: {error.verify_message}"
    if isinstance(error, TimeoutError):
        return f"no answer from {where} within {timeout:g} seconds"
    reason = getattr(error, "strerror", None) or error
    return f"connection to {where} failed: {reason}"


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
    if not host:
        sys.exit(f"search1: bad --server URL {args.server!r}: use http(s)://HOST")

    where, domain = f"{host}:{port}", url.netloc + url.path.rstrip("/")
    with Nominatim(  # geopy asks for {scheme}://{domain}/search?q=...
        user_agent=AGENT, domain=domain, scheme=url.scheme, timeout=args.timeout
    ) as geocoder:
        try:
            place = geocoder.geocode(args.address)
        except (GeocoderParseError, TypeError):  # TypeError: JSON of another shape
            sys.exit(f"search1: the reply from {where} is not a JSON list of places")
        except GeopyError as error:
            sys.exit(f"search1: {explain(error, where, args.timeout)}")
    if place is None:
        sys.exit(f"search1: no place matches {args.address!r}")
    print(f"{place.latitude}, {place.longitude}")


if __name__ == "__main__":
    main()
