"""A Nominatim-compatible geocoding service, over HTTP and HTTPS.

It answers the part of Nominatim's API that the book's listings and geopy
use, with the output Nominatim documents:

``GET /search?q=...&format=json|jsonv2&limit=N&addressdetails=0|1``
    a JSON array of places, ``[]`` when nothing matches;
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

The server is a :class:`http.server.ThreadingHTTPServer`: one thread per
connection, a timeout for slow and idle clients, limits on request lines and
headers, and errors logged in one line, so no client can stop it serving the
others.
"""

from __future__ import annotations

import json
import socket
import socketserver
import ssl
import sys
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from playground.gazetteer import Gazetteer, Place
from playground.wire import Recorder, TeeReader

MAX_REQUEST_LINE = 8192
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

    >>> parse_search('q=Paris&format=json&limit=2')
    ('Paris', 'json', 2, False)
    >>> parse_search('format=json')
    Traceback (most recent call last):
    ...
    playground.geocoder.QueryError: Nothing to search for.
    """
    params = dict(parse_qsl(query, keep_blank_values=True))
    q = params.get("q", "").strip()
    if not q:
        raise QueryError("Nothing to search for.")
    fmt = params.get("format", "jsonv2")
    if fmt not in FORMATS:
        raise QueryError(f"Parameter 'format' must be one of: {', '.join(FORMATS)}.")
    try:
        limit = int(params.get("limit", "10"))
    except ValueError:
        raise QueryError("Integer expected for parameter 'limit'.") from None
    details = params.get("addressdetails", "0").lower()
    if details not in ("0", "1", "true", "false"):
        raise QueryError("Parameter 'addressdetails' must be 0 or 1.")
    return q, fmt, max(1, min(limit, MAX_LIMIT)), details in ("1", "true")


class GeocoderHandler(BaseHTTPRequestHandler):
    """Answers one connection's requests."""

    server: GeocoderServer
    protocol_version = "HTTP/1.1"
    server_version = "playground-geocoder/1.0"
    error_message_format = "%(code)d %(message)s\n"
    error_content_type = "text/plain; charset=utf-8"

    # -- connection set-up and the request line --------------------------

    def setup(self) -> None:
        self.timeout = self.server.client_timeout
        if self.server.tls is not None:
            self.request.settimeout(self.timeout)
            self.request = self.server.tls.wrap_socket(self.request, server_side=True)
        super().setup()
        self.rfile = TeeReader(self.rfile, MAX_REQUEST_LINE * 4)  # type: ignore[assignment]

    def handle_one_request(self) -> None:
        self.rfile.seen.clear()  # type: ignore[attr-defined]
        super().handle_one_request()

    def parse_request(self) -> bool:
        if len(self.raw_requestline) > MAX_REQUEST_LINE:
            self.requestline = self.request_version = self.command = ""
            self.send_error(HTTPStatus.REQUEST_URI_TOO_LONG)
            return False
        return super().parse_request()

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        if not self.server.quiet:
            sys.stderr.write(f"{self.address_string()} {format % args}\n")

    # -- methods -----------------------------------------------------------

    def do_GET(self) -> None:
        self.route(body=True)

    def do_HEAD(self) -> None:
        self.route(body=False)

    def refuse_method(self) -> None:
        self.close_connection = True
        self.send_response(HTTPStatus.METHOD_NOT_ALLOWED)
        self.send_header("Allow", "GET, HEAD")
        self.finish_reply(b"405 Only GET and HEAD are allowed\n", "text/plain", True)

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = refuse_method

    # -- routing -----------------------------------------------------------

    def route(self, body: bool) -> None:
        url = urlsplit(self.path)
        path = url.path
        if not path.startswith("/_playground/"):
            self.server.recorder.add(*self.client_address[:2], bytes(self.rfile.seen))  # type: ignore[attr-defined]
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
        places = self.server.gazetteer.search(q, limit)
        self.reply_json(HTTPStatus.OK, [place_json(p, fmt, details) for p in places], body)

    def status(self, query: str, body: bool) -> None:
        if dict(parse_qsl(query)).get("format") == "json":
            status = {"status": 0, "message": "OK", "software_version": self.server_version}
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
                self.finish_reply(f"{kind} {status.phrase}\n".encode(), "text/plain", body)
                return
            self.reply(status, f"{kind} {status.phrase}\n".encode(), "text/html", body)
        elif kind == "badjson":
            self.reply(HTTPStatus.OK, b"<html>Not JSON at all</html>\n", "application/json", body)
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

    def reply(self, status: HTTPStatus, payload: bytes, kind: str, body: bool) -> None:
        self.send_response(status)
        self.finish_reply(payload, kind, body)

    def finish_reply(self, payload: bytes, kind: str, body: bool) -> None:
        self.send_header("Content-Type", f"{kind}; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Access-Control-Allow-Origin", "*")
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if body:
            self.wfile.write(payload)


class GeocoderServer(ThreadingHTTPServer):
    """A threaded HTTP(S) server for :class:`GeocoderHandler`."""

    daemon_threads = True
    block_on_close = False
    request_queue_size = 64

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
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.gazetteer = gazetteer
        self.recorder = recorder
        self.tls = tls
        self.client_timeout = client_timeout
        self.slow_delay = slow_delay
        self.quiet = quiet
        super().__init__((host, port), GeocoderHandler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind would look up our own name in DNS; skip that.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)

    def handle_error(self, request: Any, client_address: Any) -> None:
        error = sys.exc_info()[1]
        if not self.quiet:
            sys.stderr.write(f"{client_address[0]} connection dropped: {error!r}\n")
