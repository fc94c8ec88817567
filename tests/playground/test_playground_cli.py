"""``python -m playground`` as a reader runs it: a separate process that
prints its URLs, serves until a signal, and reports problems in one line."""

from __future__ import annotations

import json
import queue
import signal
import socket
import ssl
import subprocess
import sys
import textwrap
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import playground.__main__ as playground_main
import playground.services
from playground.__main__ import parse_args
from playground.services import Playground
from tests.conftest import ROOT, listing_env
from tests.playground.test_tls import has_ipv6_loopback

EXAMPLE_QUERY = "/search?q=207+N.+Defiance+St,+Archbold,+OH&format=json"


def playground_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "playground", *args]


class Served:
    """A running ``python -m playground`` and what it printed."""

    def __init__(self, state: Path, *args: str) -> None:
        self.state = state
        self.process = subprocess.Popen(
            playground_command("--state", str(state), *args),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env=listing_env(),
        )
        # A thread reads stdout, so a line can be awaited with a timeout.
        self.output: queue.Queue[str] = queue.Queue()
        self.reader = threading.Thread(target=self.read_stdout, daemon=True)
        self.reader.start()
        self.lines = [self.read_line(), self.read_line()]
        self.http_url, self.https_url = (line.split()[0] for line in self.lines)

    def read_stdout(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.output.put(line)
        self.output.put("")  # end of output

    def read_line(self, timeout: float = 60) -> str:
        try:
            line = self.output.get(timeout=timeout)
        except queue.Empty:
            self.process.kill()
            pytest.fail(f"no line from python -m playground in {timeout} s")
        if not line:
            self.process.wait(5)
            assert self.process.stderr is not None
            pytest.fail(f"python -m playground ended: {self.process.stderr.read()}")
        return line.rstrip("\n")

    def context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=self.state / "ca.pem")
        context.verify_flags |= ssl.VERIFY_X509_STRICT
        return context

    def stop(self, signum: int) -> tuple[int, str, str]:
        """Send *signum*; return the exit status and the rest of the output."""
        self.process.send_signal(signum)
        status = self.process.wait(15)
        self.reader.join(5)
        out = "".join(iter(self.output.get_nowait, ""))
        assert self.process.stderr is not None
        return status, out, self.process.stderr.read()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        for pipe in (self.process.stdout, self.process.stderr):
            if pipe:
                pipe.close()


@pytest.fixture
def state(tmp_path: Path) -> Path:
    return tmp_path / "state"


@pytest.fixture
def launch(state: Path) -> Iterator[Callable[..., Served]]:
    """Start ``python -m playground --state STATE ARGS...``; killed after the test."""
    started: list[Served] = []

    def start(*args: str) -> Served:
        started.append(Served(state, *args))
        return started[-1]

    yield start
    for server in started:
        server.kill()


@pytest.fixture
def served(launch: Callable[..., Served]) -> Served:
    return launch("--port", "0", "--tls-port", "0")


def example_lat(url: str, context: ssl.SSLContext | None = None) -> str:
    with urllib.request.urlopen(
        url + EXAMPLE_QUERY, timeout=5, context=context
    ) as reply:
        return str(json.load(reply)[0]["lat"])


# -- serving until a signal ---------------------------------------------------------


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_prints_urls_serves_both_then_exits_cleanly_on_a_signal(
    served: Served, signum: int
) -> None:
    http_line, https_line = served.lines
    assert http_line.startswith("http://127.0.0.1:")
    assert https_line.startswith("https://127.0.0.1:")
    assert http_line.split()[1:] == ["geocoder", "over", "HTTP"]
    assert f"CA certificate: {served.state / 'ca.pem'}" in https_line
    ports = {int(url.rsplit(":", 1)[1]) for url in (served.http_url, served.https_url)}
    assert len(ports) == 2 and not ports & {0, 8080, 8443}
    assert example_lat(served.http_url) == "41.521954"
    assert example_lat(served.https_url, served.context()) == "41.521954"
    status, out, err = served.stop(signum)
    assert (status, out, err) == (0, "", "")
    for url in (served.http_url, served.https_url):
        port = int(url.rsplit(":", 1)[1])
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=2).close()


def test_exits_cleanly_with_clients_still_connected(served: Served) -> None:
    port = int(served.http_url.rsplit(":", 1)[1])
    with (
        socket.create_connection(("127.0.0.1", port), timeout=5) as idle,
        socket.create_connection(("127.0.0.1", port), timeout=5) as stuck,
    ):
        idle.sendall(b"GET /status HTTP/1.1\r\n")  # half a request, then nothing
        slow = b"GET /_playground/fault/slow/search?q=x HTTP/1.1\r\nHost: x\r\n\r\n"
        stuck.sendall(slow)  # a whole request, whose answer takes 3 s
        time.sleep(0.2)  # both are now in the server's hands
        status, out, err = served.stop(signal.SIGTERM)
        assert (status, out, err) == (0, "", "")
        # It did not wait to send the slow reply: the stuck client's
        # connection ends with no answer at all.
        try:
            answer = stuck.recv(100)
        except ConnectionResetError:
            answer = b""
        assert answer == b""


def test_verbose_logs_each_request_in_one_line(launch: Callable[..., Served]) -> None:
    # The options may also follow the subcommand.
    server = launch("serve", "--verbose", "--port", "0", "--tls-port", "0")
    assert example_lat(server.http_url) == "41.521954"
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(server.http_url + "/nowhere", timeout=5)
    status, out, err = server.stop(signal.SIGTERM)
    assert (status, out) == (0, "")
    lines = err.splitlines()
    assert len(lines) == 2, err
    assert lines[0].startswith("127.0.0.1 ") and '"GET /search?q=207' in lines[0]
    assert '" 200 ' in lines[0]
    assert '"GET /nowhere HTTP/1.1" 404' in lines[1]


@pytest.mark.skipif(not has_ipv6_loopback(), reason="this machine has no ::1")
def test_serves_on_ipv6_loopback(launch: Callable[..., Served]) -> None:
    server = launch("--host", "::1", "--port", "0", "--tls-port", "0")
    try:
        assert server.http_url.startswith("http://[::1]:")
        assert server.https_url.startswith("https://[::1]:")
        assert example_lat(server.http_url) == "41.521954"
        assert example_lat(server.https_url, server.context()) == "41.521954"
    finally:
        assert server.stop(signal.SIGINT) == (0, "", "")


def test_parse_args_defaults_and_positions() -> None:
    args = parse_args([])
    assert (args.command, args.host, args.port, args.tls_port) == (
        None,
        "127.0.0.1",
        8080,
        8443,
    )
    assert args.state is None and args.verbose is False
    # Before or after the subcommand, an option is kept.
    assert parse_args(["--port", "0", "serve"]).port == 0
    assert parse_args(["serve", "--tls-port", "0"]).tls_port == 0
    assert parse_args(["--host", "::1", "serve"]).host == "::1"
    args = parse_args(["--state", "s", "run", "--verbose", "--", "echo", "--port"])
    assert (args.state, args.verbose, args.argv) == (
        Path("s"),
        True,
        ["--", "echo", "--port"],
    )


# -- problems are one line and an exit status ---------------------------------------


def fails(*args: str) -> tuple[int, str]:
    result = subprocess.run(
        playground_command(*args),
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=listing_env(),
        timeout=30,
    )
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    return result.returncode, result.stderr.rstrip("\n")


def test_a_port_in_use(state: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        status, message = fails(
            "--state", str(state), "--port", str(port), "--tls-port", "0"
        )
    assert status == 1
    where = f"127.0.0.1 port {port} or 0"
    assert message == f"playground: cannot listen on {where}: Address already in use"


def test_an_address_not_on_this_machine(state: Path) -> None:
    status, message = fails("--state", str(state), "--host", "192.0.2.1", "--port", "0")
    assert status == 1
    assert message.startswith("playground: cannot listen on 192.0.2.1 port 0 or 8443: ")
    assert message.endswith("Cannot assign requested address")


def test_a_damaged_state_folder(state: Path) -> None:
    state.mkdir()
    (state / "ca.pem").write_text("garbage\n")
    (state / "ca-key.pem").write_text("garbage\n")
    status, message = fails("--state", str(state), "--port", "0", "--tls-port", "0")
    assert status == 1
    assert message.startswith(
        f"playground: {state} holds no usable certificate authority"
    )
    status, message = fails("--state", str(state), "run", "--", "true")
    assert status == 1
    assert message.startswith(f"playground run: {state} holds no usable certificate")


def test_a_state_folder_that_cannot_be_made(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    status, message = fails("--state", str(blocker / "state"), "--port", "0")
    assert status == 1
    assert message == f"playground: {blocker / 'state'}: Not a directory"


def test_unknown_option_is_a_usage_error() -> None:
    result = subprocess.run(
        playground_command("--nonsense"),
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=30,
    )
    assert result.returncode == 2
    assert "unrecognized arguments: --nonsense" in result.stderr


def test_help() -> None:
    result = subprocess.run(
        playground_command("--help"),
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=30,
    )
    assert result.returncode == 0
    assert "{serve,run}" in result.stdout and "--tls-port" in result.stdout


# -- run -- COMMAND --------------------------------------------------------------------


def run(
    state: Path, *command: str, timeout: float = 30
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        playground_command("--state", str(state), "run", "--", *command),
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=listing_env(),
        timeout=timeout,
    )


def python(code: str) -> list[str]:
    return [sys.executable, "-c", textwrap.dedent(code)]


def test_run_gives_the_command_its_environment_and_returns_its_status(
    state: Path,
) -> None:
    result = run(
        state,
        *python("""
            import json, os, sys
            names = ("GEOCODER_URL", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE")
            print(json.dumps({name: os.environ.get(name) for name in names}))
            sys.exit(3)
        """),
    )
    assert (result.returncode, result.stderr) == (3, "")
    env = json.loads(result.stdout)
    assert env["GEOCODER_URL"].startswith("https://127.0.0.1:")
    assert env["SSL_CERT_FILE"] == env["REQUESTS_CA_BUNDLE"] == str(state / "ca.pem")
    # The services are gone once the command has ended.
    port = int(env["GEOCODER_URL"].rsplit(":", 1)[1])
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()


def test_the_environment_is_enough_to_verify_and_search(state: Path) -> None:
    result = run(
        state,
        *python(f"""
            import json, os, ssl, urllib.request
            context = ssl.create_default_context()  # trusts SSL_CERT_FILE
            context.verify_flags |= ssl.VERIFY_X509_STRICT
            url = os.environ["GEOCODER_URL"] + {EXAMPLE_QUERY!r}
            with urllib.request.urlopen(url, context=context, timeout=5) as reply:
                place = json.load(reply)[0]
            import requests  # and REQUESTS_CA_BUNDLE
            again = requests.get(url, timeout=5).json()[0]
            print(place["lat"], place["lon"], again == place)
        """),
    )
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == "41.521954 -84.306691 True\n"


def test_death_by_signal_is_reported_as_shells_do(state: Path) -> None:
    result = run(
        state, *python("import os, signal; os.kill(os.getpid(), signal.SIGTERM)")
    )
    assert result.returncode == 128 + signal.SIGTERM


def test_sigterm_to_run_reaches_the_command(state: Path) -> None:
    marker = state.parent / "terminated"
    process = subprocess.Popen(
        playground_command(
            "--state",
            str(state),
            "run",
            "--",
            *python(f"""
                import signal, sys, time
                def leave(signum, frame):
                    open({str(marker)!r}, "w").write("got SIGTERM")
                    sys.exit(5)
                signal.signal(signal.SIGTERM, leave)
                print("ready", flush=True)
                time.sleep(30)
            """),
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=listing_env(),
    )
    assert process.stdout is not None
    assert process.stdout.readline() == "ready\n"
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=15)
    assert (process.returncode, out, err) == (5, "", "")
    assert marker.read_text() == "got SIGTERM"


@pytest.mark.parametrize("command", [[], ["--"]])
def test_run_without_a_command(state: Path, command: list[str]) -> None:
    result = subprocess.run(
        playground_command("--state", str(state), "run", *command),
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=listing_env(),
        timeout=30,
    )
    assert result.returncode == 2
    assert result.stderr == (
        "playground run: no command given (python -m playground run -- COMMAND)\n"
    )


def test_run_with_a_command_that_does_not_exist(state: Path) -> None:
    result = run(state, "no-such-command-anywhere", "--flag")
    assert result.returncode == 127
    problem = "cannot run no-such-command-anywhere: No such file or directory"
    assert result.stderr == f"playground run: {problem}\n"


@pytest.mark.parametrize("value", ["70000", "-1", "http"])
def test_a_port_out_of_range_is_a_usage_error(value: str) -> None:
    result = subprocess.run(
        playground_command("--port", value),
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=30,
    )
    assert result.returncode == 2
    assert result.stderr.endswith(f"argument --port: invalid port value: '{value}'\n")
    assert "Traceback" not in result.stderr


def test_keeps_serving_when_no_one_reads_its_output(state: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]  # free now; the playground takes it next
    process = subprocess.Popen(
        playground_command(
            "--state", str(state), "--port", str(port), "--tls-port", "0"
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=listing_env(),
    )
    try:
        assert process.stdout is not None
        process.stdout.close()  # like `python -m playground | head -0`
        deadline = time.monotonic() + 20
        while True:
            try:
                assert example_lat(f"http://127.0.0.1:{port}") == "41.521954"
                break
            except urllib.error.URLError:
                assert process.poll() is None, "the playground stopped"
                assert time.monotonic() < deadline, "the playground never answered"
                time.sleep(0.1)
        process.send_signal(signal.SIGTERM)
        assert process.wait(15) == 0
        assert process.stderr is not None
        assert process.stderr.read() == ""
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stderr:
            process.stderr.close()


@pytest.mark.parametrize("delay", [0.0, 0.3])
def test_a_signal_during_start_up_stops_run_before_the_command(
    state: Path, delay: float
) -> None:
    marker = state.parent / "ran"
    process = subprocess.Popen(
        playground_command(
            "--state", str(state), "run", "--", *python(f"open({str(marker)!r}, 'w')")
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=listing_env(),
    )
    time.sleep(delay)
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=30)
    # Killed outright before Python could take the signal, or stopped in order.
    assert process.returncode in (-signal.SIGTERM, 128 + signal.SIGTERM)
    assert (out, err) == ("", "")
    assert not marker.exists()


@pytest.mark.parametrize("delay", [0.4, 0.8])
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_during_start_up_stops_serving_cleanly(
    state: Path, signum: int, delay: float
) -> None:
    # Unmeasured: coverage's own SIGTERM handler (pyproject.toml: sigterm)
    # would be in place from the first instant and end the process as -15.
    env = listing_env()
    for name in ("COVERAGE_PROCESS_CONFIG", "COVERAGE_PROCESS_START"):
        env.pop(name, None)
    process = subprocess.Popen(
        playground_command("--state", str(state), "--port", "0", "--tls-port", "0"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=env,
    )
    # Once the playground has installed its handlers (it sets both at once;
    # Python's own SIGINT handler is there from the start, so SIGTERM's is
    # the one that tells), then starting its services: not serving yet.
    handles(process.pid, signal.SIGTERM)
    time.sleep(delay)
    process.send_signal(signum)
    _, err = process.communicate(timeout=30)
    assert (process.returncode, err) == (0, "")


def handles(pid: int, signum: int, limit: float = 30.0) -> None:
    """Wait until process *pid* catches *signum* (Linux: /proc's SigCgt mask),
    so that a test's signal meets the program, however loaded the machine."""
    deadline = time.monotonic() + limit
    status = Path(f"/proc/{pid}/status")
    while time.monotonic() < deadline:
        caught = next(
            (line.split()[1] for line in status.read_text().splitlines()
             if line.startswith("SigCgt:")),
            "0",
        )  # fmt: skip
        if int(caught, 16) & (1 << (signum - 1)):
            return
        time.sleep(0.01)
    pytest.fail(f"process {pid} never caught signal {signum}")


def test_sigint_to_run_alone_is_left_to_the_command(state: Path) -> None:
    # At a terminal, Ctrl-C reaches the command directly; the playground
    # itself waits for the command to finish rather than dying first.
    process = subprocess.Popen(
        playground_command(
            "--state",
            str(state),
            "run",
            "--",
            *python("""
                import time
                print("ready", flush=True)
                time.sleep(1)
                print("done")
            """),
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=listing_env(),
    )
    assert process.stdout is not None
    assert process.stdout.readline() == "ready\n"
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=15)
    assert (process.returncode, out, err) == (0, "done\n", "")


def test_run_on_an_address_not_on_this_machine(state: Path) -> None:
    status, message = fails("--state", str(state), "--host", "192.0.2.1", "run", "true")
    assert status == 1
    assert message.startswith("playground run: cannot listen on 192.0.2.1: ")


@pytest.mark.parametrize(("command", "expected"), [("run", 130), ("serve", 0)])
def test_ctrl_c_before_the_services_are_up(
    monkeypatch: pytest.MonkeyPatch, command: str, expected: int
) -> None:
    def interrupted(args: object) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(playground_main, "start", interrupted)
    assert (
        playground_main.main([command, "true"] if command == "run" else [command])
        == expected
    )


# -- the Playground class --------------------------------------------------------------


def test_stop_without_start_returns(tmp_path: Path) -> None:
    pg = Playground(state_dir=tmp_path)
    started = time.monotonic()
    pg.stop()
    pg.stop()  # and twice is harmless
    assert time.monotonic() - started < 2


def test_a_taken_https_port_leaves_no_http_port_open(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        free = probe.getsockname()[1]
    with (
        socket.create_server(("127.0.0.1", 0)) as taken,
        pytest.raises(OSError, match="in use"),
    ):
        Playground(
            http_port=free, https_port=taken.getsockname()[1], state_dir=tmp_path
        )
    # The HTTP server was made, then closed again: its port is free.
    socket.create_server(("127.0.0.1", free)).close()


def test_sigterm_while_command_starts_is_passed_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    handlers: dict[int, Callable[[int, Any], None]] = {}
    sent: list[int] = []

    class FakePlayground:
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            pass

        def __enter__(self) -> FakePlayground:
            return self

        def __exit__(self, *exc: object) -> None:
            pass

        def child_env(self) -> dict[str, str]:
            return {}

    class Starting:
        """A child process during whose start SIGTERM arrives."""

        def __init__(self, argv: list[str], env: dict[str, str]) -> None:
            handlers[signal.SIGTERM](signal.SIGTERM, None)

        def send_signal(self, signum: int) -> None:
            sent.append(signum)

        def wait(self) -> int:
            return -signal.SIGTERM

    monkeypatch.setattr(
        playground_main.signal, "signal", lambda n, f: handlers.__setitem__(n, f)
    )
    monkeypatch.setattr(playground.services, "Playground", FakePlayground)
    monkeypatch.setattr(playground_main.subprocess, "Popen", Starting)
    assert playground_main.main(["run", "--", "sleep", "60"]) == 128 + signal.SIGTERM
    assert sent == [signal.SIGTERM]
