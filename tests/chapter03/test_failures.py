"""The failures every chapter 3 program shares, each one line: the network's
(status 1) and the command line's (argparse's usage and one error, status 2),
for every server and every client."""

import errno
import runpy
import socket
import struct
import sys
import threading

import pytest

from listings.chapter03 import (
    deadlock,
    distance_client,
    distance_server,
    fourtuple_client,
    fourtuple_server,
    hexserver,
    lines_client,
    lines_server,
)
from tests.conftest import LISTINGS, run_listing

PLACES = ["41.5", "-84.3", "40.0", "-83.0"]  # distance_client.py's four numbers
CLIENTS = {
    "distance_client.py": (distance_client, PLACES),
    "deadlock.py": (deadlock, []),
    "fourtuple_client.py": (fourtuple_client, []),
    "lines_client.py": (lines_client, []),
}
SERVERS = {
    "distance_server.py": distance_server,
    "hexserver.py": hexserver,
    "fourtuple_server.py": fourtuple_server,
    "lines_server.py": lines_server,
}
EVERY = [*CLIENTS, *SERVERS]


def run(name, *args):
    before = CLIENTS[name][1] if name in CLIENTS else []
    return run_listing(f"chapter03/{name}", *before, *args)


@pytest.mark.parametrize("name", CLIENTS)
def test_refused(name, closed_port):
    result = run(name, "--port", str(closed_port))
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == f"{name}: 127.0.0.1:{closed_port} refused the connection\n"


@pytest.mark.parametrize("name", CLIENTS)
def test_a_dropped_syn_is_a_timeout(name, full_backlog):
    result = run(name, "--port", str(full_backlog), "--timeout", "0.3")
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr in (
        f"{name}: no answer from 127.0.0.1:{full_backlog} within 0.3 s\n",
        f"{name}: nothing moved for 0.3 s\n",  # deadlock.py's words
    )


@pytest.mark.parametrize("name", EVERY)
def test_name_not_found(name):
    result = run(name, "--host", "nowhere.invalid")
    assert (result.returncode, result.stdout) == (1, "")
    where = (
        "resolve nowhere.invalid" if name in CLIENTS else "listen at nowhere.invalid:"
    )
    assert result.stderr.startswith(f"{name}: cannot {where}")
    assert result.stderr.endswith(": Name or service not known\n")
    assert result.stderr.count("\n") == 1


@pytest.mark.parametrize("name", EVERY)
def test_a_host_name_that_cannot_be_a_name_is_one_line(name):
    label = "a" * 64  # DNS labels stop at 63 characters; IDNA refuses more
    result = run(name, "--host", f"{label}.example")
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr in (
        f"{name}: {label}.example is not a valid host name\n",  # the clients
        f"{name}: cannot listen at {label}.example:{SERVERS[name].PORT}: "
        "Name or service not known\n"  # the servers
        if name in SERVERS
        else "",
    )


@pytest.mark.parametrize("name", SERVERS)
def test_address_in_use(name):
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = run(name, "--port", str(port))
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (
        f"{name}: cannot listen at 127.0.0.1:{port}: Address already in use\n"
    )


@pytest.mark.parametrize("name", SERVERS)
def test_permission_denied_below_1024(name, monkeypatch):
    # The tests run as root, who may bind any port: the kernel's refusal to
    # an ordinary user is staged here, with the errno it would give.
    def refuse(self, address):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(socket.socket, "bind", refuse)
    monkeypatch.setattr(sys, "argv", [name, "--port", "80"])
    with pytest.raises(SystemExit) as stop:
        SERVERS[name].main()
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
                got = b""  # the question, or the lines and their FIN
                while len(got) < 32 and (piece := conn.recv(32)):
                    got += piece
                linger = struct.pack("ii", 1, 0)
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)

    threading.Thread(target=run, daemon=True).start()
    return listener.getsockname()[1]


@pytest.mark.parametrize("name", ["distance_client.py", "lines_client.py"])
def test_reset_by_peer(name):
    port = resetting_server()
    result = run(name, "--port", str(port))
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == f"{name}: 127.0.0.1:{port} reset the connection\n"


@pytest.mark.parametrize("name", CLIENTS)
def test_any_other_error_names_its_reason(name, monkeypatch):
    def unreachable(*args, **kwargs):
        raise OSError(errno.ENETUNREACH, "Network is unreachable")

    module, before = CLIENTS[name]
    monkeypatch.setattr(socket, "create_connection", unreachable)
    monkeypatch.setattr(sys, "argv", [name, *before, "--host", "192.0.2.1"])
    with pytest.raises(SystemExit) as stop:
        module.main()
    assert stop.value.code == (
        f"{name}: talking to 192.0.2.1:{module.PORT} failed: Network is unreachable"
    )


@pytest.mark.parametrize("name", CLIENTS)
def test_ctrl_c_is_one_line_whenever_it_comes(name, monkeypatch, capsys):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    before = CLIENTS[name][1]
    monkeypatch.setattr(socket, "create_connection", interrupted)
    monkeypatch.setattr(sys, "argv", [name, *before])
    path = str(LISTINGS / "chapter03" / name)
    if name == "fourtuple_client.py":  # Ctrl-C is how its --hold ends: status 0
        runpy.run_path(path, run_name="__main__")
    else:  # run as a program is run, main guard and all
        with pytest.raises(SystemExit) as stop:
            runpy.run_path(path, run_name="__main__")
        assert stop.value.code == f"{name}: interrupted"
    assert capsys.readouterr().err == ""


# Bad arguments: every program refuses them in argparse's way (its usage and
# one line naming the problem, status 2), never with a traceback.
COMMON = [
    (["--port", "70000"], "--port must be from 0 to 65535"),
    (["--port", "-1"], "--port must be from 0 to 65535"),
    (["--port", "http"], "argument --port: invalid int value: 'http'"),
]
TIMEOUTS = [
    (["--timeout", value], "--timeout must be more than 0 and at most 3600 seconds")
    for value in ("0", "-1", "nan", "inf", "1e10")
]
OWN = {
    "distance_client.py": [
        (["--slowly"], "the following arguments are required: DEGREES"),
        (["1", "2", "3", "inf"], "a longitude must be from -180 to 180 degrees"),
        (["1", "2", "nan", "4"], "a latitude must be from -90 to 90 degrees"),
        (["90.5", "2", "3", "4"], "a latitude must be from -90 to 90 degrees"),
        (["-90", "180", "90", "-181"], "a longitude must be from -180 to 180 degrees"),
        (["1", "2", "3", "north"], "argument DEGREES: invalid float value: 'north'"),
    ],
    "deadlock.py": [
        (["--bytes", "-1"], "--bytes must be from 0 to 100,000,000"),
        (["--bytes", "1000000000000"], "--bytes must be from 0 to 100,000,000"),
    ],
    "fourtuple_client.py": [
        (["--connections", "0"], "--connections must be from 1 to 16"),
        (["--connections", "17"], "--connections must be from 1 to 16"),
        (["--hold", "-1"], "--timeout and --hold must be from 0 to 3600 seconds"),
        (["--hold", "inf"], "--timeout and --hold must be from 0 to 3600 seconds"),
        (["--timeout", "0"], "--timeout and --hold must be from 0 to 3600 seconds"),
    ],
    "lines_client.py": [(["two\nlines"], "a line cannot contain a newline")],
}
FIRST = {"distance_client.py": PLACES}  # what must come before the options
BAD = [
    (name, [*FIRST.get(name, []), *args], message)
    for name in EVERY
    for args, message in COMMON
    + (TIMEOUTS if name not in ("fourtuple_server.py", "fourtuple_client.py") else [])
] + [(name, args, message) for name, bad in OWN.items() for args, message in bad]


@pytest.mark.parametrize(("name", "args", "message"), BAD)
def test_bad_arguments_are_a_usage_error(name, args, message):
    result = run_listing(f"chapter03/{name}", *args)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.startswith("usage: ")
    assert result.stderr.endswith(f"\n{name}: error: {message}\n")
    assert "Traceback" not in result.stderr
