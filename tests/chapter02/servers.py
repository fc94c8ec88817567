"""Run a server listing in the background, as a reader runs one in another
terminal: wait for its first line, talk to it, stop it with Ctrl-C (SIGINT).

A thin layer over the process harness (tools/harness.py), which waits,
captures and stops, and fails naming the server when anything hangs."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from tests.conftest import LISTINGS, ROOT, listing_env
from tools.harness import Harness, HarnessError, Process, Ready


@dataclass
class Server:
    handle: Process  # the harness's record of it
    port: int
    first_line: str
    stdout: str = ""
    stderr: str = ""
    returncode: int | None = None
    lines: list[str] = field(default_factory=list)
    seen: list[str] = field(default_factory=list)
    read: int = 0  # characters of its output consumed so far
    timeout: float = 30

    @property
    def process(self) -> subprocess.Popen[bytes]:
        """The running process (``pid``, ``wait()``...)."""
        assert self.handle.popen is not None
        return self.handle.popen

    def next_line(self) -> str:
        """Wait for the server's next line of output, and return it."""
        found = self.handle.wait_for(r"^.*\n", self.timeout, start=self.read)
        self.read = found.end()
        line = found[0].rstrip("\n")
        self.seen.append(line)
        return line


@contextmanager
def running(
    name: str, *args: str, port: str = r" port (\d+)", timeout: float = 30
) -> Iterator[Server]:
    """Start ``listings/NAME`` with ARGS; yield once its first line names its
    port (the first match of the pattern PORT).

    On leaving, the server gets SIGINT and its whole output is collected into
    the Server (stdout, stderr, returncode, lines)."""
    argv = [sys.executable, str(LISTINGS / name), *args]
    with Harness(cwd=ROOT, env=listing_env(), stop_bounds=(timeout, 5, 5)) as harness:
        try:
            process = harness.start(
                name, argv, ready=Ready(line=r"\n", timeout=timeout), stderr="apart"
            )
        except HarnessError as exc:
            raise AssertionError(f"{name} did not start: {exc}") from None
        first = process.output.split("\n", 1)[0]
        found = re.search(port, first)
        if not found:
            harness.stop(process)
            raise AssertionError(
                f"{name} did not start: {process.output}{process.errors}"
            )
        server = Server(process, int(found[1]), first, read=len(first) + 1)
        server.timeout = timeout
        try:
            yield server
        finally:
            harness.stop(process)
            server.stdout = process.output[server.read :]
            server.stderr = process.errors
            server.returncode = process.status
            server.lines = [first, *server.seen, *server.stdout.splitlines()]
