"""The session files: ``book/sessions/chapterNN.toml``, read and checked.

Each chapter that shows console sessions has one session file
(CONTRIBUTING.md: "Session files" describes the fields, "Add a session" is
the recipe). :func:`load_all` reads every chapter's file, in the
order of ``chapters.toml``; :func:`parse` checks one entry and makes it a
:class:`Session`.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from playground.net import topology
from tools import captures, chapters, paths
from tools.harness import Ready
from tools.sessions.normalise import ALWAYS, RULES, Pattern

SERVICES = ("none", "geocoder")
#: The fields of a ``[[session]]`` entry. A part of the tool that adds a
#: per-session option (captures, say) adds its field here, to
#: :class:`Session` and to :func:`parse`, and documents it in the session
#: files' header and CONTRIBUTING.md.
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
    "normalise",
    "capture",
    "servers",
    "ports",
}
#: The fields of a ``[[session.servers]]`` entry.
SERVER_FIELDS = {"name", "command", "host", "ready", "status", "shown", "until"}
#: Where a server's terminal is shown: after the foreground commands, in
#: the session's file; or in a file of its own, ``ID-NAME.txt``.
SHOWN = ("after", "file")
#: How the reader runs a command on a host of the network playground.
NET_EXEC = "python -m playground.net exec"


class ManifestError(ValueError):
    """A session file says something impossible (unknown field, wrong type...)."""


@dataclass(frozen=True)
class Server:
    """A process a session starts in the background before its commands (a
    server), waits for, and stops with Ctrl-C after them."""

    name: str
    command: str
    ready: Ready
    host: str = ""
    status: int = 0  # the exit status it must end with after Ctrl-C
    shown: str = "after"
    until: int = 0  # stopped after this many commands (0: after them all)

    def prompt(self) -> str:
        """The command as the reader types it (after the prompt)."""
        if not self.host:
            return self.command
        return f"{NET_EXEC} {self.host} -- {self.command}"


@dataclass(frozen=True)
class Session:
    """One console session the book shows (one entry of a session file)."""

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
    normalise: tuple[str, ...] = ()  # rules beyond normalise.ALWAYS
    patterns: tuple[Pattern, ...] = ()  # the rules its file defines
    capture: captures.Spec | None = None  # packet captures while it runs
    servers: tuple[Server, ...] = ()  # started first, stopped last
    ports: tuple[int, ...] = ()  # the reader's ports, free ones here (loopback)

    @property
    def name(self) -> str:
        return f"{self.chapter}/{self.id}"

    @property
    def on_network(self) -> bool:
        """Whether the commands run on hosts of the network playground."""
        return bool(self.hosts) or any(s.host for s in self.servers)

    @property
    def prompt(self) -> str:
        """The shell's prompt: ``#`` in the root shell the network playground
        needs, ``$`` elsewhere."""
        return "#" if self.on_network else "$"

    def prompts(self) -> list[str]:
        """Each command as the reader types it (the text after the prompt),
        at the repository's root."""
        if not self.hosts:
            return list(self.commands)
        return [
            f"{NET_EXEC} {host} -- {command}"
            for host, command in zip(self.hosts, self.commands, strict=True)
        ]

    @property
    def path(self) -> Path:
        """The transcript file."""
        return paths.TRANSCRIPTS / self.chapter / f"{self.id}.txt"

    @property
    def wire_path(self) -> Path | None:
        """The file for the request heads, when the session has one."""
        if not self.wire:
            return None
        return paths.TRANSCRIPTS / self.chapter / f"wire-{self.id}.txt"

    def server_path(self, server: Server) -> Path:
        """The file of a server shown in a file of its own."""
        return paths.TRANSCRIPTS / self.chapter / f"{self.id}-{server.name}.txt"

    def files(self) -> list[Path]:
        files = [self.path] + ([self.wire_path] if self.wire_path else [])
        files += [self.server_path(s) for s in self.servers if s.shown == "file"]
        if self.capture is not None:
            files += self.capture.files(paths.TRANSCRIPTS / self.chapter / self.id)
        return files

    def rules(self) -> dict[str, Pattern]:
        return {p.name: p for p in self.patterns}


def _strings(value: object) -> list[str] | None:
    """*value* as a list of strings (a string is a list of one), or None."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    return None


def patterns(data: Mapping[str, object], where: str) -> tuple[Pattern, ...]:
    """The ``[rules.NAME]`` tables of a session file."""
    rules = data.get("rules", {})
    if not isinstance(rules, dict):
        raise ManifestError(f"{where}: [rules.NAME] tables define rules")
    found = []
    for name, rule in rules.items():
        if name in RULES:
            raise ManifestError(f"{where}: rule {name} is built in; name yours apart")
        if not (
            isinstance(rule, dict)
            and set(rule) == {"pattern", "replacement"}
            and all(isinstance(v, str) for v in rule.values())
        ):
            raise ManifestError(
                f"{where}: [rules.{name}] needs a pattern and a replacement (strings)"
            )
        try:
            re.compile(rule["pattern"])
        except re.error as exc:
            raise ManifestError(f"{where}: [rules.{name}]: {exc}") from None
        found.append(Pattern(name, rule["pattern"], rule["replacement"]))
    return tuple(found)


def parse(
    chapter: str, entry: Mapping[str, object], defined: tuple[Pattern, ...] = ()
) -> Session:
    """One ``[[session]]`` entry of *chapter*'s file, checked."""
    where = f"{chapter} session {entry.get('id', '?')!r}"
    unknown = set(entry) - FIELDS
    if unknown:
        raise ManifestError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    ident = entry.get("id")
    if not isinstance(ident, str) or not re.fullmatch(r"[a-z0-9][a-z0-9-]*", ident):
        raise ManifestError(
            f"{where}: id must be lower-case letters, digits and dashes"
        )
    commands = _strings(entry.get("commands"))
    if not commands:
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
    rules = _strings(entry.get("normalise", []))
    known = set(RULES) - set(ALWAYS) | {p.name for p in defined}
    if rules is None or set(rules) - known:
        raise ManifestError(
            f"{where}: normalise names rules: {', '.join(sorted(known))}"
            " (line-ends and ports always apply)"
        )
    servers = _servers(where, entry.get("servers", []), names)
    if any(not 0 <= s.until < len(commands) for s in servers):
        raise ManifestError(
            f"{where}: a server's until must be a number of commands, from 1 to"
            f" one fewer than the session's {len(commands)} (0: after them all)"
        )
    if servers and (bool(hosts) != all(s.host for s in servers)):
        raise ManifestError(
            f"{where}: either every command and server has a host (the network"
            " playground) or none has"
        )
    ports = entry.get("ports", [])
    if not (
        isinstance(ports, list)
        and all(isinstance(p, int) and 0 < p < 65536 for p in ports)
    ):
        raise ManifestError(f"{where}: ports must be a list of port numbers")
    if ports and hosts:
        raise ManifestError(
            f"{where}: ports are for loopback sessions (the network playground's"
            " hosts use the reader's ports as they are)"
        )
    timeout = entry.get("timeout", 30.0)
    if not isinstance(timeout, int | float) or timeout <= 0:
        raise ManifestError(f"{where}: timeout must be a positive number of seconds")
    capture = None
    if "capture" in entry:
        if not hosts:
            raise ManifestError(
                f"{where}: only a session on the network playground (host) can"
                " capture packets"
            )
        try:
            capture = captures.spec(entry["capture"])
        except ValueError as exc:
            raise ManifestError(f"{where}: {exc}") from None
    return Session(
        chapter=chapter,
        id=ident,
        commands=tuple(commands),
        statuses=tuple(statuses),
        services=str(services),
        trust_ca=bool(entry.get("trust_ca", True)),
        env=tuple(sorted(env.items())),
        wire=bool(entry.get("wire", False)),
        timeout=float(timeout),
        note=str(entry.get("note", "")),
        hosts=tuple(hosts),
        normalise=tuple(rules),
        patterns=tuple(p for p in defined if p.name in rules),
        capture=capture,
        servers=servers,
        ports=tuple(ports),
    )


def _servers(where: str, entries: object, hosts: list[str]) -> tuple[Server, ...]:
    """The ``[[session.servers]]`` of one session, checked."""
    if not isinstance(entries, list):
        raise ManifestError(f"{where}: servers must be [[session.servers]] tables")
    found: list[Server] = []
    for entry in entries:
        if not isinstance(entry, dict):
            raise ManifestError(f"{where}: servers must be [[session.servers]] tables")
        name = entry.get("name", "")
        here = f"{where} server {name!r}"
        unknown = set(entry) - SERVER_FIELDS
        if unknown:
            raise ManifestError(
                f"{here}: unknown field(s) {', '.join(sorted(unknown))}"
            )
        if not (isinstance(name, str) and re.fullmatch(r"[a-z0-9][a-z0-9-]*", name)):
            raise ManifestError(
                f"{here}: name must be lower-case letters, digits and dashes"
            )
        if name in (s.name for s in found):
            raise ManifestError(f"{here}: two servers with the same name")
        command = entry.get("command")
        if not (isinstance(command, str) and command.strip()):
            raise ManifestError(f"{here}: command must be a string")
        host = entry.get("host", "")
        if host and host not in hosts:
            raise ManifestError(
                f"{here}: host must be a host of the network playground"
                f" ({' '.join(hosts)})"
            )
        status = entry.get("status", 0)
        if not isinstance(status, int):
            raise ManifestError(f"{here}: status must be a number")
        shown = entry.get("shown", "after")
        if shown not in SHOWN:
            raise ManifestError(f"{here}: shown must be one of {', '.join(SHOWN)}")
        until = entry.get("until", 0)
        if not isinstance(until, int) or isinstance(until, bool):
            raise ManifestError(f"{here}: until must be a number of commands")
        ready = _ready(here, entry.get("ready"))
        found.append(Server(name, command, ready, host, status, shown, until))
    return tuple(found)


def _ready(where: str, ready: object) -> Ready:
    """A server's ``ready`` table: ``{ line = "REGEX" }`` or ``{ port = N }``
    (with ``protocol = "udp"`` for UDP), and an optional ``timeout``."""
    if not isinstance(ready, dict) or set(ready) - {
        "line",
        "port",
        "protocol",
        "timeout",
    }:
        raise ManifestError(
            f'{where}: ready must be a table: {{ line = "REGEX" }} or'
            f' {{ port = N, protocol = "tcp" or "udp" }}, with an optional timeout'
        )
    line, port = ready.get("line", ""), ready.get("port", 0)
    protocol, timeout = ready.get("protocol", "tcp"), ready.get("timeout", 10.0)
    if not (
        isinstance(line, str)
        and isinstance(port, int)
        and isinstance(protocol, str)
        and isinstance(timeout, int | float)
    ):
        raise ManifestError(f"{where}: ready's line is a string, its port a number")
    if line:
        try:
            re.compile(line)
        except re.error as exc:
            raise ManifestError(f"{where}: ready's line: {exc}") from None
    try:
        return Ready(line=line, port=port, protocol=protocol, timeout=float(timeout))
    except ValueError as exc:
        raise ManifestError(f"{where}: {exc}") from None


def load(chapter: str, path: Path) -> list[Session]:
    """The sessions of one chapter's file, in order."""
    with path.open("rb") as f:
        data = tomllib.load(f)
    where = paths.shown(path)
    extra = set(data) - {"session", "rules"}
    if extra:
        raise ManifestError(
            f"{where}: only [[session]] and [rules.NAME] belong here,"
            f" not {', '.join(sorted(extra))}"
        )
    entries = data.get("session", [])
    if not isinstance(entries, list):
        raise ManifestError(f"{where}: [[session]] must be an array of tables")
    defined = patterns(data, where)
    sessions = [parse(chapter, entry, defined) for entry in entries]
    ids = [s.id for s in sessions]
    for ident in ids:
        if ids.count(ident) > 1:
            raise ManifestError(f"{chapter}/{ident}: two sessions with the same id")
    return sessions


def session_files() -> dict[str, Path]:
    """Each chapter that has a session file, in order: slug -> file."""
    files = {c.slug: c.sessions for c in chapters.load() if c.sessions.exists()}
    for path in sorted(paths.SESSIONS.glob("*.toml")):
        if path.stem not in files:
            raise ManifestError(
                f"{paths.shown(path)}: no chapter {path.stem} in"
                f" {paths.shown(paths.CHAPTERS)}"
            )
    return files


def load_all() -> list[Session]:
    """Every session of every chapter, chapter by chapter."""
    return [
        session
        for chapter, path in session_files().items()
        for session in load(chapter, path)
    ]
