"""Regenerate and verify every console session the book shows.

    python -m tools.transcripts              run every session, write the files
    python -m tools.transcripts --check      run them, compare, write nothing
    python -m tools.transcripts ID [ID ...]  only these sessions

``make transcripts`` runs the first form; the test suite
(``tests/test_transcripts.py``) does what ``--check`` does, one test per
session, and also checks that the chapters show no console output typed by
hand.

The sessions
    ``book/transcripts/manifest.toml`` lists them: what the reader types, the
    services the commands need, the environment, the expected exit status.
    Each session becomes ``book/transcripts/CHAPTER/ID.txt``: every command
    as a prompt line ``$ COMMAND`` followed by what the terminal showed
    (standard output and standard error merged in one pipe, so they
    interleave as on a terminal). A session with ``wire = true`` also
    becomes ``book/transcripts/CHAPTER/wire-ID.txt``: the head (request line
    and headers) of each request the playground received while the session
    ran, byte for byte as it arrived, except that the CR LF ending each line
    is written as a plain line end.

The reader's set-up these transcripts show
    The reader runs ``python -m playground`` in another terminal: the
    geocoder listens on http://127.0.0.1:8080 and https://127.0.0.1:8443, and
    the reader has ``GEOCODER_URL=https://127.0.0.1:8443`` in the environment
    and trusts the playground's certificate authority (``SSL_CERT_FILE`` and
    ``REQUESTS_CA_BUNDLE``), as ``python -m playground run -- COMMAND`` sets
    up. Here the playground runs on free ports instead (so that a playground
    the author has open, or a parallel test run, is no obstacle), and the
    ports are translated both ways: commands in the manifest are written with
    the reader's ports 8080 and 8443 and run with the real ones, and the
    output shows the reader's ports again (see :func:`normalise`).

The environment (see :func:`child_env`)
    Built from nothing, not inherited: ``LC_ALL=C.UTF-8``,
    ``PYTHONIOENCODING=utf-8``, ``PYTHONUTF8=1``, ``PYTHONUNBUFFERED=1``,
    ``PYTHONNOUSERSITE=1``, ``PYTHONHASHSEED=0``, ``COLUMNS=80``,
    ``LINES=24``, ``TZ=UTC``, ``NO_COLOR=1``, ``HOME`` a fresh empty folder, and
    ``PATH`` starting with this project's virtual environment. Each session
    runs in a scratch copy of ``listings/CHAPTER`` (so a listing that writes
    a file leaves the checkout clean), and ``tests/netguard`` is first on
    ``PYTHONPATH``, exactly as in the tests: a transcript can never reach
    beyond loopback, and a session that tries fails. ``python3`` at the
    start of a command runs this project's Python (``sys.executable``).

Sessions on the network playground (``host = "h1"`` in the manifest)
    These run a command on one of the twelve hosts of ``playground.net``,
    and their prompt shows what the reader types for that, at the
    repository's root, in a root shell with the virtual environment active:
    ``$ python -m playground.net exec h1 -- python3
    listings/chapter01/getname.py www.example.com``. The command runs
    exactly so, from a scratch folder holding a copy of
    ``listings/CHAPTER``, in the fixed environment above with these
    changes: ``PATH`` also has ``/usr/sbin`` and ``/sbin``, as a root
    shell's does; ``PYTHONPATH`` is this checkout (so that ``-m
    playground.net`` imports) instead of the network guard, which allows
    only loopback while these commands must reach 192.0.2.53 and
    203.0.113.80 (their traffic cannot leave the namespaces: no link or
    route leads out, see ``tests/test_net.py``); and
    ``PLAYGROUND_NET_PREFIX`` and ``PLAYGROUND_STATE`` select a network of
    this run's own, namespaces ``powxPID-*`` (:func:`net_prefix`, PID being
    this process's id) with a certificate authority in a scratch folder, so
    that neither the reader's playground (``pow-*``), nor the tests'
    (``powt-*``), nor another run of this tool at the same time is touched.
    That network comes up before the first such session of a run and
    always comes down at the end (on an error, Ctrl-C or SIGTERM too; a
    network whose run was killed outright is taken down by the next run,
    which finds its process gone). Each such session starts with its
    hosts' route caches flushed, as on a fresh network, so that a path MTU
    learnt by an earlier session changes nothing. The sessions need root
    and Linux network namespaces (and the programs they run, such as
    ``tracepath``); where these are missing, they are skipped with the
    reason: one line from ``make transcripts``, a skip reason in the tests.
    The committed files stay as they are.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import itertools
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from playground.net import build as net_build
from playground.net import topology
from playground.services import Playground

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"
TRANSCRIPTS = BOOK / "transcripts"
MANIFEST = TRANSCRIPTS / "manifest.toml"
LISTINGS = ROOT / "listings"
GUARD = ROOT / "tests" / "netguard"
REGENERATE = "make transcripts"

#: The ports the reader's ``python -m playground`` listens on.
DISPLAY_HTTP_PORT = 8080
DISPLAY_HTTPS_PORT = 8443
#: Client ports the playground saw are shown as 50001, 50002, ... in order.
DISPLAY_CLIENT_PORT = 50001
#: What every ``Date:`` header shows.
DISPLAY_DATE = "Thu, 01 Jan 2026 12:00:00 GMT"
#: What every round-trip time that ``tracepath`` prints shows.
DISPLAY_RTT = "0.100ms"
#: The namespace prefix of the networks the host sessions run on (see
#: :func:`net_prefix`).
NET_PREFIX = "powx"
_NET_NAME = re.compile(rf"^{NET_PREFIX}(\d+)-")
#: How the reader runs a command on a host of the network playground.
NET_EXEC = "python -m playground.net exec"

SERVICES = ("none", "geocoder")
FIELDS = {
    "id",
    "commands",
    "status",
    "services",
    "trust_ca",
    "env",
    "wire",
    "timeout",
    "note",
    "host",
}
# A loopback URL authority with one of the reader's ports, in a command line.
_DISPLAY_AUTHORITY = re.compile(
    rf"((?:localhost|127\.0\.0\.1|\[::1\]):)({DISPLAY_HTTP_PORT}|{DISPLAY_HTTPS_PORT})(?!\d)"
)
_DATE_HEADER = re.compile(r"^(date:[ \t]*)\S.*$", re.IGNORECASE | re.MULTILINE)
# What /_playground/whoami answers: an IPv4 address and a port, alone on a line.
_WHOAMI_LINE = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3} (\d{1,5})$", re.MULTILINE)
# A round-trip time as tracepath prints it (``%3ld.%03ldms``), with the spaces
# before it, so that the replacement can keep the column where it was.
_RTT = re.compile(r" *(?<![\w.])\d+\.\d{3}ms(?!\w)")


class ManifestError(ValueError):
    """The manifest says something impossible (unknown field, wrong type...)."""


# -- the manifest ---------------------------------------------------------


@dataclass(frozen=True)
class Session:
    """One console session the book shows (one entry of the manifest)."""

    chapter: str
    id: str
    commands: tuple[str, ...]
    statuses: tuple[int, ...]
    services: str = "none"
    trust_ca: bool = True
    env: tuple[tuple[str, str], ...] = ()
    wire: bool = False
    timeout: float = 30.0
    note: str = ""
    hosts: tuple[str, ...] = ()  # one per command on the network playground

    @property
    def name(self) -> str:
        return f"{self.chapter}/{self.id}"

    @property
    def on_network(self) -> bool:
        """Whether the commands run on hosts of the network playground."""
        return bool(self.hosts)

    def prompts(self) -> list[str]:
        """Each command as the reader types it (the text after ``$ ``)."""
        if not self.hosts:
            return list(self.commands)
        return [
            f"{NET_EXEC} {host} -- {command}"
            for host, command in zip(self.hosts, self.commands, strict=True)
        ]

    @property
    def path(self) -> Path:
        """The transcript file."""
        return TRANSCRIPTS / self.chapter / f"{self.id}.txt"

    @property
    def wire_path(self) -> Path | None:
        """The file for the request heads, when the session has one."""
        return TRANSCRIPTS / self.chapter / f"wire-{self.id}.txt" if self.wire else None

    def files(self) -> list[Path]:
        return [self.path] + ([self.wire_path] if self.wire_path else [])


def _session(chapter: str, entry: Mapping[str, object]) -> Session:
    where = f"{chapter} entry {entry.get('id', '?')!r}"
    unknown = set(entry) - FIELDS
    if unknown:
        raise ManifestError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    ident = entry.get("id")
    if not isinstance(ident, str) or not re.fullmatch(r"[a-z0-9][a-z0-9-]*", ident):
        raise ManifestError(
            f"{where}: id must be lower-case letters, digits and dashes"
        )
    commands = entry.get("commands")
    if isinstance(commands, str):
        commands = [commands]
    if not (
        isinstance(commands, list)
        and commands
        and all(isinstance(c, str) for c in commands)
    ):
        raise ManifestError(f"{where}: commands must be a string or a list of strings")
    status = entry.get("status", 0)
    statuses = [status] * len(commands) if isinstance(status, int) else status
    if not (
        isinstance(statuses, list)
        and len(statuses) == len(commands)
        and all(isinstance(s, int) for s in statuses)
    ):
        raise ManifestError(
            f"{where}: status must be a number or one number per command"
        )
    services = entry.get("services", "none")
    if services not in SERVICES:
        raise ManifestError(f"{where}: services must be one of {', '.join(SERVICES)}")
    env = entry.get("env", {})
    if not (isinstance(env, dict) and all(isinstance(v, str) for v in env.values())):
        raise ManifestError(f"{where}: env must be a table of strings")
    host = entry.get("host", [])
    hosts = [host] * len(commands) if isinstance(host, str) else host
    names = [h.name for h in topology.HOSTS]
    if not (
        isinstance(hosts, list)
        and len(hosts) in (0, len(commands))
        and all(h in names for h in hosts)
    ):
        raise ManifestError(
            f"{where}: host must be a host of the network playground"
            f" ({' '.join(names)}), or one per command"
        )
    if hosts and (services != "none" or entry.get("wire", False)):
        raise ManifestError(
            f"{where}: a session on the network playground (host) takes"
            " neither services nor wire: www.example.com is its server"
        )
    return Session(
        chapter=chapter,
        id=ident,
        commands=tuple(commands),
        statuses=tuple(statuses),
        services=str(services),
        trust_ca=bool(entry.get("trust_ca", True)),
        env=tuple(sorted(env.items())),
        wire=bool(entry.get("wire", False)),
        timeout=float(entry.get("timeout", 30.0)),  # type: ignore[arg-type]
        note=str(entry.get("note", "")),
        hosts=tuple(hosts),
    )


def load_manifest(path: Path = MANIFEST) -> list[Session]:
    """Every session in the manifest, in order. Each top-level array of
    tables is a chapter, named like its folder under ``listings/``."""
    with path.open("rb") as f:
        data = tomllib.load(f)
    sessions: list[Session] = []
    for chapter, entries in data.items():
        if not (isinstance(entries, list) and (LISTINGS / chapter).is_dir()):
            raise ManifestError(
                f"[[{chapter}]]: not a chapter with a folder in listings/"
            )
        sessions += [_session(chapter, entry) for entry in entries]
    names = [s.name for s in sessions]
    for name in names:
        if names.count(name) > 1:
            raise ManifestError(f"{name}: two sessions with the same id")
    return sessions


# -- normalising what must vary -------------------------------------------


def normalise(text: str, ports: Mapping[int, int]) -> str:
    """What the terminal showed, with what varies from run to run made fixed.

    These rules, and only these, are applied to every transcript and wire
    capture:

    1. CR LF becomes a plain line end, as a terminal shows it;
    2. each port in *ports* (the playground's real ports, and the client
       ports it saw) becomes the port the reader would see (8080 for HTTP,
       8443 for HTTPS, 50001, 50002, ... for clients), wherever it stands
       as a number of its own (not inside a longer number, a decimal or a
       word);
    3. the value of a ``Date:`` header becomes ``DISPLAY_DATE``;
    4. (before rule 2) a line made of an IPv4 address, a space and a port,
       which is what ``/_playground/whoami`` answers, shows the next client
       port instead of its port: 50001, 50002, ... (after the client ports
       in *ports*), one per such line, so that two clients that happen to
       get the same port still make the same transcript;
    5. a round-trip time as ``tracepath`` prints it (digits, a point, three
       digits and ``ms``, as in ``0.214ms``) becomes ``DISPLAY_RTT``,
       right-aligned where the time and the spaces before it ended, so that
       the columns stay where ``tracepath`` put them (a 12.345ms has one
       space less before it than a 0.214ms).

    >>> head = 'Host: 127.0.0.1:41234\\r\\nDate: Tue, 24 Nov 2026 07:01:02 GMT\\r\\n'
    >>> normalise(head, {41234: 8443})
    'Host: 127.0.0.1:8443\\nDate: Thu, 01 Jan 2026 12:00:00 GMT\\n'
    >>> normalise('lat 41.41234, id 412345, port 41234', {41234: 8443})
    'lat 41.41234, id 412345, port 8443'
    >>> normalise('198.51.100.2 38442\\n198.51.100.6 38454\\n', {})
    '198.51.100.2 50001\\n198.51.100.6 50002\\n'
    >>> normalise(' 1:  192.168.1.1     12.035ms\\n 2:  198.51.100.5     0.113ms', {})
    ' 1:  192.168.1.1      0.100ms\\n 2:  198.51.100.5     0.100ms'
    """
    text = text.replace("\r\n", "\n")
    clients = [shown for shown in ports.values() if shown >= DISPLAY_CLIENT_PORT]
    numbers = itertools.count(max(clients, default=DISPLAY_CLIENT_PORT - 1) + 1)
    text = _WHOAMI_LINE.sub(
        lambda m: m[0][: m.start(1) - m.start(0)] + str(next(numbers)), text
    )
    for real, shown in ports.items():
        text = re.sub(rf"(?<![\w.-]){real}(?![\w.])", str(shown), text)
    text = _RTT.sub(lambda m: DISPLAY_RTT.rjust(len(m[0])), text)
    return _DATE_HEADER.sub(lambda m: m.group(1) + DISPLAY_DATE, text)


# -- running sessions -----------------------------------------------------


@dataclass
class Result:
    """What running one session produced."""

    session: Session
    transcript: str = ""
    wire: str | None = None
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0
    skipped: str = ""  # why the session could not run here (files untouched)

    def outputs(self) -> dict[Path, str]:
        """The text each of the session's files should hold."""
        out = {self.session.path: self.transcript}
        if self.session.wire_path is not None:
            out[self.session.wire_path] = self.wire or ""
        return out


def base_path() -> str:
    """``PATH`` for the commands: this project's virtual environment first."""
    bin_dir = str(Path(sys.executable).parent)
    return os.pathsep.join([bin_dir, "/usr/local/bin", "/usr/bin", "/bin"])


def child_env(
    home: Path, netguard_log: Path, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The fixed environment every command runs in (see the module's doc)."""
    env = {
        "PATH": base_path(),
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "TZ": "UTC",
        "COLUMNS": "80",
        "LINES": "24",
        "NO_COLOR": "1",
        "PYTHONIOENCODING": "utf-8",
        "PYTHONUTF8": "1",
        "PYTHONUNBUFFERED": "1",
        "PYTHONNOUSERSITE": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0",
        "PYTHONPATH": str(GUARD),
        "NETGUARD_LOG": str(netguard_log),
    }
    env.update(extra or {})
    return env


def net_prefix(pid: int | None = None) -> str:
    """The namespace prefix of the network of run *pid* (default: this one).

    >>> net_prefix(1234)
    'powx1234-'
    """
    return f"{NET_PREFIX}{os.getpid() if pid is None else pid}-"


def clear_abandoned_networks() -> list[int]:
    """Take down the networks of runs whose process is gone (killed outright,
    so that nothing took their network down); the process ids."""
    names = []
    for folder in (net_build.NETNS_RUN, net_build.NETNS_ETC):
        with contextlib.suppress(OSError):
            names += os.listdir(folder)
    pids = {int(m[1]) for n in names if (m := _NET_NAME.match(n))} - {os.getpid()}
    gone = sorted(pid for pid in pids if not net_build.alive(pid))
    for pid in gone:
        with tempfile.TemporaryDirectory() as scratch:
            net_build.Network(net_prefix(pid), Path(scratch)).down()
    return gone


def network_support() -> str:
    """Why the network playground cannot run here ("" when it can)."""
    try:
        net_build.check_support(("ip", "nft"))
    except net_build.NetError as exc:
        return str(exc)
    probe = f"{net_prefix()}probe"
    made = subprocess.run(
        ["ip", "netns", "add", probe], capture_output=True, text=True, check=False
    )
    if made.returncode != 0:
        why = (made.stderr.strip().splitlines() or ["no reason given"])[0]
        return f"ip netns add fails here: {why}"
    subprocess.run(["ip", "netns", "del", probe], capture_output=True, check=False)
    return ""


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
        self._network_support: str | None = None

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
        if self._network_support is None:
            self._network_support = network_support()
        if self._network_support:
            return self._network_support
        path = self._network_env()["PATH"]
        for command in session.commands:
            program = (shlex.split(command) or [""])[0]
            if shutil.which(program, path=path) is None:
                return f"{program} is not installed (make system-deps installs it)"
        return ""

    def _network_env(self) -> dict[str, str]:
        """What host sessions change in the fixed environment (module doc)."""
        return {
            "PATH": os.pathsep.join([base_path(), "/usr/sbin", "/sbin"]),
            "PYTHONPATH": str(ROOT),
            "PLAYGROUND_NET_PREFIX": net_prefix(),
            "PLAYGROUND_STATE": str(self.scratch / "net"),
        }

    def _network_ready(self, session: Session) -> str:
        """Bring the network up (once) and flush the session's hosts' route
        caches; a problem to report, or ""."""
        if self.network is None:
            self.network = net_build.Network(net_prefix(), self.scratch / "net")
            try:
                clear_abandoned_networks()
                self.network.up()
            except net_build.NetError as exc:
                self._network_problem = f"the network playground did not come up: {exc}"
        if self._network_problem:
            return self._network_problem
        try:
            for host in sorted(set(session.hosts)):
                ns = self.network.ns(host)
                net_build.run(["ip", "-n", ns, "route", "flush", "cache"])
        except net_build.NetError as exc:
            return str(exc)
        return ""

    def server_ports(self) -> dict[int, int]:
        http, https = (int(s.server_address[1]) for s in self.playground.servers)
        return {http: DISPLAY_HTTP_PORT, https: DISPLAY_HTTPS_PORT}

    def real_argv(self, command: str) -> list[str]:
        """The command line to run for what the reader types."""
        real = {shown: str(port) for port, shown in self.server_ports().items()}
        argv = [
            _DISPLAY_AUTHORITY.sub(lambda m: m.group(1) + real[int(m.group(2))], arg)
            for arg in shlex.split(command)
        ]
        if argv and argv[0] in ("python", "python3"):
            argv[0] = sys.executable
        return argv

    def run(self, session: Session) -> Result:
        result = Result(session)
        result.skipped = self.unavailable(session)
        if result.skipped:
            return result
        started = time.monotonic()
        work = Path(tempfile.mkdtemp(prefix=f"{session.id}-", dir=self.scratch))
        # Host sessions run at the root of a scratch "checkout"; others in
        # the chapter's folder.
        listings = work / "listings" if session.on_network else work
        cwd = work if session.on_network else work / session.chapter
        shutil.copytree(
            LISTINGS / session.chapter,
            listings / session.chapter,
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
        )
        (work / "home").mkdir()
        log = work / "netguard.txt"
        extra = dict(session.env)
        if session.services == "geocoder":
            extra["GEOCODER_URL"] = self.playground.https_url
            if session.trust_ca:
                extra["SSL_CERT_FILE"] = extra["REQUESTS_CA_BUNDLE"] = str(
                    self.playground.ca_file
                )
        env = child_env(work / "home", log, extra)
        if session.on_network:
            env.update(self._network_env())
            problem = self._network_ready(session)
            if problem:
                result.problems.append(problem)
                return result
        self.playground.recorder.clear()
        pieces: list[str] = []
        for command, expected in zip(session.prompts(), session.statuses, strict=True):
            argv = self.real_argv(command)
            output, status = self._command(argv, cwd, env, session.timeout)
            if output and not output.endswith("\n"):
                output += "\n"  # the next prompt starts on a line of its own
            pieces.append(f"$ {command}\n{output}")
            if status != expected:
                result.problems.append(
                    f"`{command}` exited with status {status},"
                    f" the manifest expects {expected};"
                    f" it printed:\n{_indent(output)}"
                )
        exchanges = self.playground.recorder.exchanges()
        # The loopback playground's ports mean nothing on the network one.
        ports = {} if session.on_network else self.server_ports()
        for number, exchange in enumerate(exchanges):
            ports.setdefault(exchange.port, DISPLAY_CLIENT_PORT + number)
        result.transcript = normalise("".join(pieces), ports)
        if session.wire:
            heads = [normalise(e.text(), ports).rstrip("\n") + "\n" for e in exchanges]
            result.wire = "\n".join(heads)
            if not exchanges:
                result.problems.append(
                    "wire = true, but the playground received no request"
                )
        if log.exists() and log.read_text(encoding="utf-8").strip():
            result.problems.append(
                "tried to reach beyond loopback:\n"
                + _indent(log.read_text(encoding="utf-8"))
            )
        for text in result.outputs().values():
            for path in (str(self.scratch), str(ROOT)):
                if path in text:
                    result.problems.append(
                        f"the output contains the path {path},"
                        " which differs on every machine"
                    )
        result.seconds = time.monotonic() - started
        return result

    def _command(
        self, argv: list[str], cwd: Path, env: dict[str, str], timeout: float
    ) -> tuple[str, int | str]:
        try:
            done = subprocess.run(
                argv,
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired as exc:
            partial = (exc.output or b"").decode("utf-8", "replace")
            return partial, f"none (still running after {timeout:g} s)"
        except OSError as exc:
            return f"cannot run: {exc.strerror}\n", "none"
        return done.stdout.decode("utf-8", "replace"), done.returncode


def _shown(path: Path) -> str:
    """*path* relative to the checkout when it is inside it."""
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def _indent(text: str) -> str:
    return "".join(f"    {line}\n" for line in text.splitlines()) or "    (nothing)\n"


# -- comparing with the committed files -----------------------------------


def differences(result: Result) -> list[str]:
    """A unified diff for each of the session's files that differs from
    what is committed (an empty list when all match)."""
    diffs = []
    for path, actual in result.outputs().items():
        expected = path.read_text(encoding="utf-8") if path.exists() else ""
        if expected != actual:
            rel = _shown(path)
            diffs.append(
                "".join(
                    difflib.unified_diff(
                        expected.splitlines(keepends=True),
                        actual.splitlines(keepends=True),
                        fromfile=f"{rel} (committed)"
                        if path.exists()
                        else f"{rel} (missing)",
                        tofile=f"{rel} (what the commands print now)",
                    )
                )
            )
    return diffs


def report(result: Result, diffs: Sequence[str] = ()) -> str:
    """A readable account of what went wrong with a session."""
    lines = [
        f"{result.session.name}: "
        + "; ".join(
            (["the session failed"] if result.problems else [])
            + (["output changed"] if diffs else [])
        )
    ]
    lines += [f"  - {problem}" for problem in result.problems]
    lines += list(diffs)
    if result.session.note:
        lines.append(f"Note: {result.session.note}")
    if diffs and not result.problems:
        lines.append(
            f"If the new output is right, regenerate the files with `{REGENERATE}`"
            " and commit them."
        )
    return "\n".join(lines)


def stale_files(sessions: Iterable[Session]) -> list[Path]:
    """Generated-looking files under book/transcripts that no session makes."""
    known = {p for s in sessions for p in s.files()}
    return sorted(p for p in TRANSCRIPTS.glob("*/*.txt") if p not in known)


# -- what the chapters may show -------------------------------------------

#: Languages whose blocks are terminal sessions or wire captures: a chapter
#: may show them only by including a generated file.
TRANSCRIPT_LANGUAGES = {
    "console",
    "shell-session",
    "sh-session",
    "shellsession",
    "terminal",
    "doscon",
    "ps1con",
    "pwsh-session",
    "powershell-session",
    "http",
}
#: Languages in which a ``$ `` prompt marks typed-in output.
SHELL_LANGUAGES = {
    "",
    "bash",
    "sh",
    "shell",
    "zsh",
    "text",
    "none",
    "output",
    "default",
}
CODE_DIRECTIVES = {"code-block", "code", "sourcecode", "code-cell"}
_FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,}|:{3,})\s*(?P<info>.*?)\s*$")
_DIRECTIVE = re.compile(r"^\{(?P<name>[\w:-]+)\}\s*(?P<arg>.*)$")


@dataclass(frozen=True)
class Block:
    """A fenced block of a chapter: a code block or a directive."""

    file: Path
    line: int
    directive: str  # "" for a plain code fence
    argument: str  # the language of a code block, or the directive's argument
    options: tuple[tuple[str, str], ...]
    body: str


def blocks(path: Path) -> list[Block]:
    """The fenced blocks of a MyST file, including those nested in
    directives such as admonitions."""
    found: list[Block] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    containers: list[tuple[str, int]] = []  # open directive fences: (char, length)
    i = 0
    while i < len(lines):
        match = _FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        fence, info = match["fence"], match["info"]
        if (
            not info
            and containers
            and containers[-1][0] == fence[0]
            and len(fence) >= containers[-1][1]
        ):
            containers.pop()
            i += 1
            continue
        directive = _DIRECTIVE.match(info)
        name = directive["name"] if directive else ""
        argument = directive["arg"] if directive else info.split()[0] if info else ""
        if name and name not in CODE_DIRECTIVES and name != "literalinclude":
            containers.append((fence[0], len(fence)))
            i += 1
            continue
        start, i = i, i + 1
        body: list[str] = []
        while i < len(lines):
            close = _FENCE.match(lines[i])
            if (
                close
                and not close["info"]
                and close["fence"][0] == fence[0]
                and len(close["fence"]) >= len(fence)
            ):
                break
            body.append(lines[i])
            i += 1
        i += 1
        options = []
        for line in body:
            option = re.match(r"^\s*:([\w-]+):\s*(.*?)\s*$", line)
            if not option:
                break
            options.append((option[1], option[2]))
        found.append(
            Block(path, start + 1, name, argument, tuple(options), "\n".join(body))
        )
    return found


def included_file(block: Block) -> Path:
    """The file a literalinclude names, as Sphinx resolves it."""
    if block.argument.startswith("/"):
        return (BOOK / block.argument.lstrip("/")).resolve()
    return (block.file.parent / block.argument).resolve()


def chapter_problems(
    chapters: Iterable[Path], sessions: Iterable[Session]
) -> list[str]:
    """Console output in the chapters that is not a generated transcript."""
    generated = {p.resolve() for s in sessions for p in s.files()}
    problems = []
    for chapter in chapters:
        for block in blocks(chapter):
            where = f"{_shown(chapter)}:{block.line}"
            options = dict(block.options)
            if block.directive == "literalinclude":
                target = included_file(block)
                language = options.get("language", "")
                is_transcript = (
                    language in TRANSCRIPT_LANGUAGES or TRANSCRIPTS in target.parents
                )
                if is_transcript and target not in generated:
                    problems.append(
                        f"{where}: includes {block.argument}"
                        f" as {language or 'a transcript'}, but no session"
                        f" in {_shown(MANIFEST)} generates that file"
                    )
                continue
            language = (
                block.argument.lower()
                if block.directive in CODE_DIRECTIVES or not block.directive
                else ""
            )
            prompts = any(line.startswith("$ ") for line in block.body.splitlines())
            if language in TRANSCRIPT_LANGUAGES or (
                language in SHELL_LANGUAGES and prompts
            ):
                problems.append(
                    f"{where}: a {language or 'plain'} block typed into the chapter;"
                    f" add the session to {_shown(MANIFEST)}, run `{REGENERATE}`"
                    " and include the generated file (commands to type go in a"
                    " ```shell block"
                    " without `$ ` prompts)"
                )
    return problems


def included_transcripts(chapters: Iterable[Path]) -> set[Path]:
    """The files under book/transcripts that the chapters include."""
    return {
        path
        for c in chapters
        for b in blocks(c)
        if b.directive == "literalinclude"
        if TRANSCRIPTS.resolve() in (path := included_file(b)).parents
    }


def unused_files(chapters: Iterable[Path], sessions: Iterable[Session]) -> list[Path]:
    """Generated files that no chapter includes."""
    included = included_transcripts(chapters)
    return [p for s in sessions for p in s.files() if p.resolve() not in included]


def chapters() -> list[Path]:
    return sorted(BOOK.rglob("*.md"))


# -- the command line -----------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.transcripts",
        description="Regenerate (or, with --check, verify) the console sessions"
        " the book shows.",
    )
    parser.add_argument(
        "ids",
        nargs="*",
        metavar="ID",
        help="only these sessions (ID or CHAPTER/ID; default: all)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="compare with the committed files and write nothing",
    )
    args = parser.parse_args(argv)
    started = time.monotonic()
    try:
        sessions = load_manifest()
    except (OSError, tomllib.TOMLDecodeError, ManifestError) as exc:
        print(f"transcripts: {MANIFEST.relative_to(ROOT)}: {exc}", file=sys.stderr)
        return 2
    if args.ids:
        wanted = set(args.ids)
        unknown = wanted - {s.id for s in sessions} - {s.name for s in sessions}
        if unknown:
            print(
                f"transcripts: no session {', '.join(sorted(unknown))}", file=sys.stderr
            )
            return 2
        sessions = [s for s in sessions if s.id in wanted or s.name in wanted]
    failed = changed = 0
    skipped: dict[str, list[Session]] = {}  # reason: sessions
    with Runner() as runner:
        for session in sessions:
            result = runner.run(session)
            if result.skipped:
                skipped.setdefault(result.skipped, []).append(session)
                continue
            diffs = differences(result)
            if result.problems or (args.check and diffs):
                failed += 1
                print(report(result, diffs if args.check else ()), file=sys.stderr)
                continue
            for path, text in result.outputs().items():
                if not args.check and (
                    not path.exists() or path.read_text(encoding="utf-8") != text
                ):
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_text(text, encoding="utf-8", newline="\n")
                    changed += 1
                    print(f"wrote {path.relative_to(ROOT)}")
    if not args.ids:
        for path in stale_files(load_manifest()):
            if args.check:
                failed += 1
                print(
                    f"{path.relative_to(ROOT)}: no session makes this file",
                    file=sys.stderr,
                )
            else:
                path.unlink()
                print(f"removed {path.relative_to(ROOT)} (no session makes it)")
    for reason, passed_over in skipped.items():
        names = ", ".join(s.id for s in passed_over)
        print(
            f"skipped {len(passed_over)} session(s) on the network playground"
            f" ({names}): {reason}"
        )
    ran = [s for s in sessions if not any(s in group for group in skipped.values())]
    wires = sum(s.wire for s in ran)
    summary = (
        f"{len(ran)} transcripts and {wires} wire captures"
        f" {'checked' if args.check else 'regenerated'} in"
        f" {time.monotonic() - started:.1f} s"
    ) + ("" if args.check else f"; {changed} file(s) changed")
    if failed:
        print(f"{summary}; {failed} failed", file=sys.stderr)
        return 1
    print(summary)
    return 0


if __name__ == "__main__":
    # A terminated run still takes the network playground down (Runner.__exit__).
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    sys.exit(main())
