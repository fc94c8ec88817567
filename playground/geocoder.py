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

The server is a :class:`http.server.ThreadingHTTPServer`: one thread per
connection; a deadline of ``client_timeout`` seconds for each request line
and headers, however slowly they trickle in (idle connections close after
the same time); limits on request lines (414) and headers (431); a 400 in
plain text for plain HTTP sent to the HTTPS port; a lingering close, so a
client whose request the server did not read (a POST body, say) still gets
the reply; and errors logged in one line. No client can stop it serving the
others.
"""

from __future__ import annotations

import io
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
LINGER_BYTES = 16 * 1024 * 1024
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


class DeadlineReader(io.RawIOBase):
    """Read from a socket, but raise :class:`TimeoutError` once *deadline*
    (a ``time.monotonic()`` time, or None for none) has passed, however
    steadily the bytes trickle in: the socket's own timeout only bounds the
    wait for each piece."""

    def __init__(self, sock: socket.socket, timeout: float) -> None:
        self.sock = sock
        self.timeout = timeout
        self.deadline: float | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self.deadline is None:
            return self.sock.recv_into(buffer)
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the request took too long to arrive")
        self.sock.settimeout(min(left, self.timeout))
        try:
            return self.sock.recv_into(buffer)
        finally:
            self.sock.settimeout(self.timeout)


class GeocoderHandler(BaseHTTPRequestHandler):
    """Answers one connection's requests."""

    server: GeocoderServer
    protocol_version = "HTTP/1.1"
    # A request line we cannot parse still gets a status line and headers
    # (http.server's default, HTTP/0.9, would send the bare body).
    default_request_version = "HTTP/1.0"
    server_version = "playground-geocoder/1.0"
    error_message_format = "%(code)d %(message)s\n"
    error_content_type = "text/plain; charset=utf-8"

    # -- connection set-up and the request line --------------------------

    def setup(self) -> None:
        self.client_timeout = self.server.client_timeout
        self.request.settimeout(self.client_timeout)
        self.plain_on_tls = False
        if self.server.tls is not None:
            # A TLS client opens with a handshake record (byte 0x16); anything
            # else is most likely plain HTTP sent to the wrong port.
            first = self.request.recv(1, socket.MSG_PEEK)
            self.plain_on_tls = first not in (b"", b"\x16")
            if not self.plain_on_tls:
                tls = self.server.tls
                self.request = tls.wrap_socket(self.request, server_side=True)
        super().setup()
        self.rfile.close()
        self.reader = DeadlineReader(self.connection, self.client_timeout)
        buffered = io.BufferedReader(self.reader)
        self.rfile = TeeReader(buffered, MAX_REQUEST_LINE * 4)  # type: ignore[assignment]

    def handle(self) -> None:
        if self.plain_on_tls:
            self.refuse_plain_http()
        else:
            super().handle()

    def handle_one_request(self) -> None:
        self.rfile.seen.clear()  # type: ignore[attr-defined]
        self.reader.deadline = time.monotonic() + self.client_timeout
        try:
            super().handle_one_request()
        finally:
            self.reader.deadline = None

    def refuse_plain_http(self) -> None:
        """Read the request, then say in plain text that this port wants TLS."""
        self.close_connection = True
        self.reader.deadline = time.monotonic() + self.client_timeout
        try:
            self.raw_requestline = self.rfile.readline(MAX_REQUEST_LINE + 1)
            if self.parse_request():  # else it has answered 400, 414 or 431
                message = "Plain HTTP request sent to the HTTPS port"
                self.send_error(HTTPStatus.BAD_REQUEST, message)
        except TimeoutError:
            pass

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.linger()

    def linger(self) -> None:
        """Close gently: end our side, then read and drop whatever the client
        still sends (for at most ``client_timeout`` seconds and LINGER_BYTES),
        so the client reads our reply instead of a connection reset."""
        sock = self.connection
        try:
            sock.shutdown(socket.SHUT_WR)
            deadline, drained = time.monotonic() + self.client_timeout, 0
            while drained < LINGER_BYTES and (left := deadline - time.monotonic()) > 0:
                sock.settimeout(left)
                chunk = sock.recv(65536)
                if not chunk:
                    break
                drained += len(chunk)
        except OSError:
            pass
        finally:
            sock.close()

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
    do_TRACE = do_CONNECT = refuse_method

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
