"""fourtuple_server.py and fourtuple_client.py: each connection's four-tuple,
from both ends, over IPv4, IPv6 and both at once."""

import re
import signal
import socket
import struct
import subprocess
import sys
import threading

import pytest

from listings.chapter03 import fourtuple_client, fourtuple_server
from tests.conftest import LISTINGS, ROOT, listing_env, run_listing


def client(port, *args, host="127.0.0.1"):
    return run_listing(
        "chapter03/fourtuple_client.py", "--host", host, "--port", str(port), *args
    )


def views(stdout):
    """[(here_client, here_server, there_client, there_server), ...]"""
    lines = stdout.splitlines()
    assert lines[0].split() == ["client", "server"]
    rows = [line.split() for line in lines[1:]]
    assert [row[0] for row in rows] == ["here", "there"] * (len(rows) // 2)
    return [
        (*here[1:], *there[1:])
        for here, there in zip(rows[::2], rows[1::2], strict=True)
    ]


def test_three_connections_share_the_server_port_and_differ_in_the_client_port(
    start_server,
):
    server = start_server("chapter03/fourtuple_server.py")
    result = client(server.port, "--connections", "3")
    assert (result.returncode, result.stderr) == (0, "")
    seen = views(result.stdout)
    assert len(seen) == 3
    for here_client, here_server, there_client, there_server in seen:
        assert (here_client, here_server) == (there_client, there_server)  # no NAT
        assert here_server == f"127.0.0.1:{server.port}"
        assert re.fullmatch(r"127\.0\.0\.1:\d+", here_client)
    assert len({row[0] for row in seen}) == 3  # three client ports
    log = server.stop()
    assert log == [f"connection {c} {s}" for c, s, _, _ in seen]


def test_the_columns_line_up_even_for_ipv4_mapped_addresses():
    row = fourtuple_client.ROW.format
    assert row("here", "192.168.1.11:40312", "203.0.113.80:1072") == (
        "here   192.168.1.11:40312         203.0.113.80:1072"
    )
    assert row("there", "[::ffff:127.0.0.1]:50001", "x") == (
        "there  [::ffff:127.0.0.1]:50001   x"
    )


def test_ipv6_addresses_are_bracketed(start_server):
    server = start_server("chapter03/fourtuple_server.py", "--host", "::1")
    result = client(server.port, host="::1")
    assert result.returncode == 0, result.stderr
    [(mine, theirs, *_)] = views(result.stdout)
    assert mine.startswith("[::1]:")
    assert theirs == f"[::1]:{server.port}"
    server.stop()


def test_a_dual_stack_server_sees_ipv4_clients_as_mapped_addresses(start_server):
    server = start_server("chapter03/fourtuple_server.py", "--host", "::")
    result = client(server.port, host="127.0.0.1")
    assert result.returncode == 0, result.stderr
    [(here_client, here_server, there_client, there_server)] = views(result.stdout)
    assert here_server == f"127.0.0.1:{server.port}"
    assert there_server == f"[::ffff:127.0.0.1]:{server.port}"
    assert there_client == "[::ffff:" + here_client.replace(":", "]:", 1)
    result = client(server.port, host="::1")
    assert result.returncode == 0, result.stderr
    [(_, here_server, _, there_server)] = views(result.stdout)
    assert here_server == there_server == f"[::1]:{server.port}"
    server.stop()


def test_a_client_gone_before_its_turn_does_not_stop_the_server(capsys):
    # The handshake completes in the kernel before accept(); a client that
    # resets while it waits in the queue leaves the server a dead socket.
    listener = socket.create_server(("127.0.0.1", 0))
    with listener:
        gone = socket.create_connection(listener.getsockname())
        gone.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        host, port = gone.getsockname()
        gone.close()
        calls = []

        def accept():
            calls.append(1)
            if len(calls) > 1:
                raise KeyboardInterrupt
            return listener.accept()

        class Listener:
            getsockname = listener.getsockname

        fake = Listener()
        fake.accept = accept
        with pytest.raises(KeyboardInterrupt):
            fourtuple_server.serve(fake)
    out = capsys.readouterr().out.splitlines()
    assert out[1] in (
        f"{host}:{port}: Transport endpoint is not connected",
        f"{host}:{port}: Connection reset by peer",
        f"{host}:{port}: Broken pipe",
    )


def test_a_dropped_syn_times_out(full_backlog):
    result = client(full_backlog, "--timeout", "0.3")
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (
        f"fourtuple_client.py: no answer from 127.0.0.1:{full_backlog} within 0.3 s\n"
    )


def test_a_server_that_closes_without_a_line_is_one_line():
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        listener.settimeout(5)

        def hang_up():
            conn, _ = listener.accept()
            conn.close()

        thread = threading.Thread(target=hang_up)
        thread.start()
        result = client(port)
        thread.join()
    assert (result.returncode, result.stdout.split()) == (1, ["client", "server"])
    assert result.stderr == (
        f"fourtuple_client.py: 127.0.0.1:{port} closed without a line\n"
    )


def test_the_number_of_connections_is_checked():
    result = client(1072, "--connections", "17")
    assert result.returncode == 2
    assert result.stderr.endswith("error: --connections must be from 1 to 16\n")


def test_hold_keeps_the_connections_open_until_ctrl_c(start_server):
    server = start_server("chapter03/fourtuple_server.py")
    argv = [sys.executable, str(LISTINGS / "chapter03/fourtuple_client.py")]
    argv += ["--port", str(server.port), "--hold", "60"]
    env = listing_env()
    with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, env=env, cwd=ROOT) as holder:  # fmt: skip
        lines = [holder.stdout.readline() for _ in range(3)]
        client_end = lines[1].split()[1]
        # The server has closed its side; the client's end waits for us.
        assert client_end in "\n".join(close_wait_ends())
        holder.send_signal(signal.SIGINT)
        _out, err = holder.communicate(timeout=10)
    assert (holder.returncode, err) == (0, "")
    server.stop()


def close_wait_ends() -> list[str]:
    """The local ends (ADDRESS:PORT) of this machine's IPv4 TCP sockets in
    CLOSE-WAIT, from /proc/net/tcp, which `ss -tn state close-wait` reads
    (so the check needs no iproute2 on a fresh machine)."""
    ends = []
    with open("/proc/net/tcp") as table:
        for line in table.readlines()[1:]:
            local, _remote, state = line.split()[1:4]
            if state == "08":  # TCP_CLOSE_WAIT in the kernel's numbering
                address, port = local.split(":")
                ip = socket.inet_ntoa(struct.pack("<I", int(address, 16)))
                ends.append(f"{ip}:{int(port, 16)}")
    return ends
