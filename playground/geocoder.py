"""A Nominatim-compatible geocoding service, over HTTP and HTTPS.

It answers the part of Nominatim's API that the book's listings and geopy
use, with the output Nominatim documents:

``GET /search?q=...&format=json|jsonv2&limit=N&addressdetails=0|1``
    a JSON array of places, ``[]`` when nothing matches (or ``q`` is
    blank); ``format`` defaults to ``jsonv2``, ``limit`` to 10 (clamped to
    1-40), and as in Nominatim any ``addressdetails`` but ``0`` means yes; a
    missing ``q`` or a bad ``format`` or ``limit`` is a 400 whose body is
    ``{"error": {"code": 400, "message": ...}}``;
``GET /status``
    ``OK`` (or a JSON status with ``format=json``);
``GET /``
    a short plain-text page naming these endpoints.

Under ``/_playground/`` it also offers what a real service cannot, so tests
and the book can show failures on demand:

``/_playground/fault/KIND/search``
    KIND is an HTTP status (403, 429, 500, 502, 503), ``badjson`` (a 200
    whose body is not JSON), ``wrongshape`` (JSON, but not a list of
    places), ``slow`` (answers only after ``slow_delay`` seconds) or
    ``hangup`` (closes the connection without a word);
``/_playground/requests``
    the recorded request heads, as JSON (see :mod:`playground.wire`);
``/_playground/whoami``
    the client address the server sees.

The routes sit on the playground's hardened HTTP/1.1 front
(``playground.http``): strict request heads (400 for what RFC 9112 says
to reject), limits, deadlines for slow clients, and a lingering close. No
client can stop it serving the others. Within a well-formed request the
geocoder is as lenient as Nominatim: a bad ``%`` escape or an out-of-range
``limit`` still gets a JSON list.
"""

from __future__ import annotations

import json
import ssl
import time
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from playground.gazetteer import Gazetteer, Place
from playground.http import DeadlineReader, Front, FrontServer
from playground.wire import Recorder

__all__ = ["DeadlineReader", "GeocoderHandler", "GeocoderServer", "parse_search"]

MAX_LIMIT = 40
FORMATS = ("json", "jsonv2")
FAULT_STATUSES = {"403", "429", "500", "502", "503"}
FAULTS = FAULT_STATUSES | {"badjson", "wrongshape", "slow", "hangup"}
HOME = """\
Playground geocoder: a local stand-in for OpenStreetMap's Nominatim.

GET /search?q=ADDRESS&format=json   places matching ADDRESS, as JSON
GET /status                         OK when the service is up
"""


class QueryError(ValueError):
    """A request parameter is missing or wrong (HTTP 400)."""


def place_json(place: Place, fmt: str, details: bool) -> dict[str, Any]:
    """One place as Nominatim renders it in *fmt* (``json`` or ``jsonv2``)."""
    out: dict[str, Any] = {
        "place_id": place.place_id,
        "licence": place.licence,
        "osm_type": "node",
        "osm_id": place.place_id,
        "lat": place.lat,
        "lon": place.lon,
        ("category" if fmt == "jsonv2" else "class"): place.category,
        "type": place.type,
        "place_rank": place.place_rank,
        "importance": place.importance,
        "addresstype": place.addresstype,
        "name": place.name,
        "display_name": place.display_name,
    }
    if details:
        out["address"] = place.address
    out["boundingbox"] = list(place.boundingbox)
    return out


def parse_search(query: str) -> tuple[str, str, int, bool]:
    """Check the parameters of a search: ``(q, format, limit, addressdetails)``.

    The rules and messages are Nominatim's:

    >>> parse_search('q=Paris&format=json&limit=2')
    ('Paris', 'json', 2, False)
    >>> parse_search('q=Paris&limit=100&addressdetails=yes')
    ('Paris', 'jsonv2', 40, True)
    >>> parse_search('format=json')
    Traceback (most recent call last):
    ...
    playground.geocoder.QueryError: Nothing to search for.
    >>> parse_search('q=Paris&limit=ten')
    Traceback (most recent call last):
    ...
    playground.geocoder.QueryError: Parameter 'limit' must be a number.
    """
    params = dict(parse_qsl(query, keep_blank_values=True))
    if "q" not in params:
        raise QueryError("Nothing to search for.")
    fmt = params.get("format", "jsonv2")
    if fmt not in FORMATS:
        raise QueryError(f"Parameter 'format' must be one of: {', '.join(FORMATS)}")
    try:
        limit = int(params.get("limit", "10"))
    except ValueError:
        raise QueryError("Parameter 'limit' must be a number.") from None
    details = params.get("addressdetails", "0") != "0"
    return params["q"].strip(), fmt, max(1, min(limit, MAX_LIMIT)), details


class GeocoderHandler(Front):
    """Answers one connection's requests."""

    server: GeocoderServer
    server_version = "playground-geocoder/1.0"

    # -- methods -----------------------------------------------------------

    def do_GET(self) -> None:
        self.route(body=True)

    def do_HEAD(self) -> None:
        self.route(body=False)

    # -- routing -----------------------------------------------------------

    def route(self, body: bool) -> None:
        url = urlsplit(self.path)
        path = url.path
        if not path.startswith("/_playground/"):
            self.server.recorder.add(*self.client_address[:2], self.seen)
        if path == "/search":
            self.search(url.query, body)
        elif path == "/status":
            self.status(url.query, body)
        elif path == "/":
            self.reply(HTTPStatus.OK, HOME.encode(), "text/plain", body)
        elif path.startswith("/_playground/fault/") and path.endswith("/search"):
            self.fault(path.split("/")[3], url.query, body)
        elif path == "/_playground/requests":
            log = [
                {"client": e.client, "port": e.port, "request": e.text()}
                for e in self.server.recorder.exchanges()
            ]
            self.reply_json(HTTPStatus.OK, log, body)
        elif path == "/_playground/whoami":
            text = f"{self.client_address[0]} {self.client_address[1]}\n"
            self.reply(HTTPStatus.OK, text.encode(), "text/plain", body)
        else:
            self.reply(HTTPStatus.NOT_FOUND, b"404 Not Found\n", "text/plain", body)

    def search(self, query: str, body: bool) -> None:
        try:
            q, fmt, limit, details = parse_search(query)
        except QueryError as exc:
            error = {"error": {"code": 400, "message": str(exc)}}
            self.reply_json(HTTPStatus.BAD_REQUEST, error, body)
            return
        places = self.server.gazetteer.search(q, limit) if q else []
        self.reply_json(
            HTTPStatus.OK, [place_json(p, fmt, details) for p in places], body
        )

    def status(self, query: str, body: bool) -> None:
        if dict(parse_qsl(query)).get("format") == "json":
            status = {
                "status": 0,
                "message": "OK",
                "software_version": self.server_version,
            }
            self.reply_json(HTTPStatus.OK, status, body)
        else:
            self.reply(HTTPStatus.OK, b"OK", "text/plain", body)

    def fault(self, kind: str, query: str, body: bool) -> None:
        if kind in FAULT_STATUSES:
            status = HTTPStatus(int(kind))
            if status == HTTPStatus.TOO_MANY_REQUESTS:
                self.close_connection = True
                self.send_response(status)
                self.send_header("Retry-After", "1")
                self.finish_reply(
                    f"{kind} {status.phrase}\n".encode(), "text/plain", body
                )
                return
            self.reply(status, f"{kind} {status.phrase}\n".encode(), "text/html", body)
        elif kind == "badjson":
            self.reply(
                HTTPStatus.OK,
                b"<html>Not JSON at all</html>\n",
                "application/json",
                body,
            )
        elif kind == "wrongshape":
            self.reply_json(HTTPStatus.OK, {"results": "not a list of places"}, body)
        elif kind == "slow":
            time.sleep(self.server.slow_delay)
            self.search(query, body)
        elif kind == "hangup":
            self.close_connection = True
        else:
            self.reply(HTTPStatus.NOT_FOUND, b"404 Not Found\n", "text/plain", body)

    # -- replies -----------------------------------------------------------

    def reply_json(self, status: HTTPStatus, data: Any, body: bool) -> None:
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        self.reply(status, text.encode(), "application/json", body)


class GeocoderServer(FrontServer):
    """A threaded HTTP(S) server for :class:`GeocoderHandler`."""

    def __init__(
        self,
        host: str,
        port: int,
        gazetteer: Gazetteer,
        recorder: Recorder,
        tls: ssl.SSLContext | None = None,
        client_timeout: float = 10.0,
        slow_delay: float = 3.0,
        quiet: bool = True,
    ) -> None:
        self.gazetteer = gazetteer
        self.recorder = recorder
        self.slow_delay = slow_delay
        super().__init__(host, port, GeocoderHandler, tls, client_timeout, quiet)
