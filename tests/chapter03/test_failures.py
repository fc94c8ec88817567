"""The failures every chapter 3 listing shares: each is one line and status 1."""

import errno
import socket
import struct
import sys
import threading

import pytest

from listings.chapter03 import deadlock, exchange, fourtuple, lines
from tests.conftest import run_listing

MODULES = {
    "exchange.py": exchange,
    "deadlock.py": deadlock,
    "fourtuple.py": fourtuple,
    "lines.py": lines,
}
NAMES = list(MODULES)


@pytest.mark.parametrize("name", NAMES)
def test_refused(name, closed_port):
    result = run_listing(f"chapter03/{name}", "client", "--port", str(closed_port))
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == f"{name}: 127.0.0.1:{closed_port} refused the connection\n"


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("command", ["client", "server"])
def test_name_not_found(name, command):
    result = run_listing(f"chapter03/{name}", command, "--host", "nowhere.invalid")
    assert (result.returncode, result.stdout) == (1, "")
    where = (
        "resolve nowhere.invalid"
        if command == "client"
        else "listen at nowhere.invalid:"
    )
    assert result.stderr.startswith(f"{name}: cannot {where}")
    assert result.stderr.endswith(": Name or service not known\n")
    assert result.stderr.count("\n") == 1


@pytest.mark.parametrize("name", NAMES)
def test_address_in_use(name):
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = run_listing(f"chapter03/{name}", "server", "--port", str(port))
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (
        f"{name}: cannot listen at 127.0.0.1:{port}: Address already in use\n"
    )


@pytest.mark.parametrize("name", NAMES)
def test_permission_denied_below_1024(name, monkeypatch):
    # The tests run as root, who may bind any port: the kernel's refusal to
    # an ordinary user is staged here, with the errno it would give.
    def refuse(self, address):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(socket.socket, "bind", refuse)
    monkeypatch.setattr(sys, "argv", [name, "server", "--port", "80"])
    with pytest.raises(SystemExit) as stop:
        MODULES[name].main()
    assert (
        stop.value.code == f"{name}: cannot listen at 127.0.0.1:80: Permission denied"
    )


def resetting_server():
    """A server that reads a little, then resets the connection; its port."""
    listener = socket.create_server(("127.0.0.1", 0))

    def run():
        with listener:
            conn, _ = listener.accept()
            with conn:
                got = b""  # exchange.py's 32 bytes, or lines.py's lines and FIN
                while len(got) < 32 and (piece := conn.recv(32)):
                    got += piece
                linger = struct.pack("ii", 1, 0)
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)

    threading.Thread(target=run, daemon=True).start()
    return listener.getsockname()[1]


@pytest.mark.parametrize("name", ["exchange.py", "lines.py"])
def test_reset_by_peer(name):
    port = resetting_server()
    result = run_listing(f"chapter03/{name}", "client", "--port", str(port))
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == f"{name}: 127.0.0.1:{port} reset the connection\n"


@pytest.mark.parametrize("name", NAMES)
def test_any_other_error_names_its_reason(name, monkeypatch):
    def unreachable(*args, **kwargs):
        raise OSError(errno.ENETUNREACH, "Network is unreachable")

    monkeypatch.setattr(socket, "create_connection", unreachable)
    monkeypatch.setattr(sys, "argv", [name, "client", "--host", "192.0.2.1"])
    with pytest.raises(SystemExit) as stop:
        MODULES[name].main()
    assert stop.value.code.startswith(f"{name}: ")
    assert f" 192.0.2.1:{MODULES[name].PORT}" in stop.value.code
    assert stop.value.code.endswith(" failed: Network is unreachable") or (
        stop.value.code.startswith("exchange.py: cannot connect to")
    )
