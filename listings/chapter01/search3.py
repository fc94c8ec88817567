"""Geocode an address with http.client: send a GET, decode bytes, parse JSON.

Run it from the repository's root: python listings/chapter01/search3.py [ADDRESS]
"""

import argparse
import json
import os
import ssl
import sys
from contextlib import closing
from http.client import HTTPConnection, HTTPException, HTTPSConnection
from urllib.parse import quote, urlencode, urlsplit

EXAMPLE = "207 N. Defiance St, Archbold, OH"
SERVER = os.environ.get("GEOCODER_URL", "https://nominatim.openstreetmap.org")
AGENT = "python-on-the-wire/1.0 (search3; +https://github.com/python-on-the-wire/book)"


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
        sys.exit(f"search3: bad --server URL {args.server!r}: use http(s)://HOST")

    where, timeout = f"{host}:{port}", args.timeout
    query = urlencode({"q": args.address, "format": "json", "limit": 1})
    path = f"{quote(url.path.rstrip('/'))}/search?{query}"
    if url.scheme == "http":
        connection = HTTPConnection(host, port, timeout=timeout)
    else:
        tls = ssl.create_default_context()
        connection = HTTPSConnection(host, port, timeout=timeout, context=tls)
    try:
        with closing(connection):
            connection.request("GET", path, headers={"User-Agent": AGENT})
            reply = connection.getresponse()
            body = reply.read()
    except ssl.SSLCertVerificationError as error:
        reason = error.verify_message
        sys.exit(f"search3: cannot verify the TLS certificate of {where}: {reason}")
    except TimeoutError:
        sys.exit(f"search3: no answer from {where} within {timeout:g} seconds")
    except (OSError, HTTPException) as error:
        reason = getattr(error, "strerror", None) or str(error)
        sys.exit(f"search3: connection to {where} failed: {reason}")
    if reply.status != 200:
        sys.exit(f"search3: {where} answered {reply.status} {reply.reason}")
    try:
        place = json.loads(body.decode("utf-8"))[0]
        print(f"{place['lat']}, {place['lon']}")
    except (ValueError, KeyError, TypeError):
        sys.exit(f"search3: the reply from {where} is not a JSON list of places")
    except IndexError:  # an empty list: no place matched
        sys.exit(f"search3: no place matches {args.address!r}")


if __name__ == "__main__":
    main()
