"""distance_server.py and distance_client.py: fixed-size messages, the loop
that gathers exactly N bytes, sendall(), and each failure."""

import re
import socket
import struct
import threading
import time

import pytest

from listings.chapter03 import distance_client, distance_server
from tests.conftest import run_listing

ARCHBOLD_TO_COLUMBUS = ["41.52", "-84.31", "39.96", "-83"]
QUESTION = struct.Struct("!4d")


def client(port, *args, host="127.0.0.1", places=ARCHBOLD_TO_COLUMBUS):
    argv = [*places, "--host", host, "--port", str(port), *args]
    return run_listing("chapter03/distance_client.py", *argv)


def test_a_question_gets_its_distance(start_server):
    server = start_server("chapter03/distance_server.py")
    result = client(server.port)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == (
        "asked in 32 bytes: 41.52 -84.31 39.96 -83\nanswered in 8 bytes: 205.6 km\n"
    )
    [line] = server.stop()
    assert re.fullmatch(
        r"127\.0\.0\.1:\d+: 205\.6 km; the question came in 1 piece", line
    )


def test_the_distance_is_the_great_circle_one():
    # a quarter of the equator, and from pole to pole: the Earth's mean
    # radius of 6,371 km times pi/2 and pi
    assert distance_server.kilometres(0, 0, 0, 90) == pytest.approx(10007.5, 0.1)
    assert distance_server.kilometres(90, 0, -90, 0) == pytest.approx(20015.1, 0.1)
    assert distance_server.kilometres(41.5, -84.3, 41.5, -84.3) == 0


def test_a_question_sent_slowly_is_gathered_whole(start_server):
    server = start_server("chapter03/distance_server.py")
    result = client(server.port, "--slowly")
    assert result.returncode == 0, result.stderr
    assert result.stdout.endswith("answered in 8 bytes: 205.6 km\n")
    [line] = server.stop()
    found = re.fullmatch(r".*: 205\.6 km; the question came in (\d) pieces", line)
    # Four pieces 0.5 s apart, each sent at once (TCP_NODELAY): four recv()
    # calls, even on a busy machine (the session shows the same).
    assert found[1] == "4"


def test_read_exactly_loops_over_short_reads_and_reports_an_early_close():
    left, right = socket.socketpair()
    with left, right:
        left.sendall(b"abc")
        done = threading.Timer(0.1, left.sendall, [b"defgh"])
        done.start()
        assert distance_server.read_exactly(right, 8, time.monotonic() + 5) == (
            b"abcdefgh",
            2,
        )
        done.join()
        left.sendall(b"12345")
        left.shutdown(socket.SHUT_WR)
        with pytest.raises(
            distance_server.ProtocolError, match=r"^closed after 5 of 32 bytes$"
        ):
            distance_server.read_exactly(right, 32, time.monotonic() + 5)


def test_the_server_outlives_short_silent_huge_and_absurd_clients(start_server):
    server = start_server("chapter03/distance_server.py", "--timeout", "0.3")
    with socket.create_connection(("127.0.0.1", server.port)) as short:
        short.sendall(b"hello")
        short.shutdown(socket.SHUT_WR)
        assert short.recv(100) == b""  # no answer: the server hung up
    with socket.create_connection(("127.0.0.1", server.port)) as silent:
        silent.settimeout(5)
        assert silent.recv(100) == b""  # hung up after 0.3 s
    with socket.create_connection(("127.0.0.1", server.port)) as huge:
        huge.settimeout(5)
        huge.sendall(QUESTION.pack(0, 0, 0, 90) + b"!" * 100_000)
        assert struct.unpack("!d", huge.recv(8)) == pytest.approx((10007.5,), 0.1)
    for absurd in ((float("inf"), 0, 0, 0), (0, float("nan"), 0, 0), (91, 0, 0, 0),
                   (0, 0, 0, -180.5)):  # fmt: skip
        with socket.create_connection(("127.0.0.1", server.port)) as asker:
            asker.settimeout(5)
            asker.sendall(QUESTION.pack(*absurd))
            assert asker.recv(100) == b"", absurd  # no answer to that
    assert client(server.port).returncode == 0
    log = server.stop()
    assert [line.split(": ", 1)[1] for line in log] == [
        "closed after 5 of 32 bytes",
        "not done in 0.3 s; hanging up",
        "10,007.5 km; the question came in 1 piece",
        *["not two places"] * 4,
        "205.6 km; the question came in 1 piece",
    ]


def test_the_server_answers_over_ipv6(start_server):
    server = start_server("chapter03/distance_server.py", "--host", "::1")
    result = client(server.port, host="::1")
    assert result.returncode == 0, result.stderr
    [line] = server.stop()
    assert line.startswith("[::1]:")


def test_a_closed_port_refuses_at_once(closed_port):
    started = time.monotonic()
    result = client(closed_port, "--timeout", "30")
    assert time.monotonic() - started < 10  # refused: no waiting for the timeout
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (
        f"distance_client.py: 127.0.0.1:{closed_port} refused the connection\n"
    )


def test_a_dropped_syn_times_out(full_backlog):
    result = client(full_backlog, "--timeout", "0.3")
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (
        f"distance_client.py: no answer from 127.0.0.1:{full_backlog} within 0.3 s\n"
    )


def test_a_server_that_never_answers_times_out(silent_port):
    result = client(silent_port, "--timeout", "0.3")
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (
        f"distance_client.py: no answer from 127.0.0.1:{silent_port} within 0.3 s\n"
    )


def one_shot_server(behaviour):
    """A listener whose first connection gets *behaviour*(conn); its port."""
    listener = socket.create_server(("127.0.0.1", 0))

    def run():
        with listener:
            conn, _ = listener.accept()
            with conn:
                behaviour(conn)

    threading.Thread(target=run, daemon=True).start()
    return listener.getsockname()[1]


def question(conn):
    """Read the whole question (a blocking socket: MSG_WAITALL holds)."""
    assert len(conn.recv(32, socket.MSG_WAITALL)) == 32


def reset(conn):
    question(conn)
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


@pytest.mark.parametrize(
    ("behaviour", "message"),
    [
        (reset, "reset the connection"),
        (question, "closed after 0 of 8 bytes"),
        (
            lambda conn: (question(conn), conn.sendall(b"ABC")),
            "closed after 3 of 8 bytes",
        ),
        (
            lambda conn: (question(conn), conn.sendall(b"A" * 9)),
            "sent more than one answer",
        ),
    ],
    ids=["reset", "closed", "short", "too-much"],
)
def test_a_misbehaving_server_gets_one_line(behaviour, message):
    port = one_shot_server(behaviour)
    result = client(port, "--timeout", "5")
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == f"distance_client.py: 127.0.0.1:{port} {message}\n"


def test_ask_sends_exactly_the_32_bytes_of_the_question():
    left, right = socket.socketpair()
    with left, right:
        right.sendall(struct.pack("!d", 42.0))
        right.shutdown(socket.SHUT_WR)
        assert distance_client.ask(left, QUESTION.pack(1, 2, 3, 4), True) == 42.0
        assert right.recv(100) == QUESTION.pack(1, 2, 3, 4)


def test_time_wait_keeps_the_port_from_a_server_without_so_reuseaddr(start_server):
    # The server closes first (the client waits for its FIN), so the server's
    # end of the connection lingers in TIME_WAIT, holding the port.
    server = start_server("chapter03/distance_server.py")
    assert client(server.port).returncode == 0
    server.stop()
    again = run_listing(
        "chapter03/distance_server.py", "--port", str(server.port), "--no-reuse"
    )
    assert (again.returncode, again.stdout) == (1, "")
    assert again.stderr == (
        f"distance_server.py: cannot listen at 127.0.0.1:{server.port}: "
        "Address already in use\n"
    )
    # With SO_REUSEADDR, the same port binds at once.
    port = server.port
    server = start_server("chapter03/distance_server.py", "--port", str(port))
    assert server.port == port
    server.stop()


def test_a_client_that_resets_is_logged_and_the_server_goes_on(start_server):
    server = start_server("chapter03/distance_server.py")
    with socket.create_connection(("127.0.0.1", server.port)) as rude:
        rude.sendall(b"half a")
        time.sleep(0.1)  # let the server read it and wait for more
        rude.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    assert client(server.port).returncode == 0
    first, second = server.stop()
    assert first.endswith(": Connection reset by peer")
    assert second.endswith(" came in 1 piece")
