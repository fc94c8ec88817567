"""Run a server listing in the background, as a reader runs one in another
terminal: wait for its first line, talk to it, stop it with Ctrl-C (SIGINT)."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from tests.conftest import LISTINGS, ROOT, listing_env


@dataclass
class Server:
    process: subprocess.Popen[str]
    port: int
    first_line: str
    stdout: str = ""
    stderr: str = ""
    returncode: int | None = None
    lines: list[str] = field(default_factory=list)
    seen: list[str] = field(default_factory=list)

    def next_line(self) -> str:
        """Wait for the server's next line of output, and return it."""
        assert self.process.stdout is not None
        line = self.process.stdout.readline().rstrip("\n")
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
    process = subprocess.Popen(
        [sys.executable, str(LISTINGS / name), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        env=listing_env(),
        cwd=ROOT,
    )
    assert process.stdout is not None
    first = process.stdout.readline()
    found = re.search(port, first)
    if not found:
        out, err = process.communicate(timeout=timeout)
        raise AssertionError(f"{name} did not start: {first}{out}{err}")
    server = Server(process, int(found[1]), first.rstrip("\n"))
    try:
        yield server
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
        try:
            out, err = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            out, err = process.communicate()
        server.stdout, server.stderr = out, err
        server.returncode = process.returncode
        server.lines = [server.first_line, *server.seen, *out.splitlines()]
