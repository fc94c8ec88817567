"""The playground geocoder over the wire: Nominatim's API and output, the
fault routes, the wire recorder, geopy as a client, and a server that keeps
serving whatever its clients do."""

from __future__ import annotations

import http.client
import io
import json
import select
import socket
import ssl
import struct
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from email.message import Message
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote

import pytest
from geopy.geocoders import Nominatim

from playground.gazetteer import Place
from playground.geocoder import (
    MAX_LIMIT,
    DeadlineReader,
    GeocoderHandler,
    GeocoderServer,
    QueryError,
    parse_search,
)
from playground.services import Playground
from playground.wire import Recorder, TeeReader
from tools.harness import serving

EXAMPLE = "207 N. Defiance St, Archbold, OH"
EXAMPLE_JSON = {
    "place_id": 1,
    "licence": (
        "Coordinates as published in Foundations of Python Network Programming, "
        "3rd ed., chapter 1"
    ),
    "osm_type": "node",
    "osm_id": 1,
    "lat": "41.521954",
    "lon": "-84.306691",
    "class": "building",
    "type": "yes",
    "place_rank": 30,
    "importance": 0.00001,
    "addresstype": "building",
    "name": "",
    "display_name": (
        "207, North Defiance Street, Archbold, Fulton County, Ohio, 43502, "
        "United States"
    ),
    "boundingbox": ["41.521904", "41.522004", "-84.306741", "-84.306641"],
}
EXAMPLE_ADDRESS = {
    "house_number": "207",
    "road": "North Defiance Street",
    "town": "Archbold",
    "county": "Fulton County",
    "state": "Ohio",
    "ISO3166-2-lvl4": "US-OH",
    "postcode": "43502",
    "country": "United States",
    "country_code": "us",
}
TIMEOUT = 0.5  # the fast playground's client_timeout
SLOW = 1.0  # and its slow_delay


# -- helpers ------------------------------------------------------------------


def fetch(
    url: str, method: str = "GET", context: ssl.SSLContext | None = None
) -> tuple[int, Message, bytes]:
    """Status, headers and body of one request, error statuses included."""
    request = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(request, timeout=5, context=context) as reply:
            return reply.status, reply.headers, reply.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers, error.read()


def search(pg: Playground, **params: Any) -> Any:
    status, headers, body = fetch(
        f"{pg.http_url}/search?{urllib.parse.urlencode(params)}"
    )
    assert status == 200, body
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    return json.loads(body)


def port(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def strict_context(pg: Playground) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=pg.ca_file)
    context.verify_flags |= ssl.VERIFY_X509_STRICT
    return context


def read_until_closed(sock: socket.socket) -> bytes:
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def raw(port: int, data: bytes, timeout: float = 5) -> bytes:
    """Send *data* as is, then read until the server closes the connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        return read_until_closed(sock)


def parse(reply: bytes) -> tuple[int, dict[str, str], bytes]:
    """Status code, headers (lower-cased names) and body of a raw HTTP reply."""
    head, _, body = reply.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("iso-8859-1").split("\r\n")
    version, code, _ = status_line.split(" ", 2)
    assert version == "HTTP/1.1"
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(code), headers, body


def healthy(pg: Playground) -> None:
    """The server still answers an ordinary search, over HTTP and HTTPS."""
    query = "q=Paris,+France&format=json&limit=1"
    for base, context in ((pg.http_url, None), (pg.https_url, strict_context(pg))):
        status, _, body = fetch(f"{base}/search?{query}", context=context)
        assert status == 200
        assert json.loads(body)[0]["name"] == "Paris"


def closed_within(sock: socket.socket, seconds: float) -> float:
    """Wait until the server closes *sock* (reads EOF or a reset); return how
    long that took, failing if it takes longer than *seconds*."""
    start = time.monotonic()
    sock.settimeout(seconds)
    try:
        while sock.recv(65536):
            pass
    except ConnectionResetError:
        pass
    except TimeoutError:
        pytest.fail(f"the server kept the connection open for over {seconds} s")
    return time.monotonic() - start


@pytest.fixture(scope="module")
def fast(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Playground]:
    """A playground of its own with short client timeouts and a short slow fault."""
    state = tmp_path_factory.mktemp("fast-playground")
    with Playground(state_dir=state, client_timeout=TIMEOUT, slow_delay=SLOW) as pg:
        yield pg


# -- the search API -------------------------------------------------------------


def test_the_example_in_nominatims_json_format(playground: Playground) -> None:
    (place,) = search(playground, q=EXAMPLE, format="json")
    assert place == EXAMPLE_JSON
    assert list(place) == list(EXAMPLE_JSON)  # Nominatim's order of fields
    assert isinstance(place["place_id"], int) and isinstance(place["osm_id"], int)
    assert isinstance(place["importance"], float)
    assert float(place["lat"]) == 41.521954 and float(place["lon"]) == -84.306691


def test_jsonv2_says_category_and_is_the_default(playground: Playground) -> None:
    (v2,) = search(playground, q=EXAMPLE, format="jsonv2")
    expected = {("category" if k == "class" else k): v for k, v in EXAMPLE_JSON.items()}
    assert v2 == expected
    assert list(v2) == list(expected)
    assert "class" not in v2
    assert search(playground, q=EXAMPLE) == [v2]


def test_addressdetails(playground: Playground) -> None:
    (plain,) = search(playground, q=EXAMPLE, format="json", addressdetails=0)
    (detailed,) = search(playground, q=EXAMPLE, format="json", addressdetails=1)
    assert "address" not in plain
    assert detailed["address"] == EXAMPLE_ADDRESS
    keys = list(detailed)
    assert keys.index("display_name") + 1 == keys.index("address")
    assert keys[-1] == "boundingbox"
    # Nominatim reads every value but 0 as yes.
    assert search(playground, q=EXAMPLE, addressdetails="yes")[0]["address"]
    (paris,) = search(playground, q="Paris, France", addressdetails=1)
    assert paris["address"] == {
        "city": "Paris",
        "country": "France",
        "state": "Île-de-France",
        "country_code": "fr",
    }


@pytest.mark.parametrize(
    "query",
    [
        "  207 n defiance st ARCHBOLD oh",
        "207 N. Defiance St., Archbold, OH.",
        "207 NORTH DEFIANCE STREET, ARCHBOLD, OHIO",
        "207\tN Defiance St\nArchbold OH",
    ],
)
def test_loose_spellings_of_the_example(playground: Playground, query: str) -> None:
    (place,) = search(playground, q=query, format="json")
    assert place == EXAMPLE_JSON


@pytest.mark.parametrize(
    ("query", "name", "display_name"),
    [
        ("Paris", "Paris", "Paris, Île-de-France, France"),
        ("München", "Munich", "Munich, Germany"),
        ("Springfield, IL", "Springfield", "Springfield, Illinois, United States"),
        ("new york", "New York City", "New York City, New York, United States"),
    ],
)
def test_cities(
    playground: Playground, query: str, name: str, display_name: str
) -> None:
    places = search(playground, q=query, format="json")
    first = places[0]
    assert (first["name"], first["display_name"]) == (name, display_name)
    assert (first["class"], first["type"], first["osm_type"]) == (
        "place",
        "city",
        "node",
    )
    assert isinstance(first["place_id"], int) and first["osm_id"] == first["place_id"]
    south, north, west, east = map(float, first["boundingbox"])
    assert south < float(first["lat"]) < north and west < float(first["lon"]) < east
    assert all(isinstance(v, str) for v in first["boundingbox"])
    assert isinstance(first["importance"], float) and 0 < first["importance"] < 1
    assert first["licence"] == "Data © GeoNames (geonames.org), CC BY 4.0"
    importances = [p["importance"] for p in places]
    assert importances == sorted(importances, reverse=True)


def test_the_cities_have_their_real_coordinates(playground: Playground) -> None:
    def where(query: str) -> tuple[float, float]:
        first = search(playground, q=query, limit=1)[0]
        return float(first["lat"]), float(first["lon"])

    assert where("Paris") == pytest.approx((48.853, 2.349), abs=0.01)
    assert where("München") == pytest.approx((48.137, 11.575), abs=0.01)
    assert where("Springfield, IL") == pytest.approx((39.80, -89.64), abs=0.01)
    assert where("new york") == pytest.approx((40.71, -74.01), abs=0.01)


def test_percent_encoded_utf8_and_plus_for_space(playground: Playground) -> None:
    url = f"{playground.http_url}/search?q=M%C3%BCnchen&format=json"
    assert json.loads(fetch(url)[2])[0]["name"] == "Munich"
    url = f"{playground.http_url}/search?q=new+york&format=json&limit=1"
    assert json.loads(fetch(url)[2])[0]["name"] == "New York City"


@pytest.mark.parametrize("query", ["no such place anywhere", "zzzzzz, ZZ", "   ", ""])
def test_no_match_is_an_empty_list(playground: Playground, query: str) -> None:
    url = f"{playground.http_url}/search?{urllib.parse.urlencode({'q': query})}"
    status, headers, body = fetch(url)
    assert (status, body) == (200, b"[]")
    assert headers["Content-Type"] == "application/json; charset=utf-8"


def test_limit(playground: Playground) -> None:
    every = search(playground, q="Springfield", limit=40)
    assert len(every) > 3
    assert search(playground, q="Springfield", limit=3) == every[:3]
    assert search(playground, q="Springfield", limit=1) == every[:1]
    # Out of range, Nominatim clamps rather than refuses.
    assert search(playground, q="Springfield", limit=0) == every[:1]
    assert search(playground, q="Springfield", limit=-7) == every[:1]
    assert search(playground, q="Springfield", limit=1000) == every


class Repeater:
    """A stand-in gazetteer that returns as many places as it is asked for."""

    def __init__(self) -> None:
        self.asked: list[int] = []

    def search(self, query: str, limit: int = 10) -> list[Place]:
        self.asked.append(limit)
        place = Place(
            1, "1", "2", "x", "place", "city", "city", "x", 16, 0.5, ("0",) * 4
        )
        return [place] * limit


def test_limit_is_capped_and_clamped_before_the_search() -> None:
    gazetteer = Repeater()
    server = GeocoderServer("127.0.0.1", 0, gazetteer, Recorder())  # type: ignore[arg-type]
    with serving(server):
        base = f"http://127.0.0.1:{server.server_address[1]}/search?q=x"
        counts = {
            limit: len(json.loads(fetch(f"{base}&limit={quote(limit)}")[2]))
            for limit in ("1000", "41", "40", "7", "1", "0", "-3", "+5", " 6 ")
        }
        assert len(json.loads(fetch(base)[2])) == 10
    assert MAX_LIMIT == 40
    assert counts == {
        "1000": 40, "41": 40, "40": 40, "7": 7, "1": 1, "0": 1, "-3": 1,
        "+5": 5, " 6 ": 6,
    }  # fmt: skip
    assert gazetteer.asked == [40, 40, 40, 7, 1, 1, 1, 5, 6, 10]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("format=json", "Nothing to search for."),
        ("", "Nothing to search for."),
        ("q=Paris&format=xml", "Parameter 'format' must be one of: json, jsonv2"),
        ("q=Paris&format=", "Parameter 'format' must be one of: json, jsonv2"),
        ("q=Paris&format=JSON", "Parameter 'format' must be one of: json, jsonv2"),
        ("q=Paris&limit=ten", "Parameter 'limit' must be a number."),
        ("q=Paris&limit=", "Parameter 'limit' must be a number."),
        ("q=Paris&limit=2.5", "Parameter 'limit' must be a number."),
    ],
)
def test_bad_parameters_are_a_400_in_json(
    playground: Playground, query: str, message: str
) -> None:
    status, headers, body = fetch(f"{playground.http_url}/search?{query}")
    assert status == 400
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    assert json.loads(body) == {"error": {"code": 400, "message": message}}
    with pytest.raises(QueryError, match=message.replace(".", r"\.")):
        parse_search(query)


def test_parse_search() -> None:
    assert parse_search("q=Paris") == ("Paris", "jsonv2", 10, False)
    assert parse_search("q=+Paris+&format=json") == ("Paris", "json", 10, False)
    assert parse_search("q=&addressdetails=1") == ("", "jsonv2", 10, True)
    assert parse_search("q=a&addressdetails=0&limit=1000") == ("a", "jsonv2", 40, False)
    assert parse_search("q=a&addressdetails=") == ("a", "jsonv2", 10, True)
    assert parse_search("q=a&q=b") == ("b", "jsonv2", 10, False)


def test_status(playground: Playground) -> None:
    status, headers, body = fetch(f"{playground.http_url}/status")
    assert (status, body) == (200, b"OK")
    assert headers["Content-Type"].startswith("text/plain")
    status, headers, body = fetch(f"{playground.http_url}/status?format=json")
    assert status == 200 and headers["Content-Type"].startswith("application/json")
    answer = json.loads(body)
    assert (answer["status"], answer["message"]) == (0, "OK")


def test_home_page_names_the_endpoints(playground: Playground) -> None:
    status, headers, body = fetch(f"{playground.http_url}/")
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    assert b"/search?q=" in body and b"/status" in body


def test_head_has_the_headers_but_no_body(playground: Playground) -> None:
    url = f"{playground.http_url}/search?q=Paris&format=json"
    _, get_headers, get_body = fetch(url)
    status, head_headers, head_body = fetch(url, method="HEAD")
    assert (status, head_body) == (200, b"")
    assert head_headers["Content-Length"] == get_headers["Content-Length"]
    assert int(head_headers["Content-Length"]) == len(get_body)


def test_unknown_path_is_a_404(playground: Playground) -> None:
    for path in ("/nowhere", "/search/", "/SEARCH", "/_playground/", "/status/x"):
        status, _, body = fetch(f"{playground.http_url}{path}?q=Paris")
        assert (status, body) == (404, b"404 Not Found\n"), path


@pytest.mark.parametrize(
    "method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"]
)
def test_wrong_method_is_a_405_with_allow(playground: Playground, method: str) -> None:
    status, headers, _ = fetch(f"{playground.http_url}/search?q=Paris", method=method)
    assert status == 405
    assert headers["Allow"] == "GET, HEAD"


def test_https_gives_the_same_answers(playground: Playground) -> None:
    path = "/search?q=Paris&format=json&addressdetails=1"
    _, _, plain = fetch(playground.http_url + path)
    status, _, secure = fetch(
        playground.https_url + path, context=strict_context(playground)
    )
    assert status == 200 and secure == plain


def test_keep_alive_serves_several_requests_on_one_connection(
    playground: Playground,
) -> None:
    connection = http.client.HTTPConnection(
        "127.0.0.1", port(playground.http_url), timeout=5
    )
    try:
        answers = []
        for query in ("Paris", "München", "new york"):
            connection.request("GET", f"/search?q={urllib.parse.quote(query)}&limit=1")
            reply = connection.getresponse()
            assert reply.status == 200 and reply.getheader("Connection") is None
            answers.append(json.loads(reply.read())[0]["name"])
            local = connection.sock.getsockname()
            if query == "Paris":
                first = local
            assert local == first  # still the same connection
    finally:
        connection.close()
    assert answers == ["Paris", "Munich", "New York City"]


def test_whoami_is_the_client_address(playground: Playground) -> None:
    with socket.create_connection(
        ("127.0.0.1", port(playground.http_url)), timeout=5
    ) as s:
        s.sendall(
            b"GET /_playground/whoami HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        status, _, body = parse(read_until_closed(s))
        assert (status, body) == (200, f"127.0.0.1 {s.getsockname()[1]}\n".encode())


# -- fault routes -----------------------------------------------------------------


@pytest.mark.parametrize("kind", ["403", "429", "500", "502", "503"])
def test_status_faults(fast: Playground, kind: str) -> None:
    status, headers, body = fetch(
        f"{fast.http_url}/_playground/fault/{kind}/search?q=Paris"
    )
    assert status == int(kind)
    phrase = http.HTTPStatus(int(kind)).phrase
    assert body == f"{kind} {phrase}\n".encode()
    if kind == "429":
        assert headers["Retry-After"] == "1"
    healthy(fast)


def test_badjson_fault_is_a_200_whose_body_is_not_json(fast: Playground) -> None:
    status, headers, body = fetch(
        f"{fast.http_url}/_playground/fault/badjson/search?q=Paris"
    )
    assert status == 200
    assert headers["Content-Type"].startswith("application/json")
    with pytest.raises(json.JSONDecodeError):
        json.loads(body)


def test_wrongshape_fault_is_json_but_not_a_list(fast: Playground) -> None:
    status, _, body = fetch(
        f"{fast.http_url}/_playground/fault/wrongshape/search?q=Paris"
    )
    assert status == 200
    assert json.loads(body) == {"results": "not a list of places"}


def test_slow_fault_answers_after_the_delay(fast: Playground) -> None:
    start = time.monotonic()
    url = (
        f"{fast.http_url}/_playground/fault/slow/search?q={urllib.parse.quote(EXAMPLE)}"
    )
    status, _, body = fetch(url)
    elapsed = time.monotonic() - start
    assert status == 200
    assert json.loads(body)[0]["lat"] == "41.521954"
    assert SLOW <= elapsed < SLOW + 2


def test_slow_fault_times_out_a_patient_client(fast: Playground) -> None:
    url = f"{fast.http_url}/_playground/fault/slow/search?q=Paris"
    with pytest.raises(TimeoutError):
        urllib.request.urlopen(url, timeout=SLOW / 4)
    healthy(fast)


def test_hangup_fault_closes_without_a_word(fast: Playground) -> None:
    for base in (fast.http_url, fast.https_url):
        with socket.create_connection(("127.0.0.1", port(base)), timeout=5) as sock:
            if base.startswith("https"):
                sock = strict_context(fast).wrap_socket(
                    sock, server_hostname="localhost"
                )
            sock.sendall(
                b"GET /_playground/fault/hangup/search?q=Paris HTTP/1.1\r\n"
                b"Host: localhost\r\n\r\n"  # a whole request, or it is a 400
            )
            sock.settimeout(5)
            try:
                said = sock.recv(65536)
            except ConnectionResetError:
                said = b""
            assert said == b""  # not a byte of an answer, then the close
            sock.close()
    connection = http.client.HTTPConnection("127.0.0.1", port(fast.http_url), timeout=5)
    with pytest.raises(http.client.RemoteDisconnected):
        connection.request("GET", "/_playground/fault/hangup/search?q=Paris")
        connection.getresponse()
    connection.close()
    healthy(fast)


def test_fault_routes_only_for_search_and_known_kinds(fast: Playground) -> None:
    for path in ("/_playground/fault/418/search", "/_playground/fault/500/status"):
        status, _, _ = fetch(f"{fast.http_url}{path}?q=Paris")
        assert status == 404, path


def test_fault_routes_also_work_over_https(fast: Playground) -> None:
    url = f"{fast.https_url}/_playground/fault/503/search?q=Paris"
    assert fetch(url, context=strict_context(fast))[0] == 503


# -- the wire recorder -------------------------------------------------------------


def recorded(pg: Playground, token: str) -> list[bytes]:
    return [e.raw for e in pg.exchanges() if token.encode() in e.raw]


def test_request_heads_are_recorded_byte_for_byte(playground: Playground) -> None:
    head = (
        b"GET /search?q=Paris&format=json&token=odd-head HTTP/1.1\r\n"
        b"x-ODD-case:  two  spaces \r\n"
        b"Connection: close\r\n"
        b"HOST: 127.0.0.1\r\n"
        b"accept: */*\r\n"
        b"\r\n"
    )
    with socket.create_connection(
        ("127.0.0.1", port(playground.http_url)), timeout=5
    ) as s:
        s.sendall(head)
        status, _, _ = parse(read_until_closed(s))
        client_port = s.getsockname()[1]
    assert status == 200
    (exchange,) = [e for e in playground.exchanges() if b"token=odd-head" in e.raw]
    assert exchange.raw == head
    assert (exchange.client, exchange.port) == ("127.0.0.1", client_port)
    assert exchange.text() == head.decode("iso-8859-1")
    assert abs(exchange.when - time.time()) < 60

    status, _, body = fetch(f"{playground.http_url}/_playground/requests")
    assert status == 200
    log = json.loads(body)
    entry = next(e for e in log if "token=odd-head" in e["request"])
    assert entry == {
        "client": "127.0.0.1",
        "port": client_port,
        "request": head.decode(),
    }


def test_https_requests_are_recorded_too(playground: Playground) -> None:
    head = (
        b"GET /status?token=over-tls HTTP/1.1\r\n"
        b"Host: localhost\r\nConnection: close\r\n\r\n"
    )
    with socket.create_connection(
        ("127.0.0.1", port(playground.https_url)), timeout=5
    ) as s:
        context = strict_context(playground)
        with context.wrap_socket(s, server_hostname="localhost") as tls:
            tls.sendall(head)
            assert parse(read_until_closed(tls))[0] == 200
    assert recorded(playground, "token=over-tls") == [head]


def test_each_request_on_a_kept_alive_connection_is_recorded_alone(
    playground: Playground,
) -> None:
    first = b"GET /status?token=ka-1 HTTP/1.1\r\nHost: x\r\n\r\n"
    second = b"GET /status?token=ka-2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    with socket.create_connection(
        ("127.0.0.1", port(playground.http_url)), timeout=5
    ) as s:
        s.sendall(first + second)  # pipelined
        replies = read_until_closed(s)
    assert replies.count(b"HTTP/1.1 200 OK") == 2
    assert recorded(playground, "token=ka-1") == [first]
    assert recorded(playground, "token=ka-2") == [second]


def test_playground_requests_are_not_recorded(playground: Playground) -> None:
    for path in ("requests", "whoami", "fault/500/search", "fault/badjson/search"):
        fetch(f"{playground.http_url}/_playground/{path}?q=x&token=not-kept")
    fetch(f"{playground.http_url}/status?token=kept")
    assert recorded(playground, "token=not-kept") == []
    assert len(recorded(playground, "token=kept")) == 1


def test_the_recorder_keeps_the_latest_and_caps_what_it_keeps(
    playground: Playground,
) -> None:
    recorder = Recorder(size=3)
    for n in range(5):
        recorder.add("127.0.0.1", n, b"GET /%d" % n)
    assert [e.port for e in recorder.exchanges()] == [2, 3, 4]
    recorder.clear()
    assert recorder.exchanges() == []
    # A huge head is answered in full but recorded only up to 32 KiB.
    filler = b"".join(b"X-Filler-%d: %s\r\n" % (n, b"f" * 1000) for n in range(40))
    head = (
        b"GET /status?token=huge HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        + filler
        + b"\r\n"
    )
    assert parse(raw(port(playground.http_url), head))[0] == 200
    (kept,) = recorded(playground, "token=huge")
    assert kept == head[: 32 * 1024]


# -- geopy as a client -------------------------------------------------------------


def geolocator(pg: Playground, scheme: str = "https") -> Nominatim:
    base = pg.https_url if scheme == "https" else pg.http_url
    return Nominatim(
        user_agent="python-on-the-wire-tests",
        domain=base.split("://")[1],
        scheme=scheme,
        ssl_context=ssl.create_default_context(cafile=pg.ca_file),
        timeout=5,
    )


def test_geopy_reads_the_example(playground: Playground) -> None:
    location = geolocator(playground).geocode(EXAMPLE)
    assert location is not None
    assert (location.latitude, location.longitude) == (41.521954, -84.306691)
    assert location.address == EXAMPLE_JSON["display_name"]
    assert location.raw == EXAMPLE_JSON
    (sent,) = [
        e for e in playground.exchanges() if b"python-on-the-wire-tests" in e.raw
    ][-1:]
    assert sent.raw.startswith(b"GET /search?q=207+N.+Defiance+St%2C+Archbold%2C+OH&")


def test_geopy_several_places_with_a_limit(playground: Playground) -> None:
    locations = geolocator(playground).geocode(
        "Springfield", exactly_one=False, limit=3
    )
    assert isinstance(locations, list) and len(locations) == 3
    assert all(loc.address.startswith("Springfield, ") for loc in locations)
    states = {loc.raw["display_name"].split(", ")[1] for loc in locations}
    assert "Illinois" in states


def test_geopy_with_addressdetails_and_over_http(playground: Playground) -> None:
    location = geolocator(playground, "http").geocode("München", addressdetails=True)
    assert location is not None
    assert location.raw["address"]["country"] == "Germany"
    assert location.latitude == pytest.approx(48.137, abs=0.01)


@pytest.mark.parametrize("query", ["Archbold, OH", "Archbold, Ohio"])
def test_geopy_finds_the_village_of_the_example(
    playground: Playground, query: str
) -> None:
    location = geolocator(playground).geocode(query, addressdetails=True)
    assert (location.latitude, location.longitude) == (41.52144, -84.30717)
    assert location.address == "Archbold, Fulton County, Ohio, United States"
    assert location.raw["address"]["village"] == "Archbold"


def test_geopy_gets_none_when_nothing_matches(playground: Playground) -> None:
    assert geolocator(playground).geocode("no such place anywhere") is None
    assert geolocator(playground).geocode("no such place", exactly_one=False) is None


# -- abuse: each gets its answer, and the server goes on serving ----------------------

HUGE_LINE = b"GET /search?q=" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n"
ABUSE = {
    "long request line": (
        b"GET /?q=" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        414,
    ),
    "request line over 64 KiB": (HUGE_LINE, 414),
    "header line over 64 KiB": (
        b"GET / HTTP/1.1\r\nX-Big: " + b"b" * 70_000 + b"\r\n\r\n",
        431,
    ),
    "too many headers": (b"GET / HTTP/1.1\r\n" + b"X-Many: 1\r\n" * 150 + b"\r\n", 431),
    "method alone": (b"GET\r\n\r\n", 400),
    "four words": (b"GET / HTTP/1.1 extra\r\nHost: x\r\n\r\n", 400),
    "not HTTP/": (b"GET / HTTQ/1.1\r\nHost: x\r\n\r\n", 400),
    "bad version number": (b"GET / HTTP/1.x\r\nHost: x\r\n\r\n", 400),
    "HTTP/2.0": (b"GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505),
    "binary garbage": (bytes(range(256)) + b"\r\n\r\n", 400),
    "unknown method": (b"BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n", 501),
    "header without colon": (b"GET / HTTP/1.1\r\nHost x\r\n\r\n", 400),
}


@pytest.mark.parametrize("name", list(ABUSE))
def test_abuse_gets_its_status_and_the_server_goes_on(
    fast: Playground, name: str
) -> None:
    data, expected = ABUSE[name]
    status, headers, body = parse(raw(port(fast.http_url), data))
    assert status == expected, body
    if status >= 400:
        assert headers["connection"] == "close"
        assert body.startswith(b"%d " % status)
    healthy(fast)


def test_post_with_a_huge_body_gets_its_405(fast: Playground) -> None:
    body = b"x" * (8 * 1024 * 1024)
    head = b"POST /search HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body)
    start = time.monotonic()
    status, headers, _ = parse(raw(port(fast.http_url), head + body, timeout=10))
    assert (status, headers["allow"]) == (405, "GET, HEAD")
    assert time.monotonic() - start < 5
    healthy(fast)


def test_post_that_never_sends_its_body_gets_its_405_at_once(fast: Playground) -> None:
    head = b"POST /search HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n"
    with socket.create_connection(("127.0.0.1", port(fast.http_url)), timeout=5) as s:
        s.sendall(head)
        first = s.recv(65536)  # the server does not wait for the body
        assert first.startswith(b"HTTP/1.1 405 ")
        closed_within(s, 3)
    healthy(fast)


def test_plain_http_to_the_https_port_is_a_400(fast: Playground) -> None:
    head = b"GET /search?q=Paris HTTP/1.1\r\nHost: localhost\r\n\r\n"
    status, headers, body = parse(raw(port(fast.https_url), head))
    assert status == 400
    assert headers["connection"] == "close"
    assert body == b"400 Plain HTTP request sent to the HTTPS port\n"
    assert parse(raw(port(fast.https_url), b"\x00\x01garbage\r\n\r\n"))[0] == 400
    healthy(fast)


# -- timeouts: idle, slow and stalled clients -------------------------------------


@pytest.mark.parametrize(
    ("which", "data"),
    [
        ("http", b""),
        ("http", b"GET /search?q=Paris HTTP/1.1\r\nHost: x\r\n"),  # no blank line
        ("https", b""),  # never starts the handshake
        (
            "https",
            b"\x16\x03\x01\x02\x00\x01\x00",
        ),  # the start of a ClientHello, then silence
        ("https", b"GET /status HTTP/1.1\r\n"),  # plain and half a request
    ],
)
def test_a_stalled_client_is_dropped_after_the_timeout(
    fast: Playground, which: str, data: bytes
) -> None:
    url = fast.http_url if which == "http" else fast.https_url
    start = time.monotonic()
    with socket.create_connection(("127.0.0.1", port(url)), timeout=5) as s:
        s.sendall(data)
        closed_within(s, 5)
    assert TIMEOUT * 0.9 <= time.monotonic() - start < TIMEOUT + 1.5
    healthy(fast)


def test_an_idle_kept_alive_connection_is_closed_after_the_timeout(
    fast: Playground,
) -> None:
    with socket.create_connection(("127.0.0.1", port(fast.http_url)), timeout=5) as s:
        start = time.monotonic()
        s.sendall(b"GET /status HTTP/1.1\r\nHost: x\r\n\r\n")
        assert s.recv(65536).startswith(b"HTTP/1.1 200 OK")
        closed_within(s, 5)
        # The wait for the next request began after the reply was sent.
        assert TIMEOUT <= time.monotonic() - start < TIMEOUT + 1.5


def test_a_trickling_client_cannot_hold_a_connection(fast: Playground) -> None:
    """One byte every tenth of a second never lets the socket time out, but
    the request as a whole must arrive within client_timeout."""
    request = (
        b"GET /search?q=Paris HTTP/1.1\r\nHost: x\r\n" + b"X: y\r\n" * 50 + b"\r\n"
    )
    with socket.create_connection(("127.0.0.1", port(fast.http_url)), timeout=5) as s:
        start = time.monotonic()
        reply = b""
        for byte in request:
            try:
                s.send(bytes([byte]))
            except (BrokenPipeError, ConnectionResetError):
                break
            if select.select([s], [], [], 0.1)[0]:
                chunk = s.recv(65536)
                reply += chunk
                if not chunk:
                    break
        elapsed = time.monotonic() - start
    assert reply == b"", "the trickled request was answered"
    assert elapsed < TIMEOUT + 1.5, "the server kept listening to the trickle"
    healthy(fast)


def test_others_are_served_while_slow_clients_hang(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    # Slow clients hang for 3 s here, long enough to see that the others are
    # served while they do, however busy the machine.
    state = tmp_path_factory.mktemp("patient-playground")
    hanging: list[socket.socket] = []
    with Playground(state_dir=state, client_timeout=3, slow_delay=SLOW) as pg:
        try:
            for url in (pg.http_url, pg.https_url) * 5:
                s = socket.create_connection(("127.0.0.1", port(url)), timeout=5)
                # Half a request line, or the first bytes of a TLS handshake.
                s.sendall(
                    b"GET /status HTTP/1.1\r\n" if url[4] == ":" else b"\x16\x03\x01"
                )
                hanging.append(s)
            slow_reply: list[int] = []
            slow = threading.Thread(
                target=lambda: slow_reply.append(
                    fetch(f"{pg.http_url}/_playground/fault/slow/search?q=Paris")[0]
                )
            )
            slow.start()
            start = time.monotonic()
            healthy(pg)
            served_in = time.monotonic() - start
            # The hanging clients are all still connected: the server did not
            # wait for them to time out before serving us.
            for s in hanging:
                s.setblocking(False)
                with pytest.raises(BlockingIOError):
                    s.recv(1)
            assert served_in < 3
            slow.join(SLOW + 5)
            assert slow_reply == [200]
        finally:
            for s in hanging:
                s.close()


def test_many_clients_at_once(fast: Playground) -> None:
    results: list[str] = []

    def one(n: int) -> None:
        base = fast.https_url if n % 2 else fast.http_url
        context = strict_context(fast) if n % 2 else None
        _, _, body = fetch(f"{base}/search?q=Paris&limit=1", context=context)
        results.append(json.loads(body)[0]["name"])

    threads = [threading.Thread(target=one, args=(n,)) for n in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert results == ["Paris"] * 40


def test_a_client_that_vanishes_mid_reply_does_not_hurt(fast: Playground) -> None:
    for _ in range(5):
        with socket.create_connection(
            ("127.0.0.1", port(fast.http_url)), timeout=5
        ) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.sendall(b"GET /search?q=Springfield&limit=40 HTTP/1.1\r\nHost: x\r\n\r\n")
        # closed at once with a reset, before reading the reply
    healthy(fast)


def test_a_client_that_keeps_sending_after_its_reply_is_cut_off(
    fast: Playground,
) -> None:
    """The lingering close drains what a client still sends, but not forever."""
    head = b"POST /search HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000\r\n\r\n"
    with socket.create_connection(("127.0.0.1", port(fast.http_url)), timeout=5) as s:
        s.sendall(head)
        assert s.recv(65536).startswith(b"HTTP/1.1 405 ")
        start = time.monotonic()
        with pytest.raises((BrokenPipeError, ConnectionResetError)):
            while time.monotonic() - start < 10:
                s.sendall(b"x" * 1024)
                time.sleep(0.05)
        assert time.monotonic() - start < TIMEOUT + 2
    healthy(fast)


# -- the pieces, one by one -------------------------------------------------------


def test_deadline_reader() -> None:
    left, right = socket.socketpair()
    with left, right:
        reader = DeadlineReader(left, timeout=2)
        buffer = bytearray(10)
        right.sendall(b"abc")
        assert reader.readinto(buffer) == 3 and buffer[:3] == b"abc"  # no deadline
        reader.deadline = time.monotonic() + 0.2
        right.sendall(b"de")
        assert reader.readinto(buffer) == 2
        assert left.gettimeout() == 2  # restored after each read
        start = time.monotonic()
        with pytest.raises(TimeoutError):
            reader.readinto(buffer)  # nothing comes: waits out the deadline only
        assert time.monotonic() - start < 1
        reader.deadline = time.monotonic() - 1
        right.sendall(b"late")
        with pytest.raises(TimeoutError, match="took too long"):
            reader.readinto(buffer)  # even with bytes waiting


def test_tee_reader_keeps_lines_up_to_its_limit() -> None:
    tee = TeeReader(io.BytesIO(b"GET / HTTP/1.1\r\nHost: x\r\n\r\nbody"), limit=20)
    assert tee.readline() == b"GET / HTTP/1.1\r\n"
    assert tee.readline(3) == b"Hos"
    assert tee.readline() == b"t: x\r\n"
    assert tee.readline() == b"\r\n"
    assert tee.read() == b"body"  # bodies are not kept
    assert bytes(tee.seen) == b"GET / HTTP/1.1\r\nHost"
    tee.close()


def test_a_talkative_server_logs_requests_and_dropped_connections(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    with Playground(state_dir=tmp_path, client_timeout=TIMEOUT, quiet=False) as pg:
        fetch(f"{pg.http_url}/status")
        with socket.create_connection(("127.0.0.1", port(pg.https_url)), timeout=5):
            pass  # connects, then leaves without a handshake
        time.sleep(0.3)
    err = capfd.readouterr().err
    assert '"GET /status HTTP/1.1" 200' in err
    assert "127.0.0.1 connection dropped: " in err
    assert "Traceback" not in err


def test_linger_with_no_time_left_just_closes() -> None:
    ours, theirs = socket.socketpair()
    with theirs:
        handler = SimpleNamespace(connection=ours, client_timeout=0.0)
        GeocoderHandler.linger(handler)  # type: ignore[arg-type]
        assert ours.fileno() == -1
        assert theirs.recv(100) == b""  # our side ended, cleanly
