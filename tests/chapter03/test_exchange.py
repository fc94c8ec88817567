"""exchange.py: fixed-size messages, recv() loops, sendall(), and each failure."""

import errno
import re
import socket
import struct
import sys
import threading
import time

import pytest

from listings.chapter03 import exchange
from tests.conftest import run_listing

QUESTION = b"Where is Archbold, Ohio?        "
ANSWER = b"WHERE IS ARCHBOLD, OHIO?        "


def client(port, *args, host="127.0.0.1"):
    return run_listing(
        "chapter03/exchange.py", "client", "--host", host, "--port", str(port), *args
    )


def test_a_question_gets_its_answer_in_capitals(start_server):
    server = start_server("chapter03/exchange.py")
    result = client(server.port)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == f"asked    {QUESTION!r}\nanswered {ANSWER!r}\n"
    [line] = server.stop()
    assert re.fullmatch(
        rf"127\.0\.0\.1:\d+: {re.escape(repr(QUESTION))} in 1 recv\(\)", line
    )


def test_a_question_sent_in_pieces_is_gathered_whole(start_server):
    server = start_server("chapter03/exchange.py")
    result = client(server.port, "--pieces", "4", "four pieces")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1] == "answered " + repr(b"FOUR PIECES".ljust(32))
    [line] = server.stop()
    calls = int(re.fullmatch(r".*: b'four pieces +' in (\d) recv\(\)", line)[1])
    # Four pieces 0.1 s apart: normally four recv() calls; a busy machine
    # may let two pieces reach the server's buffer before it reads.
    assert 2 <= calls <= 4


def test_recv_exactly_loops_over_short_reads_and_reports_an_early_close():
    left, right = socket.socketpair()
    with left, right:
        left.sendall(b"abc")
        done = threading.Timer(0.1, left.sendall, [b"defgh"])
        done.start()
        assert exchange.recv_exactly(right, 8) == (b"abcdefgh", 2)
        done.join()
        left.sendall(b"12345")
        left.shutdown(socket.SHUT_WR)
        with pytest.raises(EOFError, match=r"^the peer closed after 5 of 32 bytes$"):
            exchange.recv_exactly(right, 32)


def test_the_server_outlives_short_silent_and_huge_clients(start_server):
    server = start_server("chapter03/exchange.py", "--timeout", "0.3")
    with socket.create_connection(("127.0.0.1", server.port)) as short:
        short.sendall(b"hello")
        short.shutdown(socket.SHUT_WR)
        assert short.recv(100) == b""  # no answer: the server hung up
    with socket.create_connection(("127.0.0.1", server.port)) as silent:
        silent.settimeout(5)
        assert silent.recv(100) == b""  # hung up after 0.3 s
    with socket.create_connection(("127.0.0.1", server.port)) as huge:
        huge.settimeout(5)
        huge.sendall(b"z" * 32 + b"!" * 100_000)
        assert exchange.recv_exactly(huge, 32)[0] == b"Z" * 32
    assert client(server.port, "still there?").returncode == 0
    log = server.stop()
    assert [line.split(": ", 1)[1] for line in log] == [
        "the peer closed after 5 of 32 bytes",
        "silent for 0.3 s",
        f"{b'z' * 32!r} in 1 recv()",
        f"{b'still there?'.ljust(32)!r} in 1 recv()",
    ]


def test_the_server_answers_over_ipv6(start_server):
    server = start_server("chapter03/exchange.py", "--host", "::1")
    result = client(server.port, "over IPv6", host="::1")
    assert result.returncode == 0, result.stderr
    [line] = server.stop()
    assert line.startswith("[::1]:")


def test_a_closed_port_refuses_at_once(closed_port):
    started = time.monotonic()
    result = client(closed_port, "--timeout", "30")
    assert time.monotonic() - started < 10  # refused: no waiting for the timeout
    assert (result.returncode, result.stdout) == (1, "")
    assert (
        result.stderr
        == f"exchange.py: 127.0.0.1:{closed_port} refused the connection\n"
    )


def test_a_dropped_syn_times_out(full_backlog):
    result = client(full_backlog, "--timeout", "0.3")
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (
        f"exchange.py: no answer from 127.0.0.1:{full_backlog} within 0.3 s\n"
    )


def test_a_server_that_never_answers_times_out(silent_port):
    result = client(silent_port, "--timeout", "0.3")
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (
        f"exchange.py: 127.0.0.1:{silent_port} sent no answer within 0.3 s\n"
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


def reset(conn):
    conn.recv(32)
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


@pytest.mark.parametrize(
    ("behaviour", "message"),
    [
        (reset, "reset the connection"),
        (lambda conn: conn.recv(32), "the peer closed after 0 of 32 bytes"),
        (lambda conn: conn.sendall(b"A" * 33), "the server sent more than one answer"),
    ],
    ids=["reset", "closed", "too-much"],
)
def test_a_misbehaving_server_gets_one_line(behaviour, message):
    port = one_shot_server(behaviour)
    result = client(port, "--timeout", "5")
    assert (result.returncode, result.stdout) == (1, "")
    assert re.fullmatch(
        rf"exchange\.py: 127\.0\.0\.1:{port}:? {message}\n", result.stderr
    )


def test_an_unknown_name_and_a_long_question_are_one_line_each():
    result = client(1070, host="nowhere.invalid")
    assert (result.returncode, result.stderr) == (
        1,
        "exchange.py: cannot resolve nowhere.invalid: Name or service not known\n",
    )
    result = client(1070, "x" * 33)
    assert (result.returncode, result.stderr) == (
        1,
        "exchange.py: the question is 33 bytes; at most 32\n",
    )
    result = client(1070, "--pieces", "0")
    assert result.returncode == 2
    assert result.stderr.endswith("error: --pieces must be from 1 to 32\n")


def test_time_wait_keeps_the_port_from_a_server_without_so_reuseaddr(start_server):
    # The server closes first (the client waits for its FIN), so the server's
    # end of the connection lingers in TIME_WAIT, holding the port.
    server = start_server("chapter03/exchange.py")
    assert client(server.port).returncode == 0
    server.stop()
    again = run_listing(
        "chapter03/exchange.py", "server", "--port", str(server.port), "--no-reuse"
    )
    assert (again.returncode, again.stdout) == (1, "")
    assert again.stderr == (
        f"exchange.py: cannot listen at 127.0.0.1:{server.port}: "
        "Address already in use\n"
    )
    server = start_server("chapter03/exchange.py")  # SO_REUSEADDR: binds at once
    server.stop()


def test_a_port_in_use_is_one_line():
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = run_listing("chapter03/exchange.py", "server", "--port", str(port))
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (
        f"exchange.py: cannot listen at 127.0.0.1:{port}: Address already in use\n"
    )


def test_other_connection_failures_give_their_reason(monkeypatch, capsys):
    def unreachable(*args, **kwargs):
        raise OSError(errno.ENETUNREACH, "Network is unreachable")

    monkeypatch.setattr(socket, "create_connection", unreachable)
    monkeypatch.setattr(sys, "argv", ["exchange.py", "client", "--host", "192.0.2.1"])
    with pytest.raises(SystemExit) as stop:
        exchange.main()
    assert stop.value.code == (
        "exchange.py: cannot connect to 192.0.2.1:1070: Network is unreachable"
    )


def test_a_client_that_resets_is_logged_and_the_server_goes_on(start_server):
    server = start_server("chapter03/exchange.py")
    with socket.create_connection(("127.0.0.1", server.port)) as rude:
        rude.sendall(b"half a")
        time.sleep(0.1)  # let the server read it and wait for more
        rude.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    assert client(server.port).returncode == 0
    first, second = server.stop()
    assert first.endswith(": Connection reset by peer")
    assert second.endswith(" in 1 recv()")


def test_a_failure_mid_conversation_names_its_reason(silent_port, monkeypatch, capsys):
    def lost(*args):
        raise OSError(errno.EHOSTUNREACH, "No route to host")

    monkeypatch.setattr(exchange, "ask", lost)
    monkeypatch.setattr(
        sys, "argv", ["exchange.py", "client", "--port", str(silent_port)]
    )
    with pytest.raises(SystemExit) as stop:
        exchange.main()
    assert stop.value.code == (
        f"exchange.py: talking to 127.0.0.1:{silent_port} failed: No route to host"
    )
