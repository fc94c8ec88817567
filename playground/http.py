"""A hardened HTTP/1.1 front for the playground's web services.

:class:`Front` is a :class:`http.server.BaseHTTPRequestHandler` whose
request heads are parsed by ``h11`` (a well-kept, strict HTTP/1.1 parser)
instead of by hand, and which holds its ground against clients that are
malformed, huge or slow. A service subclasses it with its ``do_GET`` (and
so on) and serves it with :class:`FrontServer`; the geocoder
(:mod:`playground.geocoder`) is one.

What a client gets:

* **400** for a head RFC 9112 says a server must reject: a header line
  without a colon (so an HTTP/1.1 request without a valid ``Host``), an
  invalid or conflicting ``Content-Length``, bytes outside visible ASCII in
  the request target, a request line without an HTTP version, white space
  before a header's colon, several ``Host`` headers;
* what RFC 9112 lets a server accept, accepted: a bare LF as line end, the
  absolute form of the target (``GET http://host/path``), empty lines
  before the request line, folded header lines (joined with a space);
* **414** for a request line over :data:`MAX_REQUEST_LINE` bytes, **431**
  for a header line over :data:`MAX_HEADER_LINE` or more than
  :data:`MAX_HEADERS` headers, **501** for an unknown method (or a
  transfer coding other than chunked), **505** for an HTTP version other
  than 1.x;
* a deadline of ``client_timeout`` seconds for each whole request head,
  however slowly it trickles in (idle kept-alive connections close after
  the same time); a 400 in plain text for plain HTTP sent to the HTTPS
  port; a lingering close, so a client whose request body the server did
  not read still gets the reply; and errors logged in one line.

The exact bytes of each head, as they came off the wire, stay available to
the handler (``self.rfile.seen``) for the book's wire views.

>>> parse_head(b'GET /search?q=Paris HTTP/1.1\\nHost: example.com\\n\\n').target
'/search?q=Paris'
>>> parse_head(b'GET / HTTP/1.1\\r\\nHost example.com\\r\\n\\r\\n')
Traceback (most recent call last):
...
playground.http.BadHead: illegal header line
"""

from __future__ import annotations

import http.client
import io
import re
import socket
import socketserver
import ssl
import sys
import time
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, BinaryIO

import h11

from playground.wire import TeeReader

#: The longest request line answered (longer: 414).
MAX_REQUEST_LINE = 8192
#: The longest header line read (longer: 431).
MAX_HEADER_LINE = 65536
#: The most header lines read (more: 431).
MAX_HEADERS = 100
#: Empty lines tolerated before a request line (RFC 9112, section 2.2).
MAX_EMPTY_LINES = 4
LINGER_BYTES = 16 * 1024 * 1024


class BadHead(ValueError):
    """The request head is malformed; ``status`` is the reply's status."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Head:
    """A parsed request head."""

    method: str
    target: str  # as sent: origin form "/path?query" or absolute form
    version: str  # "1.1"
    headers: list[tuple[str, str]]  # names lower-cased, values as sent


def parse_head(raw: bytes) -> Head:
    """Parse one complete request head (request line, header lines and the
    empty line) strictly, with h11; :class:`BadHead` if it is malformed."""
    parser = h11.Connection(h11.SERVER, max_incomplete_event_size=len(raw) + 1)
    parser.receive_data(raw)
    try:
        event = parser.next_event()
    except h11.RemoteProtocolError as exc:
        raise BadHead(_printable(str(exc)), exc.error_status_hint) from None
    if not isinstance(event, h11.Request):  # NEED_DATA: no empty line at the end
        raise BadHead("incomplete request head")
    return Head(
        method=event.method.decode("ascii"),
        target=event.target.decode("ascii"),
        version=event.http_version.decode("ascii"),
        headers=[
            (name.decode("ascii"), value.decode("iso-8859-1"))
            for name, value in event.headers
        ],
    )


def _printable(message: str) -> str:
    """h11's message without the bytes it quotes (the client's own, which
    the reply and the log should not repeat).

    >>> _printable("illegal header line: bytearray(b'Host x')")
    'illegal header line'
    """
    return re.sub(r":\s*bytearray\(.*\)$", "", message, flags=re.S)[:200]


class HeadTooLarge(Exception):
    """A header line or the number of headers is over the limit (431)."""


def read_header_lines(rfile: BinaryIO) -> bytes:
    """The header lines after a request line, through the empty line, as
    read; :class:`HeadTooLarge` past :data:`MAX_HEADER_LINE` or
    :data:`MAX_HEADERS`. Stops early at the end of the stream."""
    lines = []
    while True:
        line = rfile.readline(MAX_HEADER_LINE + 1)
        if len(line) > MAX_HEADER_LINE:
            raise HeadTooLarge("Line too long")
        lines.append(line)
        if line in (b"\r\n", b"\n", b""):
            return b"".join(lines)
        if len(lines) > MAX_HEADERS:
            raise HeadTooLarge("Too many headers")


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


class Front(BaseHTTPRequestHandler):
    """One connection's requests, read strictly (see the module's text)."""

    server: FrontServer
    protocol_version = "HTTP/1.1"
    # A request line we cannot parse still gets a status line and headers
    # (http.server's default, HTTP/0.9, would send the bare body).
    default_request_version = "HTTP/1.0"
    server_version = "playground/1.0"
    error_message_format = "%(code)d %(message)s\n"
    error_content_type = "text/plain; charset=utf-8"

    # -- connection set-up -------------------------------------------------

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

    @property
    def seen(self) -> bytes:
        """The bytes of this request's head, exactly as they arrived."""
        return bytes(self.rfile.seen)  # type: ignore[attr-defined]

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

    # -- the request head ----------------------------------------------------

    def parse_request(self) -> bool:
        """Read and check the head whose first line is ``raw_requestline``;
        set ``command``, ``path``, ``request_version`` and ``headers``, or
        answer with the error and return False."""
        self.command = ""
        self.request_version = self.default_request_version
        self.close_connection = True
        line = self.raw_requestline
        for _ in range(MAX_EMPTY_LINES):  # RFC 9112, 2.2: ignore a few
            if line not in (b"\r\n", b"\n"):
                break
            line = self.rfile.readline(MAX_REQUEST_LINE + 1)
        self.requestline = line.rstrip(b"\r\n").decode("iso-8859-1")
        if len(line) > MAX_REQUEST_LINE:
            self.requestline = ""
            self.send_error(HTTPStatus.REQUEST_URI_TOO_LONG)
            return False
        try:
            rest = read_header_lines(self.rfile)  # type: ignore[arg-type]
        except HeadTooLarge as exc:
            self.send_error(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, str(exc))
            return False
        try:
            head = parse_head(line + rest)
        except BadHead as exc:
            self.send_error(exc.status, str(exc))
            return False
        if not head.version.startswith("1."):
            self.send_error(HTTPStatus.HTTP_VERSION_NOT_SUPPORTED)
            return False
        self.command, self.path = head.method, head.target
        self.request_version = f"HTTP/{head.version}"
        self.headers = http.client.HTTPMessage()
        for name, value in head.headers:
            self.headers[name] = value
        self.close_connection = self.wants_close(head)
        return True

    def wants_close(self, head: Head) -> bool:
        """Whether the connection ends after this request: HTTP/1.0 without
        keep-alive, ``Connection: close``, or a body this front will not read
        (so the next request on the connection cannot be found)."""
        tokens = {
            token.strip().lower()
            for name, value in head.headers
            if name == "connection"
            for token in value.split(",")
        }
        names = {name for name, _ in head.headers}
        body = "transfer-encoding" in names or any(
            name == "content-length" and value.strip() != "0"
            for name, value in head.headers
        )
        if "close" in tokens or body:
            return True
        return head.version == "1.0" and "keep-alive" not in tokens

    # -- logging and replies ---------------------------------------------------

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        if not self.server.quiet:
            sys.stderr.write(f"{self.address_string()} {format % args}\n")

    def refuse_method(self) -> None:
        self.close_connection = True
        self.send_response(HTTPStatus.METHOD_NOT_ALLOWED)
        self.send_header("Allow", "GET, HEAD")
        self.finish_reply(b"405 Only GET and HEAD are allowed\n", "text/plain", True)

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = refuse_method
    do_TRACE = do_CONNECT = refuse_method

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


class FrontServer(ThreadingHTTPServer):
    """A threaded HTTP(S) server for a :class:`Front` handler: IPv4 or IPv6,
    TLS if given a context, and no DNS look-up of its own name."""

    daemon_threads = True
    block_on_close = False
    request_queue_size = 64

    def __init__(
        self,
        host: str,
        port: int,
        handler: type[Front],
        tls: ssl.SSLContext | None = None,
        client_timeout: float = 10.0,
        quiet: bool = True,
    ) -> None:
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.tls = tls
        self.client_timeout = client_timeout
        self.quiet = quiet
        super().__init__((host, port), handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind would look up our own name in DNS; skip that.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)

    def handle_error(self, request: Any, client_address: Any) -> None:
        error = sys.exc_info()[1]
        if not self.quiet:
            sys.stderr.write(f"{client_address[0]} connection dropped: {error!r}\n")
