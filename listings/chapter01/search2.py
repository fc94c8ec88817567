"""Geocode an address with Requests: build the URL, GET it, pick through JSON.

Run it from the repository's root: python listings/chapter01/search2.py [ADDRESS]
"""

import argparse
import os
import ssl
import sys
from urllib.parse import urlsplit

import requests

EXAMPLE = "207 N. Defiance St, Archbold, OH"
SERVER = os.environ.get("GEOCODER_URL", "https://nominatim.openstreetmap.org")
AGENT = "python-on-the-wire/1.0 (search2; +https://github.com/python-on-the-wire/book)"


def explain(error: BaseException, where: str, timeout: float) -> str:
    """Say what went wrong, from the innermost error that Requests wrapped."""
    for inner in (error.__cause__, error.__context__, *error.args):
        if isinstance(inner, BaseException):
            return explain(inner, where, timeout)
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
        sys.exit(f"search2: bad --server URL {args.server!r}: use http(s)://HOST")

    where, search = f"{host}:{port}", f"{args.server.rstrip('/')}/search"
    params = {"q": args.address, "format": "json", "limit": 1}
    headers = {"User-Agent": AGENT}
    try:
        reply = requests.get(search, params, headers=headers, timeout=args.timeout)
        reply.raise_for_status()
        place = reply.json()[0]
        print(f"{place['lat']}, {place['lon']}")
    except requests.HTTPError:
        sys.exit(f"search2: {where} answered {reply.status_code} {reply.reason}")
    except (requests.JSONDecodeError, KeyError, TypeError):
        sys.exit(f"search2: the reply from {where} is not a JSON list of places")
    except requests.RequestException as error:
        sys.exit(f"search2: {explain(error, where, args.timeout)}")
    except IndexError:  # an empty list: no place matched
        sys.exit(f"search2: no place matches {args.address!r}")


if __name__ == "__main__":
    main()
