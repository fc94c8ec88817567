"""hexserver.py and deadlock.py: the stall, detected within its timeout, and
the fix that has none."""

import re
import socket
import struct
import threading
import time

import pytest

from listings.chapter03 import deadlock, hexserver
from tests.conftest import run_listing

BIG = 20_000_000  # far more than both ends' buffers hold, even autotuned


def client(port, *args):
    return run_listing("chapter03/deadlock.py", "--port", str(port), *args)


def test_a_little_data_goes_through_even_done_the_naive_way(start_server):
    server = start_server("chapter03/hexserver.py")
    result = client(server.port, "--bytes", "1000")
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == "sent 1,000 bytes, got back 2,000: 0001020304050607...\n"
    assert client(server.port, "--bytes", "0").stdout == "sent 0 bytes, got back 0\n"
    log = server.stop()
    assert [line.split(": ", 1)[1] for line in log] == [
        "read 1,000 bytes, wrote 2,000",
        "read 0 bytes, wrote 0",
    ]


def test_the_server_answers_each_chunk_in_hex_before_the_rest_arrives(start_server):
    server = start_server("chapter03/hexserver.py")
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(struct.pack("!Q", 6) + b"\x00\xffA")
        assert sock.recv(100) == b"00ff41"  # the answer, with half still to come
        sock.sendall(b"TCP")
        assert sock.recv(100) == b"544350"
        assert sock.recv(100) == b""  # six bytes read: the server closes
    [line] = server.stop()
    assert line.endswith(": read 6 bytes, wrote 12")


def test_a_lot_of_data_stalls_within_the_timeout_and_the_server_survives(start_server):
    server = start_server("chapter03/hexserver.py", "--timeout", "5")
    started = time.monotonic()
    result = client(server.port, "--bytes", str(BIG), "--timeout", "0.5")
    took = time.monotonic() - started
    assert (result.returncode, result.stdout) == (1, "")
    found = re.fullmatch(
        r"deadlock\.py: stalled: sent ([\d,]+) of 20,000,000 bytes, "
        r"then nothing moved for 0\.5 s\n",
        result.stderr,
    )
    assert found, result.stderr
    sent = int(found[1].replace(",", ""))
    assert 65_536 <= sent < BIG  # buffers filled, then nothing
    assert took < 30  # the stall ended with the timeout, not with the data
    # The client gave up and closed with the server's answer unread, so its
    # kernel reset the connection; the server says so and keeps serving.
    assert client(server.port, "--bytes", "10").returncode == 0
    first, second = server.stop()
    assert first.endswith(": Connection reset by peer"), first
    assert second.endswith(": read 10 bytes, wrote 20")


def test_sending_from_a_second_thread_does_not_stall(start_server):
    server = start_server("chapter03/hexserver.py", "--timeout", "5")
    result = client(server.port, "--bytes", str(BIG), "--threads", "--timeout", "5")
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == (
        "sent 20,000,000 bytes, got back 40,000,000: 0001020304050607...\n"
    )
    [line] = server.stop()
    assert line.endswith(": read 20,000,000 bytes, wrote 40,000,000")


def test_the_timeout_bounds_each_wait_of_the_sending_thread_not_the_whole(
    throttled_server,
):
    # The server takes at least 2 s to read it all (64 KiB at most every
    # 20 ms, past the 4 MiB the client's send buffer can hold at most), far
    # more than the timeout, but no single wait comes near it: one sendall()
    # would have to finish within the timeout, so it stalled; send() does not.
    port, received = throttled_server
    result = client(port, "--bytes", str(12_000_000), "--threads", "--timeout", "1")
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == (
        "sent 12,000,000 bytes, got back 24,000,000: 0001020304050607...\n"
    )
    assert received == [12_000_000]


@pytest.fixture
def throttled_server():
    """A hex server on loopback that reads slowly: at most 64 KiB, then a
    pause of 20 ms. Yields its port, and a list that gets the bytes it read."""
    received = []
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        listener.settimeout(30)

        def serve():
            conn, _ = listener.accept()
            with conn, conn.makefile("rb") as incoming:
                conn.settimeout(30)
                (left,) = struct.unpack("!Q", incoming.read(8))
                total = 0
                while left and (chunk := incoming.read1(min(left, 65536))):
                    conn.sendall(chunk.hex().encode("ascii"))
                    total, left = total + len(chunk), left - len(chunk)
                    time.sleep(0.02)
            received.append(total)

        thread = threading.Thread(target=serve)
        thread.start()
        yield listener.getsockname()[1], received
        thread.join(timeout=60)


def test_the_server_hangs_up_on_a_client_that_never_reads(start_server):
    server = start_server("chapter03/hexserver.py", "--timeout", "0.3")
    with socket.create_connection(("127.0.0.1", server.port)) as greedy:
        greedy.sendall(struct.pack("!Q", 50_000_000))  # under the limit
        greedy.setblocking(False)
        try:  # send until every buffer on the way is full
            while True:
                greedy.send(b"y" * 65536)
        except BlockingIOError:
            pass
        greedy.settimeout(10)
        hung_up = False
        try:
            while greedy.recv(1 << 20):  # read the answer until the server is gone
                pass
            hung_up = True
        except ConnectionResetError:
            hung_up = True
    assert hung_up
    [line] = server.stop()
    assert re.fullmatch(r"127\.0\.0\.1:\d+: not done in 0\.3 s; hanging up", line)


def test_the_server_reports_a_client_that_sends_less_than_it_announced(start_server):
    server = start_server("chapter03/hexserver.py")
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(b"\x00\x00")  # a quarter of a header
        sock.shutdown(socket.SHUT_WR)
        assert sock.recv(100) == b""
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(struct.pack("!Q", 100_000) + b"z" * 70_000)
        sock.shutdown(socket.SHUT_WR)
        with sock.makefile("rb") as answer:
            assert answer.read() == b"7a" * 70_000
    log = server.stop()
    assert [line.split(": ", 1)[1] for line in log] == [
        "closed before its 8-byte header was whole",
        "sent 70,000 of 100,000 bytes",
    ]


def test_a_silent_server_is_a_timeout_even_with_threads(silent_port):
    result = client(silent_port, "--threads", "--timeout", "0.3")
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == "deadlock.py: nothing moved for 0.3 s\n"


def test_a_server_that_resets_is_one_line():
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        result_holder = []

        def go():
            result_holder.append(client(port, "--bytes", str(BIG), "--timeout", "5"))

        thread = threading.Thread(target=go)
        thread.start()
        conn, _ = listener.accept()
        conn.recv(1000)
        conn.close()  # unread data: the kernel sends an RST at once
        thread.join()
    [result] = result_holder
    assert result.returncode == 1
    assert result.stderr in (
        f"deadlock.py: 127.0.0.1:{port} reset the connection\n",
        f"deadlock.py: talking to 127.0.0.1:{port} failed: Broken pipe\n",
    )


def test_a_server_that_answers_short_is_one_line():
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        result_holder = []

        def go():
            result_holder.append(client(port, "--bytes", "10"))

        thread = threading.Thread(target=go)
        thread.start()
        conn, _ = listener.accept()
        with conn:
            got = b""
            while len(got) < 18:  # the header and 10 bytes, all read
                got += conn.recv(100)
            conn.sendall(b"0102")
        thread.join()
    [result] = result_holder
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == f"deadlock.py: 127.0.0.1:{port} sent 4 bytes, not 20\n"


def test_the_header_counts_the_bytes_that_follow():
    assert deadlock.HEADER.format == hexserver.HEADER.format == "!Q"
    assert deadlock.HEADER.size == 8


def test_a_new_socket_s_buffers_start_at_the_kernel_s_defaults():
    # The chapter quotes these for the book's machines: the middle values of
    # net.ipv4.tcp_wmem and tcp_rmem (minimum, default, maximum).
    with open("/proc/sys/net/ipv4/tcp_wmem") as f:
        wmem = int(f.read().split()[1])
    with open("/proc/sys/net/ipv4/tcp_rmem") as f:
        rmem = int(f.read().split()[1])
    with socket.socket() as sock:
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF) == wmem
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF) == rmem
