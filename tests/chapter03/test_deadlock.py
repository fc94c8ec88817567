"""deadlock.py: the stall, detected within its timeout, and the fix that has none."""

import re
import socket
import threading
import time

from tests.conftest import run_listing

BIG = 50_000_000  # far more than both ends' buffers hold, even autotuned


def client(port, *args):
    return run_listing("chapter03/deadlock.py", "client", "--port", str(port), *args)


def test_a_little_data_goes_through_even_done_the_naive_way(start_server):
    server = start_server("chapter03/deadlock.py")
    result = client(server.port, "--bytes", "1000")
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == "sent 1,000 bytes and received 1,000\n"
    [line] = server.stop()
    assert re.fullmatch(r"127\.0\.0\.1:\d+: echoed 1,000 bytes", line)


def test_a_lot_of_data_stalls_within_the_timeout_and_the_server_survives(start_server):
    server = start_server("chapter03/deadlock.py", "--timeout", "5")
    started = time.monotonic()
    result = client(server.port, "--bytes", str(BIG), "--timeout", "0.5")
    took = time.monotonic() - started
    assert (result.returncode, result.stdout) == (1, "")
    found = re.fullmatch(
        r"deadlock\.py: stalled: sent ([\d,]+) of 50,000,000 bytes, "
        r"then nothing moved for 0\.5 s\n",
        result.stderr,
    )
    assert found, result.stderr
    sent = int(found[1].replace(",", ""))
    assert 65_536 <= sent < BIG  # buffers filled, then nothing
    assert took < 30  # the stall ended with the timeout, not with the data
    # The client gave up and closed with the server's echo unread, so its
    # kernel reset the connection; the server says so and keeps serving.
    assert client(server.port, "--bytes", "10").returncode == 0
    first, second = server.stop()
    assert first.endswith(": Connection reset by peer"), first
    assert second.endswith(": echoed 10 bytes")


def test_sending_from_a_second_thread_never_stalls(start_server):
    server = start_server("chapter03/deadlock.py", "--timeout", "5")
    result = client(server.port, "--bytes", str(BIG), "--threads", "--timeout", "5")
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == "sent 50,000,000 bytes and received 50,000,000\n"
    [line] = server.stop()
    assert line.endswith(": echoed 50,000,000 bytes")


def test_the_server_hangs_up_on_a_client_that_never_reads(start_server):
    server = start_server("chapter03/deadlock.py", "--timeout", "0.3")
    with socket.create_connection(("127.0.0.1", server.port)) as greedy:
        greedy.setblocking(False)
        try:  # send until every buffer on the way is full
            while True:
                greedy.send(b"y" * 65536)
        except BlockingIOError:
            pass
        greedy.settimeout(10)
        hung_up = False
        try:
            while greedy.recv(1 << 20):  # read the echo until the server is gone
                pass
            hung_up = True
        except ConnectionResetError:
            hung_up = True
    assert hung_up
    [line] = server.stop()
    assert re.fullmatch(r"127\.0\.0\.1:\d+: stuck for 0\.3 s; hanging up", line)


def test_a_silent_server_is_a_timeout_even_with_threads(silent_port):
    result = client(silent_port, "--threads", "--timeout", "0.3")
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == "deadlock.py: nothing moved for 0.3 s\n"


def test_a_server_that_resets_is_one_line():
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        result_holder = []

        def go():
            result_holder.append(client(port, "--bytes", "100000000", "--timeout", "5"))

        thread = threading.Thread(target=go)
        thread.start()
        conn, _ = listener.accept()
        conn.recv(1000)
        conn.close()  # unread data: the kernel answers with RST
        thread.join()
    [result] = result_holder
    assert result.returncode == 1
    assert result.stderr in (
        f"deadlock.py: 127.0.0.1:{port} reset the connection\n",
        f"deadlock.py: talking to 127.0.0.1:{port} failed: Broken pipe\n",
    )


def test_negative_bytes_are_a_usage_error():
    result = client(1071, "--bytes", "-1")
    assert result.returncode == 2
    assert result.stderr.endswith("error: --bytes cannot be negative\n")


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
