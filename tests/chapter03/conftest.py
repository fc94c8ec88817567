"""Chapter 3's servers, run as a reader runs them: a separate process on a
free loopback port, stopped with Ctrl-C (SIGINT) at the end of the test."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest

from tests.conftest import LISTINGS, ROOT, listing_env


@dataclass
class Server:
    """A listing's server subcommand, running."""

    proc: subprocess.Popen[str]
    host: str
    port: int
    log: list[str] = field(default_factory=list)

    def stop(self) -> list[str]:
        """Ctrl-C it; check it stopped quietly; return every line it printed."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        out, err = self.proc.communicate(timeout=30)
        assert err == "", err  # no traceback, no warning
        assert self.proc.returncode == 0
        self.log = out.splitlines()
        assert self.log[-1] == "server stopped"
        return self.log[:-1]


@pytest.fixture
def start_server() -> Iterator[Callable[..., Server]]:
    """``start_server("chapter03/hexserver.py", "--timeout", "1")`` starts the
    listing (a server) on a free port of 127.0.0.1 (or ``--host``) and returns
    it once it listens; it is stopped at the end of the test if still running."""
    started: list[Server] = []

    def start(name: str, *args: str) -> Server:
        host = args[args.index("--host") + 1] if "--host" in args else "127.0.0.1"
        argv = [sys.executable, str(LISTINGS / name), "--port", "0", *args]
        proc = subprocess.Popen(
            argv,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            env=listing_env(),
            cwd=ROOT,
        )
        assert proc.stdout
        first = proc.stdout.readline()
        found = re.fullmatch(r"listening at (\S+):(\d+)\n", first)
        assert found, first + proc.stderr.read() if proc.stderr else first
        server = Server(proc, host, int(found[2]))
        started.append(server)
        return server

    yield start
    for server in started:
        if server.proc.poll() is None:
            server.proc.send_signal(signal.SIGINT)
            server.proc.communicate(timeout=30)


@pytest.fixture
def full_backlog() -> Iterator[int]:
    """A loopback port whose listener's queue is full: the kernel drops new
    SYNs there, as a firewall would, so a connect() times out."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)  # room for one connection that nobody accepts
        port = listener.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            yield port
