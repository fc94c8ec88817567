"""lines_server.py and lines_client.py: line-based talk through makefile(),
whatever the segments, ended by a half-close."""

import re
import socket
import struct
import threading
import time

from tests.conftest import run_listing


def client(port, *args):
    return run_listing("chapter03/lines_client.py", "--port", str(port), *args)


def test_each_line_gets_its_numbered_answer(start_server):
    server = start_server("chapter03/lines_server.py")
    result = client(server.port)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == "1 HELLO, SERVER\n2 GOODBYE\n"
    result = client(server.port, "naïve café", "", "three")
    # bytes.upper() knows only ASCII letters: the UTF-8 of ï and é is untouched
    assert result.stdout == "1 NAïVE CAFé\n2 \n3 THREE\n"
    log = server.stop()
    assert [line.split(": ", 1)[1] for line in log] == [
        "answered 2 lines",
        "answered 3 lines",
    ]


def test_lines_are_found_however_the_bytes_arrive(start_server):
    server = start_server("chapter03/lines_server.py")
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for piece in (b"ab", b"c\nde", b"f\ng", b"hi\n"):
            sock.sendall(piece)
            time.sleep(0.05)
        sock.shutdown(socket.SHUT_WR)
        with sock.makefile("rb") as answers:
            assert answers.read() == b"1 ABC\n2 DEF\n3 GHI\n"
    server.stop()


def test_a_line_too_long_ends_the_conversation_and_not_the_server(start_server):
    server = start_server("chapter03/lines_server.py", "--timeout", "0.3")
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(b"fine\n" + b"x" * 1500 + b"\nnever read\n")
        sock.shutdown(socket.SHUT_WR)
        with sock.makefile("rb") as answers:
            assert answers.readline() == b"1 FINE\n"
            assert answers.readline() == b"error: line 2 is longer than 1000 bytes\n"
    with socket.create_connection(("127.0.0.1", server.port)) as silent:
        silent.settimeout(5)
        assert silent.recv(100) == b""  # the server hung up after 0.3 s
    assert client(server.port, "again").stdout == "1 AGAIN\n"
    log = server.stop()
    assert [line.split(": ", 1)[1] for line in log] == [
        "line 2 is longer than 1000 bytes",
        "not done in 0.3 s; hanging up",
        "answered 1 line",
    ]


def test_a_line_of_exactly_the_limit_is_accepted(start_server):
    server = start_server("chapter03/lines_server.py")
    result = client(server.port, "w" * 999)  # 999 + newline = 1,000 bytes
    assert result.stdout == "1 " + "W" * 999 + "\n"
    server.stop()


def test_a_line_over_the_server_s_limit_is_a_usage_error_and_is_not_sent():
    for line in ("x" * 1000, "é" * 500):  # 1,001 bytes with the newline
        result = client(1073, "fine", line)
        assert (result.returncode, result.stdout) == (2, "")
        assert result.stderr.endswith(
            "error: line 2 is over the server's limit of 1,000 bytes\n"
        ), result.stderr


def test_a_server_s_error_line_is_a_failure_after_the_answers_before_it():
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        listener.settimeout(5)

        def refuse():
            conn, _ = listener.accept()
            with conn, conn.makefile("rb") as incoming:
                lines = incoming.readlines()  # up to the client's half-close
                conn.sendall(b"1 FINE\nerror: more than 1 line\n")
            got.append(lines)

        got = []
        thread = threading.Thread(target=refuse)
        thread.start()
        result = client(port, "fine", "too many")
        thread.join()
    assert got == [[b"fine\n", b"too many\n"]]
    assert (result.returncode, result.stdout) == (1, "1 FINE\n")
    assert result.stderr == (
        f"lines_client.py: 127.0.0.1:{port} said: more than 1 line\n"
    )


def test_a_silent_server_times_out(silent_port):
    result = client(silent_port, "--timeout", "0.3")
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (
        f"lines_client.py: no answer from 127.0.0.1:{silent_port} within 0.3 s\n"
    )


def test_a_newline_inside_a_line_is_a_usage_error():
    result = client(1073, "two\nlines")
    assert result.returncode == 2
    assert re.search(r"error: a line cannot contain a newline\n$", result.stderr)


def test_a_client_that_resets_is_logged_and_the_server_goes_on(start_server):
    server = start_server("chapter03/lines_server.py")
    with socket.create_connection(("127.0.0.1", server.port)) as rude:
        rude.sendall(b"no newline yet")
        time.sleep(0.1)
        rude.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    assert client(server.port, "next").stdout == "1 NEXT\n"
    first, second = server.stop()
    assert first.endswith(": Connection reset by peer")
    assert second.endswith(": answered 1 line")


def test_bytes_of_the_command_line_that_are_not_utf_8_go_as_typed(start_server):
    server = start_server("chapter03/lines_server.py")
    result = client(server.port, "caf\udce9")  # the byte 0xE9: Latin-1's é
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == "1 CAF\ufffd\n"  # not UTF-8 on the way back either
    server.stop()
