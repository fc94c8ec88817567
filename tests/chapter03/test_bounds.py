"""Chapter 3's servers serve one client at a time, so each client is bounded:
a deadline for the whole conversation (--timeout), however the client
trickles, and a cap on what it may announce or send (--limit, --most). A
client cut off is one line of log, and the next client is served."""

import re
import socket
import struct
import time

from tests.conftest import run_listing

LINE = re.compile(r"127\.0\.0\.1:\d+: (.*)")


def trickle(port, data, every=0.05, most=30.0):
    """Send *data* a byte at a time, *every* seconds, until the server hangs
    up; return the seconds until then, and what the server sent back."""
    started, got = time.monotonic(), b""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            for byte in data:
                sock.sendall(bytes([byte]))
                time.sleep(every)
                assert time.monotonic() - started < most, "never cut off"
                sock.setblocking(False)
                try:
                    if (piece := sock.recv(65536)) == b"":
                        break  # the server has closed
                    got += piece
                except BlockingIOError:
                    pass
                finally:
                    sock.setblocking(True)
                    sock.settimeout(5)
            else:
                raise AssertionError("the server took it all")
        except (ConnectionResetError, BrokenPipeError):
            pass  # the server closed with our bytes unread: the same
    return time.monotonic() - started, got


def messages(log):
    return [LINE.fullmatch(line)[1] for line in log]


def test_hexserver_cuts_off_a_trickling_client_at_its_deadline(start_server):
    server = start_server("chapter03/hexserver.py", "--timeout", "0.5")
    # A header that announces 1,000 bytes, then one byte every 0.05 s: the
    # whole would take 50 s, each byte well within any per-read timeout.
    took, got = trickle(server.port, struct.pack("!Q", 1000) + b"x" * 1000)
    assert 0.4 < took < 3
    assert set(got.decode()) <= set("78")  # what came was answered
    result = run_listing(
        "chapter03/deadlock.py", "--port", str(server.port), "--bytes", "1000"
    )
    assert result.returncode == 0, result.stderr  # the next client is served
    assert messages(server.stop()) == [
        "not done in 0.5 s; hanging up",
        "read 1,000 bytes, wrote 2,000",
    ]


def test_hexserver_cuts_off_a_client_that_trickles_its_header(start_server):
    server = start_server("chapter03/hexserver.py", "--timeout", "0.5")
    took, got = trickle(server.port, struct.pack("!Q", 10) * 100, every=0.1)
    assert (0.4 < took < 3, got) == (True, b"")
    assert messages(server.stop()) == ["not done in 0.5 s; hanging up"]


def test_hexserver_refuses_an_announcement_over_its_limit(start_server):
    server = start_server("chapter03/hexserver.py", "--limit", "5000")
    deadlock = "chapter03/deadlock.py", "--port", str(server.port), "--bytes"
    assert run_listing(*deadlock, "5000").returncode == 0  # at the limit
    started = time.monotonic()
    refused = run_listing(*deadlock, "5001")
    assert time.monotonic() - started < 5  # at once: no waiting for a deadline
    assert refused.returncode == 1
    assert refused.stderr.startswith("deadlock.py: ")
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(struct.pack("!Q", 2**64 - 1))  # the largest there is
        assert sock.recv(100) == b""
    assert run_listing(*deadlock, "10").returncode == 0  # and the next is served
    assert messages(server.stop()) == [
        "read 5,000 bytes, wrote 10,000",
        "announced 5,001 bytes: over 5,000",
        "announced 18,446,744,073,709,551,615 bytes: over 5,000",
        "read 10 bytes, wrote 20",
    ]


def test_hexserver_by_default_takes_the_book_s_20_000_000_bytes(start_server):
    # The limit's default leaves room for the deadlock sessions' 20,000,000
    # bytes (test_deadlock.py sends them); over 100,000,000 is refused.
    server = start_server("chapter03/hexserver.py")
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(struct.pack("!Q", 100_000_001))
        assert sock.recv(100) == b""
    assert messages(server.stop()) == ["announced 100,000,001 bytes: over 100,000,000"]


def test_lines_server_cuts_off_a_line_trickled_a_byte_at_a_time(start_server):
    server = start_server("chapter03/lines_server.py", "--timeout", "0.5")
    took, got = trickle(server.port, b"y" * 900 + b"\n")  # one line, 45 s
    assert (0.4 < took < 3, got) == (True, b"")
    result = run_listing("chapter03/lines_client.py", "--port", str(server.port))
    assert result.stdout == "1 HELLO, SERVER\n2 GOODBYE\n"
    assert messages(server.stop()) == [
        "not done in 0.5 s; hanging up",
        "answered 2 lines",
    ]


def test_lines_server_cuts_off_lines_that_never_end(start_server):
    server = start_server("chapter03/lines_server.py", "--timeout", "0.5")
    # Short lines, each answered at once, for ever (a line every 0.05 s)
    took, got = trickle(server.port, b"a\n" * 10_000)
    assert 0.4 < took < 3
    assert got.startswith(b"1 A\n2 A\n3 A\n")
    assert messages(server.stop()) == ["not done in 0.5 s; hanging up"]


def test_lines_server_refuses_more_lines_than_its_most(start_server):
    server = start_server("chapter03/lines_server.py", "--most", "3")
    lines = "chapter03/lines_client.py", "--port", str(server.port)
    assert run_listing(*lines, "a", "b", "c").stdout == "1 A\n2 B\n3 C\n"
    result = run_listing(*lines, "a", "b", "c", "d", "e")
    assert (result.returncode, result.stdout) == (1, "1 A\n2 B\n3 C\n")
    assert result.stderr == (
        f"lines_client.py: 127.0.0.1:{server.port} said: more than 3 lines\n"
    )
    assert run_listing(*lines, "next").stdout == "1 NEXT\n"
    assert messages(server.stop()) == [
        "answered 3 lines",
        "more than 3 lines",
        "answered 1 line",
    ]


def test_distance_server_cuts_off_a_trickled_question(start_server):
    server = start_server("chapter03/distance_server.py", "--timeout", "0.5")
    took, got = trickle(server.port, bytes(32), every=0.1)  # 3.2 s in all
    assert (0.4 < took < 3, got) == (True, b"")
    result = run_listing(
        "chapter03/distance_client.py", "0", "0", "0", "90",
        "--port", str(server.port),
    )  # fmt: skip
    assert result.stdout.endswith("answered in 8 bytes: 10,007.5 km\n")
    assert messages(server.stop()) == [
        "not done in 0.5 s; hanging up",
        "10,007.5 km; the question came in 1 piece",
    ]


def test_fourtuple_server_is_not_held_by_a_client_that_never_reads(start_server):
    # It reads nothing, and its one line fits in any send buffer: a client
    # that connects, sends and never reads cannot hold it.
    server = start_server("chapter03/fourtuple_server.py")
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as hog:
        hog.sendall(b"z" * 100_000)
        result = run_listing(
            "chapter03/fourtuple_client.py", "--port", str(server.port)
        )
        assert result.returncode == 0, result.stderr
    log = server.stop()
    assert len(log) == 2 and all(line.startswith("connection ") for line in log)


def test_lines_server_s_error_line_survives_a_client_that_sent_more(start_server):
    """The refusal half-closes and reads what is in flight before closing:
    closing with it unread would send an RST that can wipe the error line."""
    server = start_server("chapter03/lines_server.py")
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(b"x" * 1500 + b"\n" + b"more\n" * 20_000)  # 100 kB after
        sock.shutdown(socket.SHUT_WR)
        with sock.makefile("rb") as answers:
            assert answers.read() == b"error: line 1 is longer than 1000 bytes\n"
    # One client at a time: the next is answered once the refusal is done.
    assert run_listing("chapter03/lines_client.py", "--port", str(server.port),
                       "again").stdout == "1 AGAIN\n"  # fmt: skip
    assert messages(server.stop()) == [
        "line 1 is longer than 1000 bytes",
        "answered 1 line",
    ]
