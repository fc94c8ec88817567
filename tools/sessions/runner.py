"""Running sessions: a playground on free ports, a scratch checkout per
session, and (for sessions with a ``host``) a network playground of the
run's own.

Each session runs at the root of a scratch "checkout" holding a copy of
``listings/CHAPTER``, so its commands are written as the reader types them
at the repository's root (``python3 listings/chapter01/search1.py``) and a
listing that writes a file leaves the real checkout clean. ``python3`` (or
``python``) at the start of a command runs this project's Python. The
environment is :func:`tools.childenv.fixed`, with ``GEOCODER_URL`` and the
playground's certificate authority for ``services = "geocoder"``, and the
changes of :func:`tools.childenv.on_network` for host sessions.

The reader's set-up these transcripts show: ``python -m playground`` in
another terminal (the geocoder on http://127.0.0.1:8080 and
https://127.0.0.1:8443), ``GEOCODER_URL=https://127.0.0.1:8443`` and the
playground's authority trusted, as ``python -m playground run -- COMMAND``
sets up. Here the playground runs on free ports instead, and the ports are
translated both ways: commands are written with 8080 and 8443 and run with
the real ones (:meth:`Runner.real_argv`), and the output shows the
reader's ports again (the ``ports`` rule of :mod:`tools.sessions.normalise`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
import shlex
import shutil
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from playground.net import build as net_build
from playground.net import topology
from playground.services import Playground
from tools import captures, childenv, paths
from tools.harness import Harness, HarnessError, Process, Ready, free_port
from tools.sessions import network
from tools.sessions.manifest import Server, Session
from tools.sessions.normalise import (
    DISPLAY_CLIENT_PORT,
    DISPLAY_HTTP_PORT,
    DISPLAY_HTTPS_PORT,
    address_ports,
    normalise,
)

# A loopback URL authority with one of the reader's ports, in a command line.
_DISPLAY_AUTHORITY = re.compile(
    rf"((?:localhost|127\.0\.0\.1|\[::1\]):)({DISPLAY_HTTP_PORT}|{DISPLAY_HTTPS_PORT})(?!\d)"
)


@dataclass
class Result:
    """What running one session produced."""

    session: Session
    transcript: str = ""
    wire: str | None = None
    servers: dict[Path, str] = field(default_factory=dict)  # shown = "file"
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0
    skipped: str = ""  # why the session could not run here (files untouched)
    #: The capture's files by suffix ("h1-eth0.txt"; see tools.captures).
    captures: dict[str, bytes] = field(default_factory=dict)

    def capture_path(self, suffix: str) -> Path:
        stem = paths.TRANSCRIPTS / self.session.chapter / self.session.id
        return stem.with_name(f"{stem.name}.{suffix}")

    def outputs(self) -> dict[Path, str]:
        """The text each of the session's compared files should hold (the
        capture's dissections and ladder sources among them)."""
        out = {self.session.path: self.transcript}
        if self.session.wire_path is not None:
            out[self.session.wire_path] = self.wire or ""
        for server in self.session.servers:
            if server.shown == "file":
                path = self.session.server_path(server)
                out[path] = self.servers.get(path, "")
        for suffix, data in self.captures.items():
            if not suffix.endswith(captures.AS_MADE):
                out[self.capture_path(suffix)] = data.decode("utf-8")
        return out

    def as_made(self) -> dict[Path, bytes]:
        """The pcaps and drawings to write along with the texts: those of
        each capture point whose texts changed, and any that are missing
        (the rest differ from the committed ones in time stamps only)."""

        def committed(suffix: str) -> bytes | None:
            path = self.capture_path(suffix)
            return path.read_bytes() if path.exists() else None

        changed = captures.changed_files(self.captures, committed)
        return {
            self.capture_path(k): v
            for k, v in changed.items()
            if k.endswith(captures.AS_MADE)
        }


def indent(text: str) -> str:
    return "".join(f"    {line}\n" for line in text.splitlines()) or "    (nothing)\n"


class Runner:
    """Runs sessions against one playground, started here on free ports,
    with its own certificate authority in a scratch folder; and, for the
    sessions with a ``host``, on a network playground of its own, brought up
    when the first of them runs and taken down on exit."""

    def __init__(self) -> None:
        self._scratch = tempfile.TemporaryDirectory(prefix="transcripts-")
        self.scratch = Path(self._scratch.name)
        self.playground = Playground(
            state_dir=self.scratch / "playground", client_timeout=10.0
        )
        self.network: net_build.Network | None = None
        self._network_problem = ""
        # Why the network playground cannot run here: "" when it can, None
        # until first asked (then the machine is checked once).
        self.network_support: str | None = None

    def __enter__(self) -> Runner:
        self.playground.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            if self.network is not None:
                self.network.down()
        finally:
            self.playground.stop()
            self._scratch.cleanup()

    # -- the network playground ------------------------------------------

    def unavailable(self, session: Session) -> str:
        """Why *session* cannot run on this machine ("" when it can)."""
        if not session.on_network:
            return ""
        if self.network_support is None:
            self.network_support = network.support()
        if self.network_support:
            return self.network_support
        path = self._network_env()["PATH"]
        if session.capture is not None:
            missing = captures.missing_tools(session.capture)
            if missing:
                return missing
        for command in session.commands:
            program = (shlex.split(command) or [""])[0]
            if shutil.which(program, path=path) is None:
                return f"{program} is not installed (make system-deps installs it)"
        return ""

    def _network_env(self) -> dict[str, str]:
        return childenv.on_network(network.net_prefix(), self.scratch / "net")

    def _network_ready(self, session: Session) -> str:
        """Bring the network up (once) and flush every host's route cache,
        as on a fresh network, so that a path MTU learnt by an earlier
        session (by a server too) changes nothing; a problem to report, or ""."""
        if self.network is None:
            self.network = net_build.Network(network.net_prefix(), self.scratch / "net")
            try:
                network.clear_abandoned_networks()
                self.network.up()
            except net_build.NetError as exc:
                self._network_problem = f"the network playground did not come up: {exc}"
        if self._network_problem:
            return self._network_problem
        try:
            for host in topology.HOSTS:
                ns = self.network.ns(host.name)
                net_build.run(["ip", "-n", ns, "route", "flush", "cache"])
        except net_build.NetError as exc:
            return str(exc)
        return ""

    # -- one session -------------------------------------------------------

    def server_ports(self) -> dict[int, int]:
        http, https = (int(s.server_address[1]) for s in self.playground.servers)
        return {http: DISPLAY_HTTP_PORT, https: DISPLAY_HTTPS_PORT}

    def real_argv(
        self, command: str, chosen: Mapping[int, int] | None = None, on_host: str = ""
    ) -> list[str]:
        """The command line to run for what the reader types: the reader's
        ports become the real ones (the playground's in loopback URLs, and
        the session's *chosen* free ports, real: shown, wherever they stand
        as a number of their own), and ``python3`` this project's Python.
        On a host of the network playground (*on_host*) nothing changes:
        ``python3`` there is found on ``PATH``, the virtual environment's."""
        argv = shlex.split(command)
        if on_host:
            return argv
        real = {shown: str(port) for port, shown in self.server_ports().items()}
        argv = [
            _DISPLAY_AUTHORITY.sub(lambda m: m.group(1) + real[int(m.group(2))], arg)
            for arg in argv
        ]
        for port, shown in (chosen or {}).items():
            mine = re.compile(rf"(?<![\w.-]){shown}(?![\w.])")
            argv = [mine.sub(str(port), arg) for arg in argv]
        if argv and argv[0] in ("python", "python3"):
            argv[0] = sys.executable
        return argv

    def checkout(self, session: Session) -> Path:
        """A scratch folder standing for the repository's root: the chapter's
        listings in ``listings/CHAPTER``, and an empty ``home``."""
        work = Path(tempfile.mkdtemp(prefix=f"{session.id}-", dir=self.scratch))
        source = paths.LISTINGS / session.chapter
        if source.is_dir():
            shutil.copytree(
                source,
                work / "listings" / session.chapter,
                ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
            )
        (work / "home").mkdir()
        return work

    def run(self, session: Session) -> Result:
        """Run *session*: its servers (in the background, until ready), its
        commands, then Ctrl-C to each server; what it printed, normalised."""
        result = Result(session)
        result.skipped = self.unavailable(session)
        if result.skipped:
            return result
        started = time.monotonic()
        work = self.checkout(session)
        log = work / "netguard.txt"
        extra = dict(session.env)
        if session.services == "geocoder":
            extra["GEOCODER_URL"] = self.playground.https_url
            if session.trust_ca:
                extra["SSL_CERT_FILE"] = extra["REQUESTS_CA_BUNDLE"] = str(
                    self.playground.ca_file
                )
        env = childenv.fixed(work / "home", log, extra)
        if session.on_network:
            env.update(self._network_env())
            problem = self._network_ready(session)
            if problem:
                result.problems.append(problem)
                return result
        self.playground.recorder.clear()
        # The reader's ports (``ports = [...]``) are free ones here.
        chosen = {free_port(): shown for shown in session.ports}
        pieces: list[str] = []
        servers: dict[Server, str] = {}
        try:
            with self._capturing(session, work / "captures") as pcaps:
                pieces, servers = self._processes(session, work, env, chosen, result)
            if pcaps:
                result.captures = captures.outputs(
                    pcaps,
                    work / "captures",
                    session.id,
                    session.capture.digits if session.capture else 0,
                )
        except captures.CaptureError as exc:
            result.problems.append(f"capture: {exc}")
        exchanges = self.playground.recorder.exchanges()
        # The loopback playground's ports mean nothing on the network one.
        ports = {} if session.on_network else self.server_ports()
        ports.update(chosen)
        for number, exchange in enumerate(exchanges):
            ports.setdefault(exchange.port, DISPLAY_CLIENT_PORT + number)
        if "address-port" in session.normalise:
            ports = address_ports(["".join(pieces), *servers.values()], ports)
        rules, defined = session.normalise, session.rules()
        after = [text for server, text in servers.items() if server.shown == "after"]
        result.transcript = normalise("".join(pieces + after), ports, rules, defined)
        for server, text in servers.items():
            if server.shown == "file":
                path = session.server_path(server)
                result.servers[path] = normalise(text, ports, rules, defined)
        if session.wire:
            heads = [
                normalise(e.text(), ports, rules, defined).rstrip("\n") + "\n"
                for e in exchanges
            ]
            result.wire = "\n".join(heads)
            if not exchanges:
                result.problems.append(
                    "wire = true, but the playground received no request"
                )
        if log.exists() and log.read_text(encoding="utf-8").strip():
            result.problems.append(
                "tried to reach beyond loopback:\n"
                + indent(log.read_text(encoding="utf-8"))
            )
        for text in result.outputs().values():
            for place in (str(self.scratch), str(paths.ROOT)):
                if place in text:
                    result.problems.append(
                        f"the output contains the path {place},"
                        " which differs on every machine"
                    )
        result.seconds = time.monotonic() - started
        return result

    def _capturing(
        self, session: Session, folder: Path
    ) -> contextlib.AbstractContextManager[dict[captures.Point, Path]]:
        """Packet captures at the session's capture points while the block
        runs (tcpdump in their namespaces; see tools.captures), or none."""
        if session.capture is None or self.network is None:
            return contextlib.nullcontext({})
        spec = session.capture
        return captures.capturing(
            self.network.prefix, spec.points, folder, spec.capture_filter
        )

    def _processes(
        self,
        session: Session,
        work: Path,
        env: dict[str, str],
        chosen: dict[int, int],
        result: Result,
    ) -> tuple[list[str], dict[Server, str]]:
        """Run the session's processes in one harness: each command's prompt
        line and output, and each server's terminal (prompt line, output, and
        the ``^C`` that stopped it). Problems go into *result*."""
        pieces: list[str] = []
        started: dict[Server, Process] = {}
        hosts = session.hosts or ("",) * len(session.commands)
        with Harness(cwd=work, env=env) as harness:
            ready = True
            for server in session.servers:
                try:
                    started[server] = harness.start(
                        server.name,
                        self.real_argv(server.command, chosen, on_host=server.host),
                        host=server.host,
                        ready=_real_ready(server.ready, chosen),
                    )
                except HarnessError as exc:
                    result.problems.append(str(exc))
                    last = harness.background[-1:]
                    if last and last[0].name == server.name:  # it ran: show it
                        started[server] = last[0]
                    ready = False
                    break  # its clients would only hang
            commands = zip(
                session.commands,
                session.prompts(),
                hosts,
                session.statuses,
                strict=True,
            )
            for number, (command, prompt, host, expected) in enumerate(commands):
                if not ready:
                    break
                for server, process in started.items():
                    if number and server.until == number:  # time is up: Ctrl-C
                        harness.stop(process)
                try:
                    done = harness.run(
                        self.real_argv(command, chosen, on_host=host),
                        name=prompt,
                        host=host,
                        timeout=session.timeout,
                    )
                except HarnessError as exc:
                    result.problems.append(str(exc))
                    output = exc.process.output if exc.process else ""
                    pieces.append(f"{session.prompt} {prompt}\n{_ended(output)}")
                    break  # the rest would meet the same trouble
                pieces.append(f"{session.prompt} {prompt}\n{_ended(done.output)}")
                if done.status != expected:
                    result.problems.append(
                        f"`{prompt}` exited with status {done.status},"
                        f" the session file expects {expected};"
                        f" it printed:\n{indent(done.output)}"
                    )
            result.problems += harness.stop_all(check=False)
        servers: dict[Server, str] = {}
        for server, process in started.items():
            # The terminal echoes the reader's Ctrl-C as ^C, on a line of its
            # own here, before what the server printed as it stopped.
            before, after = process.split_at_interrupt()
            interrupted = "^C\n" if process.stopped_by == "SIGINT" else ""
            output = _ended(before) + interrupted + _ended(after)
            servers[server] = f"{session.prompt} {server.prompt()}\n{output}"
            if process.stopped_by == "SIGINT" and process.status != server.status:
                result.problems.append(
                    f"{server.name} exited with status {process.status} after"
                    f" Ctrl-C, the session file expects {server.status};"
                    f" it printed:\n{indent(output)}"
                )
        return pieces, servers


def _real_ready(ready: Ready, chosen: Mapping[int, int]) -> Ready:
    """*ready* with the reader's port it waits for replaced by the real one."""
    real = {shown: port for port, shown in chosen.items()}
    if ready.port in real:
        return dataclasses.replace(ready, port=real[ready.port])
    return ready


def _ended(output: str) -> str:
    """*output*, ending with a line end if it has anything (the next prompt
    starts on a line of its own)."""
    return output if not output or output.endswith("\n") else output + "\n"
