"""The process harness: servers in the background, commands in the foreground.

One harness serves the session tool (a session's servers and clients) and
the tests (a server a test talks to)::

    with Harness(cwd=work, env=env) as harness:
        server = harness.start("server", ["python3", "udp.py", "server"],
                               ready=Ready(line="Listening at"))
        done = harness.run(["python3", "udp.py", "client"], timeout=10)
    server.output        # what the server printed, up to its ^C

A process runs on this machine, or on a host of the network playground
(``host="www"``: its command line becomes ``python -m playground.net exec
www -- ...``, which replaces itself with the command inside the host's
namespace, so the process the harness holds is the command itself).
Standard output and standard error share one pipe, as on a terminal; a
thread reads it as it comes, so a line can be awaited.

Readiness (:class:`Ready`) is a line on the output (a regular expression:
the form that fits every server) or a port that listens: a socket bound to
that port (listening, for TCP) in the process's own network namespace, as
``/proc/PID/net/`` shows it, so that no probe connection reaches the server
and shows in its output. (Without ``/proc``, not on Linux, a TCP port is
probed with a connection on loopback.)

Stopping is what a reader does, then less politely: SIGINT (Ctrl-C), then
SIGTERM, then SIGKILL, each given :data:`STOP_BOUNDS` seconds. Everything
that hangs past its limit (not ready, a foreground command still running, a
server that ignores Ctrl-C) and every server that ends before it is stopped
raises :class:`HarnessError`, whose message names the process and quotes
the last lines it printed.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, Protocol

#: Seconds a process gets after SIGINT, then after SIGTERM, then after SIGKILL.
STOP_BOUNDS = (5.0, 3.0, 3.0)
#: How many of a process's last lines a failure quotes.
LAST_LINES = 8
#: How often waiting loops look again, in seconds.
POLL = 0.02
#: How the reader runs a command on a host of the network playground.
NET_EXEC = ("-m", "playground.net", "exec")


class HarnessError(RuntimeError):
    """A process did not start, get ready, finish or stop within its limit,
    or ended too early; the message says which and what it last printed.
    *process* is the foreground process concerned, if any (its output so
    far is in it)."""

    def __init__(self, message: str, process: Process | None = None) -> None:
        super().__init__(message)
        self.process = process


@dataclass(frozen=True)
class Ready:
    """How a background process shows it is ready: a *line* (regular
    expression) it prints, or a *port* it listens on (``protocol`` "tcp" or
    "udp"); *timeout* seconds at most."""

    line: str = ""
    port: int = 0
    protocol: str = "tcp"
    timeout: float = 10.0

    def __post_init__(self) -> None:
        if bool(self.line) == bool(self.port):
            raise ValueError("Ready takes a line or a port, not both or neither")
        if self.protocol not in ("tcp", "udp"):
            raise ValueError("Ready's protocol is tcp or udp")

    def describe(self) -> str:
        if self.line:
            return f"a line matching {self.line!r}"
        return f"{self.protocol.upper()} port {self.port} to listen"


def net_argv(host: str, argv: Sequence[str]) -> list[str]:
    """*argv* as run on *host* of the network playground."""
    return [sys.executable, *NET_EXEC, host, "--", *argv]


@dataclass
class Process:
    """A process the harness started: its name, its output so far, its end."""

    name: str
    argv: list[str]
    host: str = ""
    popen: subprocess.Popen[bytes] | None = None
    chunks: list[bytes] = field(default_factory=list)
    #: What it wrote to standard error, when that was kept apart (``stderr =
    #: "apart"``); otherwise standard error is in ``chunks`` too.
    error_chunks: list[bytes] = field(default_factory=list)
    #: How it was stopped: "" (still running, or it ended by itself),
    #: "SIGINT", "SIGTERM" or "SIGKILL".
    stopped_by: str = ""
    #: How many bytes it had printed when the harness sent SIGINT.
    interrupted_at: int = -1
    #: Whether a HarnessError has told of its early end already.
    reported: bool = False
    _readers: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def output(self) -> str:
        """What it printed (with standard error, unless kept apart)."""
        with self._lock:
            data = b"".join(self.chunks)
        return data.decode("utf-8", "replace")

    @property
    def errors(self) -> str:
        """What it wrote to standard error, when that was kept apart."""
        with self._lock:
            data = b"".join(self.error_chunks)
        return data.decode("utf-8", "replace")

    def drain(self, bound: float = 1.0) -> None:
        """Let the reader thread take in what the process has printed so far:
        wait (at most *bound* seconds) until its pipe holds no unread byte,
        then a moment for a read in progress to land in :attr:`chunks`. (A
        server's last line, printed just before its client ends, is then
        before the Ctrl-C that follows, as on a terminal.)"""
        stream = self.popen.stdout if self.popen else None
        if stream is None:
            return
        deadline = time.monotonic() + bound
        while time.monotonic() < deadline:
            try:
                raw = fcntl.ioctl(stream.fileno(), termios.FIONREAD, b"\0" * 4)
            except (OSError, ValueError):  # closed: the reader has it all
                return
            if not struct.unpack("i", raw)[0]:
                break
            time.sleep(POLL)
        time.sleep(POLL)

    def split_at_interrupt(self) -> tuple[str, str]:
        """What it printed before Ctrl-C, and after (all of it before, if it
        had no Ctrl-C)."""
        with self._lock:
            data = b"".join(self.chunks)
        at = len(data) if self.interrupted_at < 0 else self.interrupted_at
        if 0 < at < len(data) and data[at - 1 : at] != b"\n":
            # Ctrl-C came in the middle of a line (print() writes the text
            # and its newline apart when unbuffered): it shows after the line.
            end = data.find(b"\n", at)
            at = len(data) if end < 0 else end + 1
        return (
            data[:at].decode("utf-8", "replace"),
            data[at:].decode("utf-8", "replace"),
        )

    def wait_for(self, pattern: str, timeout: float, start: int = 0) -> re.Match[str]:
        """The first match of *pattern* (multi-line mode) in its output from
        character *start* on, waiting at most *timeout* seconds for it; a
        :class:`HarnessError` naming it if it ends or the time is up first."""
        regex = re.compile(pattern, re.MULTILINE)
        deadline = time.monotonic() + timeout
        while True:
            running = self.running
            found = regex.search(self.output, start)
            if found:
                return found
            if not running:
                self.wait_output(1.0)
                found = regex.search(self.output, start)
                if found:
                    return found
                raise HarnessError(
                    f"{self.name} ended (status {self.status}) before printing"
                    f" {pattern!r}; {self.story()}"
                )
            if time.monotonic() >= deadline:
                raise HarnessError(
                    f"{self.name} did not print {pattern!r} within {timeout:g} s;"
                    f" {self.story()}"
                )
            time.sleep(POLL)

    @property
    def status(self) -> int | None:
        """The exit status (negative: the signal that ended it), or None."""
        return None if self.popen is None else self.popen.poll()

    @property
    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def where(self) -> str:
        return f" on {self.host}" if self.host else ""

    def last_lines(self) -> str:
        lines = (self.output + self.errors).splitlines()[-LAST_LINES:]
        if not lines:
            return "    (nothing)"
        return "\n".join(f"    {line}" for line in lines)

    def story(self) -> str:
        """One line naming the process, then what it last printed."""
        command = " ".join(self.argv)
        return f"{self.name}{self.where()} (`{command}`) last printed:\n" + (
            self.last_lines()
        )

    def _read(self, pipe: IO[bytes], into: list[bytes]) -> None:
        # os.read returns what is there (up to 64 KiB) as soon as it is there.
        descriptor = pipe.fileno()
        while chunk := os.read(descriptor, 65536):
            with self._lock:
                into.append(chunk)

    def _follow(self) -> None:
        """Start the threads that read its pipes."""
        assert self.popen is not None and self.popen.stdout is not None
        pipes = [(self.popen.stdout, self.chunks)]
        if self.popen.stderr is not None:
            pipes.append((self.popen.stderr, self.error_chunks))
        for pipe, into in pipes:
            reader = threading.Thread(target=self._read, args=(pipe, into), daemon=True)
            reader.start()
            self._readers.append(reader)

    def wait_output(self, timeout: float) -> None:
        """Wait (at most *timeout* s) until everything it printed is read;
        then close the pipes."""
        deadline = time.monotonic() + timeout
        for reader in self._readers:
            reader.join(max(0.0, deadline - time.monotonic()))
        if self.popen and not any(r.is_alive() for r in self._readers):
            for pipe in (self.popen.stdout, self.popen.stderr):
                if pipe is not None:
                    pipe.close()


class _Server(Protocol):
    def serve_forever(self, poll_interval: float = ...) -> None: ...
    def shutdown(self) -> None: ...
    def server_close(self) -> None: ...


@contextlib.contextmanager
def serving(server: _Server) -> Iterator[None]:
    """Serve a ``socketserver``-style *server* in a thread of this process
    for the ``with`` block; shut it down, close it and join the thread after."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


class Harness:
    """Starts, watches and stops processes; see the module's doc."""

    def __init__(
        self,
        *,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
        stop_bounds: tuple[float, float, float] = STOP_BOUNDS,
    ) -> None:
        self.cwd = cwd
        self.env = dict(env) if env is not None else None
        self.stop_bounds = stop_bounds
        self.background: list[Process] = []

    def __enter__(self) -> Harness:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop_all(check=False)

    # -- starting -----------------------------------------------------------

    def _spawn(self, name: str, argv: Sequence[str], host: str, stderr: str) -> Process:
        if stderr not in ("merged", "apart"):
            raise ValueError("stderr is 'merged' (as on a terminal) or 'apart'")
        process = Process(name, list(argv), host)
        real = net_argv(host, argv) if host else list(argv)
        try:
            process.popen = subprocess.Popen(
                real,
                cwd=self.cwd,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT if stderr == "merged" else subprocess.PIPE,
            )
        except OSError as exc:
            raise HarnessError(
                f"{name}{process.where()}: cannot run `{' '.join(argv)}`:"
                f" {exc.strerror}"
            ) from None
        process._follow()
        return process

    def start(
        self,
        name: str,
        argv: Sequence[str],
        *,
        host: str = "",
        ready: Ready | None = None,
        stderr: str = "merged",
    ) -> Process:
        """Start *argv* in the background (on *host*), and wait until it is
        *ready*; a :class:`HarnessError` if it ends or is not ready in time.
        Its standard error is *stderr*: "merged" into its output, as on a
        terminal, or kept "apart" (:attr:`Process.errors`)."""
        process = self._spawn(name, argv, host, stderr)
        self.background.append(process)
        if ready is None:
            return process
        deadline = time.monotonic() + ready.timeout
        pattern = re.compile(ready.line, re.MULTILINE) if ready.line else None
        while True:
            if pattern is not None and pattern.search(process.output):
                return process
            if pattern is None and self._listening(process, ready):
                return process
            if not process.running:
                process.wait_output(1.0)
                if pattern is not None and pattern.search(process.output):
                    return process
                process.reported = True
                raise HarnessError(
                    f"{name} ended (status {process.status}) before it was ready"
                    f" (waiting for {ready.describe()}); {process.story()}"
                )
            if time.monotonic() >= deadline:
                raise HarnessError(
                    f"{name} was not ready after {ready.timeout:g} s (waiting for"
                    f" {ready.describe()}); {process.story()}"
                )
            time.sleep(POLL)

    @staticmethod
    def _listening(process: Process, ready: Ready) -> bool:
        """Whether *process* listens on the port: as ``/proc/PID/net/`` shows
        it, which makes no connection a server would see (and print); where
        there is no ``/proc`` (not Linux), a TCP connection on loopback."""
        assert process.popen is not None
        if Path(f"/proc/{process.popen.pid}/net").is_dir() or process.host:
            return bound(process.popen.pid, ready.port, ready.protocol)
        with socket.socket() as probe:
            probe.settimeout(1.0)
            return probe.connect_ex(("127.0.0.1", ready.port)) == 0

    # -- the foreground -------------------------------------------------------

    def run(
        self,
        argv: Sequence[str],
        *,
        name: str = "",
        host: str = "",
        timeout: float = 30.0,
        stderr: str = "merged",
    ) -> Process:
        """Run *argv* (on *host*) to its end, within *timeout* seconds, while
        the background processes keep running; the finished process. A
        :class:`HarnessError` when it is still running at the limit (then it
        is stopped), or when a background process ends meanwhile."""
        label = name or " ".join(argv)
        process = self._spawn(label, argv, host, stderr)
        deadline = time.monotonic() + timeout
        try:
            while process.running:
                for server in self.background:
                    if not server.running and not server.stopped_by:
                        server.wait_output(1.0)
                        server.reported = True
                        raise HarnessError(
                            f"{server.name} ended (status {server.status}) while"
                            f" `{label}` ran; {server.story()}",
                            process,
                        )
                if time.monotonic() >= deadline:
                    raise HarnessError(
                        f"`{label}`{process.where()} was still running after"
                        f" {timeout:g} s; {process.story()}"
                        + "".join(f"\n{s.story()}" for s in self.background),
                        process,
                    )
                time.sleep(POLL)
        finally:
            if process.running:
                self.stop(process)
            process.wait_output(5.0)
        return process

    # -- stopping -------------------------------------------------------------

    def stop(self, process: Process) -> None:
        """SIGINT, then SIGTERM, then SIGKILL, each with its bound; a
        :class:`HarnessError` if even SIGKILL leaves it running."""
        popen = process.popen
        if popen is None:
            return
        if popen.poll() is not None:
            process.wait_output(1.0)
            return
        for signum, bound_ in zip(
            (signal.SIGINT, signal.SIGTERM, signal.SIGKILL),
            self.stop_bounds,
            strict=True,
        ):
            if signum == signal.SIGINT:
                process.drain()
                with process._lock:
                    process.interrupted_at = sum(map(len, process.chunks))
            with contextlib.suppress(ProcessLookupError):
                popen.send_signal(signum)
            process.stopped_by = signum.name
            try:
                popen.wait(bound_)
            except subprocess.TimeoutExpired:
                continue
            process.wait_output(1.0)
            return
        raise HarnessError(f"{process.name} survived SIGKILL; {process.story()}")

    def stop_all(self, *, check: bool = True) -> list[str]:
        """Stop every background process, the last started first. With
        *check*, the problems: each that had ended by itself before, and each
        that needed more than Ctrl-C."""
        problems = []
        for process in reversed(self.background):
            ended_early = not (
                process.running or process.stopped_by or process.reported
            )
            self.stop(process)
            if ended_early:
                problems.append(
                    f"{process.name} ended (status {process.status}) before it"
                    f" was stopped; {process.story()}"
                )
            elif process.stopped_by not in ("", "SIGINT"):
                problems.append(
                    f"{process.name} did not stop on Ctrl-C (SIGINT) within"
                    f" {self.stop_bounds[0]:g} s: it needed {process.stopped_by};"
                    f" {process.story()}"
                )
        if problems and check:
            raise HarnessError("\n".join(problems))
        return problems


# Socket states in /proc/net/tcp and udp: 0A is LISTEN; a bound UDP socket
# that is not connected is 07 (the kernel's TCP_CLOSE).
_STATES = {"tcp": "0A", "udp": "07"}


def bound(pid: int, port: int, protocol: str = "tcp") -> bool:
    """Whether a socket in the network namespace of process *pid* listens
    on (TCP) or is bound to (UDP) *port*, as ``/proc/PID/net/`` shows it."""
    want = f"{port:04X}"
    for family in ("", "6"):
        table = Path(f"/proc/{pid}/net/{protocol}{family}")
        try:
            rows = table.read_text(encoding="ascii").splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            if (
                len(fields) > 3
                and fields[1].rsplit(":", 1)[1] == want
                and fields[3] == _STATES[protocol]
            ):
                return True
    return False


def free_port(protocol: str = "tcp") -> int:
    """A port nothing on loopback uses at this moment (the kernel's pick)."""
    kind = socket.SOCK_STREAM if protocol == "tcp" else socket.SOCK_DGRAM
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
