"""The process harness (tools/harness.py): start, wait until ready, run,
capture, stop; and fail, naming the process and what it last printed,
whenever something hangs past its limit or ends too early.

The processes are small programs of the tests' own (tests/tools/programs/).
"""

from __future__ import annotations

import socket
import socketserver
import sys
import time
from pathlib import Path

import pytest

from tools import childenv
from tools.harness import (
    Harness,
    HarnessError,
    Process,
    Ready,
    bound,
    free_port,
    net_argv,
    serving,
)

PROGRAMS = Path(__file__).parent / "programs"
ECHO = [sys.executable, str(PROGRAMS / "udp_echo.py")]
ASK = [sys.executable, str(PROGRAMS / "udp_ask.py")]
LISTENING = r"^listening on \S+ port \d+$"
#: Short bounds, so the tests of stopping take seconds, not tens.
BOUNDS = (1.0, 1.0, 1.0)


@pytest.fixture
def harness(tmp_path: Path):
    with Harness(cwd=tmp_path, env=childenv.guarded(), stop_bounds=BOUNDS) as h:
        yield h


def test_a_server_and_a_client_each_with_its_output(harness):
    port = free_port("udp")
    server = harness.start(
        "server", [*ECHO, "--port", str(port)], ready=Ready(line=LISTENING)
    )
    done = harness.run([*ASK, "127.0.0.1", str(port), "hi"], timeout=10)
    assert done.status == 0
    assert done.output.startswith(f"'HI' from port {port} to port ")
    client_port = done.output.split()[-1]
    assert harness.stop_all() == []
    assert server.stopped_by == "SIGINT" and server.status == 0
    assert server.output.splitlines() == [
        "starting",
        f"listening on 0.0.0.0 port {port}",
        f"'hi' from 127.0.0.1 port {client_port}",
        "stopped",
    ]


def test_a_udp_port_is_ready_when_the_process_has_bound_it(harness):
    port = free_port("udp")
    server = harness.start(
        "server",
        [*ECHO, "--port", str(port), "--delay", "0.5"],
        ready=Ready(port=port, protocol="udp"),
    )
    assert bound(server.popen.pid, port, "udp")
    assert not bound(server.popen.pid, port, "tcp")
    assert "listening on" in server.output or server.running


def test_a_tcp_port_is_ready_when_it_accepts(harness):
    port = free_port()
    code = (
        "import socket, time; s = socket.create_server(('127.0.0.1', PORT));"
        " print('up', flush=True); time.sleep(30)"
    ).replace("PORT", str(port))
    server = harness.start(
        "tcp-server", [sys.executable, "-c", code], ready=Ready(port=port)
    )
    assert bound(server.popen.pid, port, "tcp")


def test_not_ready_in_time_names_the_process_and_its_last_words(harness):
    started = time.monotonic()
    with pytest.raises(HarnessError) as caught:
        harness.start(
            "slowpoke",
            [*ECHO, "--delay", "30"],
            ready=Ready(line=LISTENING, timeout=8.0),
        )
    # Within its limit (and well before its 30 s), on a loaded machine too.
    assert time.monotonic() - started < 8.0 + 10
    message = str(caught.value)
    assert message.startswith("slowpoke was not ready after 8 s (waiting for a line")
    assert message.endswith("last printed:\n    starting")


def test_a_process_that_ends_before_it_is_ready_says_so(harness):
    with pytest.raises(HarnessError) as caught:
        harness.start(
            "quitter",
            [sys.executable, "-c", "print('no port for me'); raise SystemExit(3)"],
            ready=Ready(port=free_port()),
        )
    assert str(caught.value).startswith("quitter ended (status 3) before it was ready")
    assert "    no port for me" in str(caught.value)


def test_a_foreground_command_past_its_limit_is_stopped_and_named(harness):
    started = time.monotonic()
    with pytest.raises(HarnessError) as caught:
        harness.run(
            [
                sys.executable,
                "-c",
                "import time; print('waiting', flush=True); time.sleep(30)",
            ],
            name="the-waiter",
            # Long enough for an interpreter to start on a loaded machine (at
            # load 20, 1 s was not: the ^C came during its site import).
            timeout=4.0,
        )
    assert time.monotonic() - started < 4.0 + sum(BOUNDS) + 2
    assert str(caught.value).startswith("`the-waiter` was still running after 4 s")
    assert caught.value.process is not None
    assert not caught.value.process.running
    assert caught.value.process.output.startswith("waiting\nTraceback")  # ^C


def test_a_server_killed_mid_session_fails_the_client_at_once(harness, tmp_path):
    harness.start(
        "server",
        [*ECHO, "--pidfile", "server.pid"],
        ready=Ready(line=LISTENING),
    )
    pid = int((tmp_path / "server.pid").read_text())
    killer = (
        f"import os, signal, time; os.kill({pid}, signal.SIGKILL);"
        " print('killed it', flush=True); time.sleep(30)"
    )
    started = time.monotonic()
    with pytest.raises(HarnessError) as caught:
        harness.run([sys.executable, "-c", killer], name="client", timeout=30)
    assert time.monotonic() - started < 20  # not the client's 30 s
    message = str(caught.value)
    assert message.startswith("server ended (status -9) while `client` ran;")
    assert "listening on 0.0.0.0 port" in message


def test_a_server_that_ignores_ctrl_c_gets_sigterm_and_is_reported(harness):
    server = harness.start(
        "stubborn", [*ECHO, "--stubborn", "1"], ready=Ready(line=LISTENING)
    )
    [problem] = harness.stop_all(check=False)
    assert server.stopped_by == "SIGTERM" and server.status == -15
    assert problem.startswith(
        "stubborn did not stop on Ctrl-C (SIGINT) within 1 s: it needed SIGTERM;"
    )
    assert "ignoring SIGINT" in problem


def test_a_server_that_ignores_sigterm_too_is_killed(harness):
    server = harness.start(
        "mule", [*ECHO, "--stubborn", "2"], ready=Ready(line=LISTENING)
    )
    with pytest.raises(HarnessError, match="mule did not stop on Ctrl-C"):
        harness.stop_all()
    assert server.stopped_by == "SIGKILL" and server.status == -9
    assert server.output.splitlines()[-2:] == ["ignoring SIGINT", "ignoring SIGTERM"]


def test_a_server_that_ended_by_itself_is_a_problem_at_the_end(harness):
    brief = harness.start("brief", [sys.executable, "-c", "print('bye')"])
    brief.popen.wait(30)
    [problem] = harness.stop_all(check=False)
    assert problem.startswith("brief ended (status 0) before it was stopped;")


def test_a_program_that_cannot_run_is_named(harness):
    with pytest.raises(HarnessError, match="ghost: cannot run `no-such-program-x`"):
        harness.start("ghost", ["no-such-program-x"])


def test_leaving_the_with_block_stops_everything(tmp_path):
    with Harness(cwd=tmp_path, env=childenv.guarded(), stop_bounds=BOUNDS) as h:
        server = h.start("server", ECHO, ready=Ready(line=LISTENING))
    assert server.stopped_by == "SIGINT" and not server.running


def test_ready_takes_a_line_or_a_port():
    with pytest.raises(ValueError, match="a line or a port"):
        Ready()
    with pytest.raises(ValueError, match="a line or a port"):
        Ready(line="x", port=1)
    with pytest.raises(ValueError, match="tcp or udp"):
        Ready(port=1, protocol="sctp")


def test_a_host_command_runs_through_playground_net_exec():
    assert net_argv("www", ["python3", "x.py"]) == [
        sys.executable,
        "-m",
        "playground.net",
        "exec",
        "www",
        "--",
        "python3",
        "x.py",
    ]


def test_serving_runs_a_socketserver_for_the_block_and_closes_it():
    class Echo(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            self.request.sendall(self.request.recv(100))

    server = socketserver.TCPServer(("127.0.0.1", 0), Echo)
    with serving(server), socket.create_connection(server.server_address, 5) as c:
        c.sendall(b"ping")
        assert c.recv(100) == b"ping"
    assert server.socket.fileno() == -1  # closed


def test_standard_error_can_be_kept_apart(harness):
    # Flushed: where PYTHONUNBUFFERED is not set (a fresh machine), a buffered
    # 'out' would reach the merged pipe only at exit, after 'err'.
    code = (
        "import sys; print('out', flush=True); print('err', file=sys.stderr);"
        " sys.exit(1)"
    )
    done = harness.run([sys.executable, "-c", code], stderr="apart")
    assert (done.status, done.output, done.errors) == (1, "out\n", "err\n")
    merged = harness.run([sys.executable, "-c", code])
    assert (merged.output, merged.errors) == ("out\nerr\n", "")
    with pytest.raises(ValueError, match="merged"):
        harness.run(["true"], stderr="mixed")


def test_a_ctrl_c_in_the_middle_of_a_line_shows_after_the_line() -> None:
    # Unbuffered, print() writes a line's text and its newline apart; a
    # Ctrl-C recorded between the two belongs after the whole line.
    process = Process("server", ["server"])
    process.chunks = [b"served one\n", b"served two", b"\n", b"stopped\n"]
    process.interrupted_at = len(b"served one\nserved two")
    assert process.split_at_interrupt() == ("served one\nserved two\n", "stopped\n")
    process.interrupted_at = len(b"served one\n")
    assert process.split_at_interrupt() == (
        "served one\n",
        "served two\nstopped\n",
    )
