"""The chapter's four geocoding listings, run as a reader runs them (a separate
process each) against the playground, over HTTP and over HTTPS with the
certificate checked: the same answer at every layer of the stack, the request
each one puts on the wire, and one clear line on stderr for every failure.

search1 to search3 print ``latitude, longitude``; search4 prints the raw HTTP
reply, so the failures that lie in the JSON (not JSON, wrong shape, no match)
are not failures for it: it shows the reply as it came.
"""

from __future__ import annotations

import json
import ssl
import subprocess
import sys
import time
import urllib.request
from urllib.parse import parse_qs, urlsplit

import pytest
from geopy.geocoders import Nominatim

from playground.services import Playground
from tests.conftest import ROOT, listing_env, run_listing

LISTINGS = ["search1", "search2", "search3", "search4"]
EXAMPLE = "207 N. Defiance St, Archbold, OH"
EXAMPLE_PLACE = (
    "207, North Defiance Street, Archbold, Fulton County, Ohio, 43502, United States"
)
COORDINATES = "41.521954, -84.306691\n"
REASONS = {
    403: "Forbidden",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


def agent(name: str) -> str:
    return (
        f"python-on-the-wire/1.0 ({name}; +https://github.com/python-on-the-wire/book)"
    )


def run(
    name: str, *args: str, pg: Playground, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run listing NAME; whatever happens, it must not show a traceback."""
    result = run_listing(f"chapter01/{name}.py", *args, playground=pg, env=env)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def assert_fails(
    result: subprocess.CompletedProcess[str], name: str, message: str
) -> None:
    """Exactly one line, ``NAME: MESSAGE``, on stderr, nothing on stdout, status 1."""
    assert (result.returncode, result.stdout, result.stderr) == (
        1,
        "",
        f"{name}: {message}\n",
    )


def where(url: str) -> str:
    """``host:port`` of a playground URL, as the listings name the server."""
    return urlsplit(url).netloc


def raw_reply(stdout: str) -> tuple[str, dict[str, str], str]:
    """Split what search4 printed into status line, headers and body."""
    head, blank, body = stdout.partition("\n\n")
    assert blank, f"no blank line after the headers in {stdout!r}"
    status, *lines = head.split("\n")
    return status, dict(line.split(": ", 1) for line in lines), body


def sent_by(pg: Playground, name: str, since: float) -> list[str]:
    """The request heads the playground received from listing NAME since SINCE."""
    return [
        e.text() for e in pg.exchanges() if e.when >= since and f"({name};" in e.text()
    ]


# -- the answer -------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["http", "https"])
@pytest.mark.parametrize("name", LISTINGS)
def test_example_address(playground: Playground, name: str, scheme: str) -> None:
    since = time.time()
    # Over HTTPS the listing finds the server in $GEOCODER_URL, its default.
    args = ["--server", playground.http_url] if scheme == "http" else []
    result = run(name, *args, pg=playground)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    if name == "search4":
        status, headers, body = raw_reply(result.stdout)
        assert status == "HTTP/1.1 200 OK"
        assert headers["Content-Type"] == "application/json; charset=utf-8"
        assert headers["Connection"] == "close"
        assert (
            int(headers["Content-Length"]) == len(body.encode()) - 1
        )  # print's newline
        place = json.loads(body)[0]
        assert (place["lat"], place["lon"]) == ("41.521954", "-84.306691")
    else:
        assert result.stdout == COORDINATES

    [request] = sent_by(playground, name, since)
    line, *headers_sent = request.split("\r\n")
    method, target, version = line.split(" ")
    assert (method, urlsplit(target).path, version) == ("GET", "/search", "HTTP/1.1")
    query = parse_qs(urlsplit(target).query)
    assert (query["q"], query["format"], query["limit"]) == ([EXAMPLE], ["json"], ["1"])
    assert f"User-Agent: {agent(name)}" in headers_sent
    if name == "search4":  # written by hand, so known to the byte
        port = urlsplit(
            playground.http_url if scheme == "http" else playground.https_url
        ).port
        assert request == (
            "GET /search?q=207+N.+Defiance+St%2C+Archbold%2C+OH&format=json&limit=1"
            " HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{port}\r\n"
            f"User-Agent: {agent(name)}\r\n"
            "Connection: close\r\n"
            "\r\n"
        )


@pytest.mark.parametrize("name", LISTINGS)
def test_reader_names_their_own_agent(playground: Playground, name: str) -> None:
    """GEOCODER_AGENT replaces the book's User-Agent, as the chapter says;
    an empty one leaves the book's."""
    mine = "ada-learns-geocoding/0.1 (ada@example.org)"
    for value, wanted in [(mine, mine), ("", agent(name))]:
        since = time.time()
        env = listing_env(playground, GEOCODER_AGENT=value)
        result = run(name, "--server", playground.http_url, pg=playground, env=env)
        assert result.returncode == 0, result.stderr
        heads = [e.text() for e in playground.exchanges() if e.when >= since]
        assert [h for h in heads if f"\r\nUser-Agent: {wanted}\r\n" in h], heads


@pytest.mark.parametrize("agent_text", ["ada \u2192 tests", "ada\r\nX-Injected: yes"])
@pytest.mark.parametrize("name", LISTINGS)
def test_an_agent_that_cannot_be_a_header_is_refused(
    playground: Playground, name: str, agent_text: str
) -> None:
    env = listing_env(playground, GEOCODER_AGENT=agent_text)
    result = run(name, pg=playground, env=env)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.splitlines()[-1] == (
        f"{name}.py: error: GEOCODER_AGENT {agent_text!r} is not printable ASCII"
    )


@pytest.mark.parametrize("name", LISTINGS)
def test_non_ascii_address(playground: Playground, name: str) -> None:
    since = time.time()
    result = run(name, "München", pg=playground)
    assert (result.returncode, result.stderr) == (0, "")
    if name == "search4":
        place = json.loads(raw_reply(result.stdout)[2])[0]
        assert (place["name"], place["lat"], place["lon"]) == (
            "Munich",
            "48.13743",
            "11.57549",
        )
    else:
        assert result.stdout == "48.13743, 11.57549\n"
    [request] = sent_by(playground, name, since)
    assert "q=M%C3%BCnchen" in request.split("\r\n")[0]  # UTF-8, percent-encoded


@pytest.mark.parametrize("name", LISTINGS)
def test_address_cannot_inject_a_header(playground: Playground, name: str) -> None:
    since = time.time()
    address = f"{EXAMPLE}\r\nX-Injected: yes"
    result = run(name, address, "--server", playground.http_url, pg=playground)
    if name == "search4":
        assert result.returncode == 0
        assert raw_reply(result.stdout)[2] == "[]\n"
    else:
        assert_fails(result, name, f"no place matches {address!r}")

    with urllib.request.urlopen(
        f"{playground.http_url}/_playground/requests", timeout=5
    ) as reply:
        log = json.load(reply)
    heads = [entry["request"] for entry in log]
    assert not [h for h in heads if "\r\nx-injected:" in h.lower()]
    encoded = "q=207+N.+Defiance+St%2C+Archbold%2C+OH%0D%0AX-Injected%3A+yes&"
    mine = [h for h in heads if f"({name};" in h and encoded in h.split("\r\n")[0]]
    assert mine, "the request did not reach the server"
    assert len(sent_by(playground, name, since)) == 1


@pytest.mark.parametrize("name", LISTINGS)
def test_server_url_cannot_inject_a_header(playground: Playground, name: str) -> None:
    # The path is percent-encoded (urlsplit() also drops CR and LF from a URL).
    since = time.time()
    result = run(
        name, "--server", f"{playground.http_url}/a b\r\nX-Injected: yes", pg=playground
    )
    assert_fails(result, name, f"{where(playground.http_url)} answered 404 Not Found")
    [request] = sent_by(playground, name, since)
    assert "\r\nx-injected:" not in request.lower()
    assert request.startswith("GET /a%20b")
    assert "X-Injected" in request.split("\r\n")[0]


# -- failures ---------------------------------------------------------------


@pytest.mark.parametrize("name", LISTINGS)
def test_unknown_host(playground: Playground, name: str) -> None:
    result = run(name, "--server", "http://nowhere.invalid", pg=playground)
    assert_fails(
        result,
        name,
        "connection to nowhere.invalid:80 failed: Name or service not known",
    )


@pytest.mark.parametrize("name", LISTINGS)
def test_connection_refused(
    playground: Playground, closed_port: int, name: str
) -> None:
    result = run(name, "--server", f"http://127.0.0.1:{closed_port}", pg=playground)
    assert_fails(
        result,
        name,
        f"connection to 127.0.0.1:{closed_port} failed: Connection refused",
    )


@pytest.mark.parametrize("name", LISTINGS)
def test_silent_server(playground: Playground, silent_port: int, name: str) -> None:
    start = time.monotonic()
    result = run(
        name,
        "--server",
        f"http://127.0.0.1:{silent_port}",
        "--timeout",
        "0.5",
        pg=playground,
    )
    assert_fails(
        result, name, f"no answer from 127.0.0.1:{silent_port} within 0.5 seconds"
    )
    assert time.monotonic() - start < 8  # geopy tries three times: 1.5 s


@pytest.mark.parametrize("name", LISTINGS)
def test_slow_server(playground: Playground, name: str) -> None:
    server = f"{playground.https_url}/_playground/fault/slow"
    result = run(name, "--server", server, "--timeout", "0.5", pg=playground)
    assert_fails(result, name, f"no answer from {where(server)} within 0.5 seconds")


@pytest.mark.parametrize("name", LISTINGS)
def test_untrusted_certificate(playground: Playground, name: str) -> None:
    """Without the playground's CA, ssl falls back to the system's trust store
    and Requests to certifi's bundle: neither knows the playground's authority."""
    env = listing_env(playground)
    del env["SSL_CERT_FILE"], env["REQUESTS_CA_BUNDLE"]
    server = playground.https_url
    result = run(name, "--server", server, pg=playground, env=env)
    reason = "unable to get local issuer certificate"
    assert_fails(
        result, name, f"cannot verify the TLS certificate of {where(server)}: {reason}"
    )


# geopy hands Requests an ssl.create_default_context() and turns off trust_env,
# so it reads SSL_CERT_FILE like the standard library; plain Requests reads
# REQUESTS_CA_BUNDLE (falling back to certifi) and ignores SSL_CERT_FILE.
TRUST_VARIABLE = {
    "search1": "SSL_CERT_FILE",
    "search2": "REQUESTS_CA_BUNDLE",
    "search3": "SSL_CERT_FILE",
    "search4": "SSL_CERT_FILE",
}


@pytest.mark.parametrize("name", LISTINGS)
def test_which_variable_names_the_ca(playground: Playground, name: str) -> None:
    server = playground.https_url
    for variable in ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE"):
        env = listing_env(playground)
        del env[
            "REQUESTS_CA_BUNDLE" if variable == "SSL_CERT_FILE" else "SSL_CERT_FILE"
        ]
        result = run(name, "--server", server, pg=playground, env=env)
        if variable == TRUST_VARIABLE[name]:
            assert (result.returncode, result.stderr) == (0, ""), variable
        else:
            reason = "unable to get local issuer certificate"
            message = f"cannot verify the TLS certificate of {where(server)}: {reason}"
            assert_fails(result, name, message)


@pytest.mark.parametrize("status", sorted(REASONS))
@pytest.mark.parametrize("name", LISTINGS)
def test_http_error_status(playground: Playground, name: str, status: int) -> None:
    server = f"{playground.http_url}/_playground/fault/{status}"
    result = run(name, "--server", server, pg=playground)
    assert_fails(result, name, f"{where(server)} answered {status} {REASONS[status]}")


FAULTY_BODIES = {
    "badjson": "<html>Not JSON at all</html>\n",
    "wrongshape": '{"results":"not a list of places"}',
}


@pytest.mark.parametrize("kind", sorted(FAULTY_BODIES))
@pytest.mark.parametrize("name", LISTINGS)
def test_reply_not_a_list_of_places(
    playground: Playground, name: str, kind: str
) -> None:
    server = f"{playground.https_url}/_playground/fault/{kind}"
    result = run(name, "--server", server, pg=playground)
    if name == "search4":
        assert (result.returncode, result.stderr) == (0, "")
        assert raw_reply(result.stdout)[2] == f"{FAULTY_BODIES[kind]}\n"
    else:
        assert_fails(
            result, name, f"the reply from {where(server)} is not a JSON list of places"
        )


@pytest.mark.parametrize("name", LISTINGS)
def test_no_match(playground: Playground, name: str) -> None:
    result = run(name, "Nowhere Special 12345", pg=playground)
    if name == "search4":
        assert (result.returncode, result.stderr) == (0, "")
        status, _, body = raw_reply(result.stdout)
        assert (status, body) == ("HTTP/1.1 200 OK", "[]\n")
    else:
        assert_fails(result, name, "no place matches 'Nowhere Special 12345'")


@pytest.mark.parametrize("scheme", ["http", "https"])
@pytest.mark.parametrize("name", LISTINGS)
def test_server_hangs_up(playground: Playground, name: str, scheme: str) -> None:
    base = playground.http_url if scheme == "http" else playground.https_url
    server = f"{base}/_playground/fault/hangup"
    result = run(name, "--server", server, pg=playground)
    if name == "search4":
        assert_fails(result, name, f"{where(server)} sent no HTTP reply")
    else:
        reason = "Remote end closed connection without response"
        assert_fails(result, name, f"connection to {where(server)} failed: {reason}")


@pytest.mark.parametrize(
    "server",
    [
        "ftp://example.org/",
        "http://",
        "http://127.0.0.1:99999",
        "https://[::1",
        "http://127.0.0.1:80\r\nX-Injected: yes",
        "http://bad..example",  # an empty label: DNS cannot carry it
        "http://" + "a" * 64 + ".example",  # a label over 63 characters
    ],
)
@pytest.mark.parametrize("name", LISTINGS)
def test_bad_server_url(playground: Playground, name: str, server: str) -> None:
    result = run(name, "--server", server, pg=playground)
    assert_usage_error(result, name, server)


def test_raw_listing_accepts_only_a_plain_host(playground: Playground) -> None:
    """search4 writes the Host header itself, so it takes nothing but a host
    name or address and a port from --server."""
    server = f"http://user@{where(playground.http_url)}"
    result = run("search4", "--server", server, pg=playground)
    assert_usage_error(result, "search4", server)


def assert_usage_error(
    result: subprocess.CompletedProcess[str], name: str, server: str
) -> None:
    """argparse's usage line and one error line naming the URL; status 2."""
    assert (result.returncode, result.stdout) == (2, "")
    usage, error = result.stderr.splitlines()
    assert usage.startswith(f"usage: {name}.py ")
    assert error == (
        f"{name}.py: error: argument --server: {server!r} is not http(s)://HOST"
    )


@pytest.mark.parametrize("name", LISTINGS)
def test_bad_option(playground: Playground, name: str) -> None:
    result = run(name, "--timeout", "soon", pg=playground)
    assert result.returncode == 2
    assert result.stdout == ""
    assert (
        result.stderr.splitlines()[-1]
        == f"{name}.py: error: argument --timeout: invalid float value: 'soon'"
    )


@pytest.mark.parametrize("timeout", ["0", "-1", "nan", "inf", "3601"])
@pytest.mark.parametrize("name", LISTINGS)
def test_a_timeout_out_of_range_is_a_usage_error(
    playground: Playground, name: str, timeout: str
) -> None:
    result = run(name, "--timeout", timeout, pg=playground)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.splitlines()[-1] == (
        f"{name}.py: error: --timeout must be above 0 and at most 3600 seconds"
    )


# -- how readers run them ---------------------------------------------------


@pytest.mark.parametrize("name", LISTINGS)
def test_help(playground: Playground, name: str) -> None:
    result = run(
        name, "--help", pg=playground, env=listing_env(playground, COLUMNS="200")
    )
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.startswith(
        f"usage: {name}.py [-h] [--server SERVER] [--timeout TIMEOUT] [address]\n"
    )
    assert f"what to look up (default: {EXAMPLE})" in result.stdout
    assert (
        f"--server SERVER    geocoder's URL (default: {playground.https_url})"
        in result.stdout
    )
    assert "--timeout TIMEOUT  in seconds (default: 10.0)" in result.stdout


@pytest.mark.parametrize("name", LISTINGS)
def test_runs_as_a_module(playground: Playground, name: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", f"listings.chapter01.{name}"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=listing_env(playground),
        timeout=60,
        cwd=ROOT,
    )
    assert (result.returncode, result.stderr) == (0, "")
    if name == "search4":
        assert result.stdout.startswith("HTTP/1.1 200 OK\n")
        assert json.loads(raw_reply(result.stdout)[2])[0]["lat"] == "41.521954"
    else:
        assert result.stdout == COORDINATES


# -- geopy itself -----------------------------------------------------------


def test_geopy_reads_the_playground(playground: Playground) -> None:
    """geopy's own Nominatim client, over HTTPS with the playground's CA,
    understands every field the playground sends."""
    tls = ssl.create_default_context(cafile=str(playground.ca_file))
    with Nominatim(
        user_agent="python-on-the-wire-tests/1.0",
        domain=where(playground.https_url),
        scheme="https",
        ssl_context=tls,
        timeout=5,
    ) as geocoder:
        place = geocoder.geocode(EXAMPLE, addressdetails=True)
        several = geocoder.geocode("Springfield", exactly_one=False, limit=3)
        nothing = geocoder.geocode("Nowhere Special 12345")
    assert (place.latitude, place.longitude) == (41.521954, -84.306691)
    assert place.address == EXAMPLE_PLACE
    assert (place.raw["lat"], place.raw["lon"]) == ("41.521954", "-84.306691")
    assert place.raw["address"]["postcode"] == "43502"
    assert place.raw["boundingbox"] == [
        "41.521904",
        "41.522004",
        "-84.306741",
        "-84.306641",
    ]
    assert len(several) == 3 and all("Springfield" in p.address for p in several)
    assert nothing is None


def test_geopy_says_429_in_its_own_words(playground: Playground) -> None:
    """The chapter's errors section: geopy raises GeocoderRateLimited for a
    429 and keeps the HTTP error underneath, which search1's explain() finds."""
    from geopy.adapters import AdapterHTTPError
    from geopy.exc import GeocoderRateLimited

    tls = ssl.create_default_context(cafile=str(playground.ca_file))
    domain = f"{where(playground.https_url)}/_playground/fault/429"
    with (
        Nominatim(
            user_agent="python-on-the-wire-tests/1.0",
            domain=domain,
            scheme="https",
            ssl_context=tls,
            timeout=5,
        ) as geocoder,
        pytest.raises(GeocoderRateLimited) as raised,
    ):
        geocoder.geocode(EXAMPLE)
    cause = raised.value.__cause__
    assert isinstance(cause, AdapterHTTPError) and cause.status_code == 429
