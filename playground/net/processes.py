"""The services in the namespaces: each service of the registry
(:mod:`playground.services`) started on its playground host, on its
declared ports, with a certificate from the state folder's CA; waiting
until each is ready; the state file that records them; and stopping every
process inside the playground's namespaces.

A ``serve`` service runs as ``python -m playground.services NAME ...``, a
``command`` service as the program its declaration names; either way
through ``ip netns exec``, so its process id is the one recorded. Each
one's output goes to ``STATE/net-PREFIX/logs/NAME.log``.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from playground import tls
from playground.net import topology
from playground.net.system import NetError, make_dirs
from playground.services import readiness
from playground.services.spec import Context, Service

ROOT = Path(__file__).resolve().parent.parent.parent
READY_TIMEOUT = 30.0
#: What ``python -m playground.services NAME`` prints once it serves.
SERVING = "playground.services {}: listening"
STOP_TIMEOUT = 2.0


@dataclass
class Process:
    """A service process as the state file records it."""

    host: str
    service: str
    pid: int


@dataclass
class Started:
    """A service just started: its process, and where its output goes."""

    service: Service
    process: Process
    proc: subprocess.Popen[bytes]
    log: Path
    offset: int  # the log's length before this start

    def output(self) -> str:
        try:
            with open(self.log, "rb") as f:
                f.seek(self.offset)
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def last_words(self) -> str:
        lines = self.output().strip().splitlines()
        return lines[-1] if lines else "no message"


def context(service: Service, state: Path, run_dir: Path) -> Context:
    """Where *service* runs on its host: its declared ports and address, a
    work folder, and a certificate for its names and its host's address."""
    work = run_dir / service.name
    make_dirs(work)
    certificate = None
    if service.certificate:
        names = [*service.certificate, topology.host(service.host).address]
        pem = run_dir / f"{service.name}.pem"
        certificate = tls.issue(state, names, pem, service.name)
    return Context(
        address=service.bind or "0.0.0.0",
        ports={p.name: p.number for p in service.ports},
        state=state,
        work=work,
        certificate=certificate,
        quiet=False,
    )


def argv(service: Service, ctx: Context) -> list[str]:
    """The command line that runs *service* (inside its namespace)."""
    if service.command is not None:
        return service.command(ctx)
    line = [sys.executable, "-m", "playground.services", service.name]
    line += ["--address", ctx.address, "--state", str(ctx.state)]
    line += ["--work", str(ctx.work), "--verbose"]
    for name, number in ctx.ports.items():
        line += ["--port", f"{name}={number}"]
    if ctx.certificate is not None:
        line += ["--cert", str(ctx.certificate)]
    return line


def start(service: Service, namespace: str, state: Path, run_dir: Path) -> Started:
    """Start *service* in *namespace* (not waiting for it)."""
    ctx = context(service, state, run_dir)
    log = run_dir / "logs" / f"{service.name}.log"
    offset = log.stat().st_size if log.exists() else 0
    env = dict(os.environ)
    # Only the project on the path: never the tests' network guard.
    env["PYTHONPATH"] = str(ROOT)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            ["ip", "netns", "exec", namespace, *argv(service, ctx)],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            env=env,
            start_new_session=True,
        )
    return Started(
        service, Process(service.host, service.name, proc.pid), proc, log, offset
    )


def is_ready(started: Started) -> bool:
    """Every port of the service listens in its namespace, and its line (if
    it declares one) has appeared; for a ``serve`` service, also the line
    ``python -m playground.services`` prints once it serves."""
    service = started.service
    ports = {p.name: p.number for p in service.ports}
    output = started.output()
    if service.serve is not None and SERVING.format(service.name) not in output:
        return False
    return readiness.wanted(service, ports) <= readiness.listening(
        started.process.pid
    ) and readiness.line_seen(service, output)


def wait_ready(started: list[Started], timeout: float = READY_TIMEOUT) -> None:
    """Wait until all are ready; :class:`NetError` naming the first that
    stopped (with its last words) or those still not ready at *timeout*."""
    deadline = time.monotonic() + timeout
    waiting = list(started)
    while waiting:
        for item in list(waiting):
            if is_ready(item):
                waiting.remove(item)
            elif item.proc.poll() is not None:
                p = item.process
                raise NetError(f"{p.service} on {p.host} stopped: {item.last_words()}")
        if waiting and time.monotonic() > deadline:
            names = ", ".join(s.process.service for s in waiting)
            raise NetError(f"services not ready after {timeout:.0f} s: {names}")
        time.sleep(0.02)


# -- the state file ----------------------------------------------------------


def record(state_file: Path, prefix: str, processes: list[Process]) -> None:
    data = {
        "prefix": prefix,
        "started": time.time(),
        "processes": [asdict(p) for p in processes],
    }
    state_file.write_text(json.dumps(data, indent=1) + "\n")


def recorded(state_file: Path) -> list[Process]:
    """The processes the state file lists (none if it is missing or damaged)."""
    try:
        data = json.loads(state_file.read_text())
        return [Process(**p) for p in data.get("processes", [])]
    except (OSError, ValueError, TypeError):
        return []


# -- processes by namespace --------------------------------------------------


def alive(pid: int) -> bool:
    """Whether *pid* is running (a zombie is not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def in_namespace(pid: int, inode: int | None) -> bool:
    """Whether *pid* runs and its network namespace has this inode."""
    try:
        return inode is not None and os.stat(f"/proc/{pid}/ns/net").st_ino == inode
    except OSError:
        return False


def pids_in(inodes: set[int]) -> Iterator[int]:
    """The processes whose network namespace has one of these inode numbers."""
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if os.stat(f"/proc/{entry.name}/ns/net").st_ino in inodes:
                    yield int(entry.name)
            except OSError:
                continue


def stop(pids: set[int], timeout: float = STOP_TIMEOUT) -> None:
    """SIGTERM, then (after *timeout*) SIGKILL for whatever still runs."""
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while pids and time.monotonic() < deadline:
        pids = {pid for pid in pids if alive(pid)}
        time.sleep(0.01)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
