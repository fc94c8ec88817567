"""The playground's HTTP/1.1 front (playground.http), through the geocoder:
request heads RFC 9112 says a server must reject get a 400, one test per
kind; what it lets a server accept is accepted; and Nominatim's own
lenience about parameters stays."""

from __future__ import annotations

import json
import socket

import pytest

from playground.http import BadHead, parse_head
from playground.services import Playground


def exchange(pg: Playground, data: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send *data* to the geocoder over HTTP as is; the reply's status,
    headers (lower-case names) and body, read until the server closes."""
    host, port = pg.address("geocoder", "http")
    with socket.create_connection((host, port), timeout=5) as sock:
        sock.sendall(data)
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    head, _, body = reply.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("iso-8859-1").split("\r\n")
    assert status_line.startswith("HTTP/1.1 ")
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), headers, body


def still_serving(pg: Playground) -> None:
    status, _, body = exchange(
        pg,
        b"GET /search?q=Paris,+France&format=json HTTP/1.1\r\nHost: x\r\n"
        b"Connection: close\r\n\r\n",
    )
    assert status == 200 and json.loads(body)[0]["name"] == "Paris"


# -- rejected: each malformed head of RFC 9112 gets a 400 ---------------------

MALFORMED = {
    # A header line with no colon is no header field at all...
    "header line without a colon": (
        b"GET /status HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n"
    ),
    # ...so a Host line without one leaves HTTP/1.1 with no valid Host.
    "Host line without a colon": b"GET /status HTTP/1.1\r\nHost x\r\n\r\n",
    "HTTP/1.1 without Host": b"GET /status HTTP/1.1\r\nAccept: */*\r\n\r\n",
    "two Host headers": b"GET /status HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
    "space before the colon": b"GET /status HTTP/1.1\r\nHost : x\r\n\r\n",
    "negative Content-Length": (
        b"GET /status HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n"
    ),
    "Content-Length not a number": (
        b"GET /status HTTP/1.1\r\nHost: x\r\nContent-Length: ten\r\n\r\n"
    ),
    "conflicting Content-Lengths": (
        b"GET /status HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n"
        b"Content-Length: 2\r\n\r\n"
    ),
    "raw UTF-8 in the target": (
        "GET /search?q=Zürich HTTP/1.1\r\nHost: x\r\n\r\n".encode()
    ),
    "raw control byte in the target": (
        b"GET /search?q=a\x01b HTTP/1.1\r\nHost: x\r\n\r\n"
    ),
    "raw space in the target": b"GET /search?q=a b HTTP/1.1\r\nHost: x\r\n\r\n",
    "no HTTP version, then header lines": b"GET /status\r\nHost: x\r\n\r\n",
    "lower-case protocol name": b"GET /status http/1.1\r\nHost: x\r\n\r\n",
}


@pytest.mark.parametrize("name", list(MALFORMED))
def test_a_malformed_head_is_a_400(playground: Playground, name: str) -> None:
    status, headers, body = exchange(playground, MALFORMED[name])
    assert status == 400, body
    assert headers["connection"] == "close"
    assert headers["content-type"] == "text/plain; charset=utf-8"
    assert body.startswith(b"400 ") and body.endswith(b"\n")
    assert b"\xc3" not in body and b"\x01" not in body  # the client's bytes stay out
    still_serving(playground)


def test_an_unsupported_transfer_coding_is_a_501(playground: Playground) -> None:
    data = b"GET /status HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n"
    assert exchange(playground, data)[0] == 501
    still_serving(playground)


# -- accepted: what RFC 9112 lets a server accept ------------------------------


def test_bare_lf_line_ends(playground: Playground) -> None:
    data = b"GET /search?q=Paris,+France&format=json&limit=1 HTTP/1.1\nHost: x\n"
    data += b"Connection: close\n\n"
    status, _, body = exchange(playground, data)
    assert status == 200 and json.loads(body)[0]["name"] == "Paris"
    # The wire view keeps the bytes as they came: LF, not CRLF.
    kept = [e.raw for e in playground.exchanges() if e.raw == data]
    assert kept == [data]


def test_the_absolute_form_of_the_target(playground: Playground) -> None:
    data = (
        b"GET http://www.example.com/search?q=Paris,+France&format=json&limit=1"
        b" HTTP/1.1\r\nHost: www.example.com\r\nConnection: close\r\n\r\n"
    )
    status, _, body = exchange(playground, data)
    assert status == 200 and json.loads(body)[0]["name"] == "Paris"


def test_empty_lines_before_the_request_line(playground: Playground) -> None:
    data = b"\r\n\r\nGET /status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    assert exchange(playground, data)[:3:2] == (200, b"OK")


def test_http_1_0_needs_no_host_and_closes(playground: Playground) -> None:
    status, headers, body = exchange(playground, b"GET /status HTTP/1.0\r\n\r\n")
    assert (status, body, headers["connection"]) == (200, b"OK", "close")


def test_a_folded_header_line_is_joined(playground: Playground) -> None:
    data = b"GET /status HTTP/1.1\r\nHost: x\r\nX-Note: one\r\n  two\r\n"
    data += b"Connection: close\r\n\r\n"
    assert exchange(playground, data)[0] == 200


# -- Nominatim's own lenience, inside a well-formed request ------------------------


@pytest.mark.parametrize(
    "query",
    [
        "q=%zz&format=json",  # a bad percent escape is taken literally
        "q=Paris%2&format=json",  # and so is a cut-off one
        "q=Paris&format=json&limit=0",  # out-of-range limits are clamped
        "q=Paris&format=json&limit=1000",
        "q=Paris&format=json&limit=-5",
    ],
)
def test_nominatims_lenience_still_answers_a_json_list(
    playground: Playground, query: str
) -> None:
    data = f"GET /search?{query} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    status, headers, body = exchange(playground, data.encode())
    assert status == 200
    assert headers["content-type"] == "application/json; charset=utf-8"
    assert isinstance(json.loads(body), list)


# -- the parser alone -----------------------------------------------------------------


def test_parse_head_gives_the_parts() -> None:
    head = parse_head(b"HEAD /a?b=c HTTP/1.0\r\nX-One: 1\r\nx-two:2\r\n\r\n")
    assert (head.method, head.target, head.version) == ("HEAD", "/a?b=c", "1.0")
    assert head.headers == [("x-one", "1"), ("x-two", "2")]


def test_parse_head_refuses_half_a_head() -> None:
    with pytest.raises(BadHead, match=r"^incomplete request head$"):
        parse_head(b"GET / HTTP/1.1\r\nHost: x\r\n")
