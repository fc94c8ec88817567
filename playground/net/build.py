"""Building and removing the playground's network, and asking how it is.

Everything is made from the tables in :mod:`playground.net.topology`:

* one network namespace per host, called PREFIX + host name (``pow-h1``);
* veth pairs and bridges, created straight inside their namespaces (their
  names never exist in the host's own namespace, so they cannot collide
  with the host's interfaces, and they vanish with their namespaces);
* addresses and static routes, forwarding on routers, and masquerading
  (nftables) on the modems;
* ``/etc/netns/NAMESPACE/`` files that ``ip netns exec`` mounts over their
  ``/etc`` namesakes: ``resolv.conf`` (the resolver asks 192.0.2.53),
  ``hosts`` (only localhost) and ``nsswitch.conf`` (host names come from
  files, then DNS, whatever the host machine uses);
* the services, as background processes, whose process ids go into a state
  file under ``STATE/net/``.

Nothing connects a namespace to the host's own network: no link, address or
route leads out, so the playground's packets never leave it.

``down`` finds its work by prefix rather than by the state file, so it
cleans up after a crash too: it kills every process inside a namespace
whose name starts with the prefix, deletes those namespaces (which deletes
their links, addresses, routes and rules), and removes the ``/etc/netns``
folders with that prefix.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from playground.net import topology
from playground.net.topology import HOSTS, Host

ROOT = Path(__file__).resolve().parent.parent.parent
DEFAULT_PREFIX = "pow-"
NETNS_RUN = Path("/run/netns")
NETNS_ETC = Path("/etc/netns")
READY_TIMEOUT = 30.0
#: The names on www's certificate.
WWW_NAMES = (
    "www.example.com",
    "example.com",
    "geocoder.example.com",
    topology.host("www").address,
)

RESOLV_CONF = f"""\
# The network playground's resolver (python -m playground.net); removed by down.
nameserver {topology.DNS_ADDRESS}
options timeout:2 attempts:2
"""
HOSTS_FILE = """\
# The network playground's hosts file (python -m playground.net); removed by down.
127.0.0.1	localhost
::1	localhost ip6-localhost ip6-loopback
"""
ETC_FILES = ("resolv.conf", "hosts", "nsswitch.conf")

NAT_RULES = """\
# NAT on {host}: connections from the home network leave with the address of
# {wan}; replies find their way back through connection tracking. Nothing
# from outside may start a connection towards the home network.
table ip playground {{
    chain postrouting {{
        type nat hook postrouting priority srcnat; policy accept;
        oifname "{wan}" masquerade
    }}
    chain forward {{
        type filter hook forward priority filter; policy accept;
        iifname "{wan}" ct state new,invalid drop
    }}
}}
"""


class NetError(Exception):
    """Something the reader must hear about in one line."""


def check_support(need: Iterable[str] = ("ip",)) -> None:
    """Raise :class:`NetError` unless this machine can run the playground."""
    if sys.platform != "linux" or not Path("/proc/self/ns/net").exists():
        raise NetError(
            "this system has no Linux network namespaces (the playground needs them)"
        )
    if os.geteuid() != 0:
        raise NetError(
            "network namespaces need root: run it with sudo (sudo make playground-up)"
        )
    for tool in need:
        if shutil.which(tool) is None:
            package = {"ip": "iproute2", "nft": "nftables"}.get(tool, tool)
            raise NetError(
                f"{tool} is missing: install Debian's {package} (make system-deps)"
            )


def run(argv: list[str], stdin: str | None = None) -> str:
    """Run a command; its output, or :class:`NetError` with its first error line."""
    done = subprocess.run(
        argv, input=stdin, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines() or [
            f"exit status {done.returncode}"
        ]
        raise NetError(f"{' '.join(argv[:4])} failed: {lines[0]}")
    return done.stdout


def run_all(commands: list[tuple[list[str], str | None]]) -> None:
    """Run commands side by side (each with optional input); fail as :func:`run`."""
    procs = [
        (
            argv,
            subprocess.Popen(
                argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            ),
        )
        for argv, _ in commands
    ]
    errors = []
    for (argv, proc), (_, stdin) in zip(procs, commands, strict=True):
        out, err = proc.communicate(stdin)
        if proc.returncode != 0:
            lines = (err or out).strip().splitlines() or [
                f"exit status {proc.returncode}"
            ]
            errors.append(f"{' '.join(argv[:4])} failed: {lines[0]}")
    if errors:
        raise NetError(errors[0])


def link_commands() -> list[str]:
    """``ip -batch`` lines, run in the host's namespace, that create every
    bridge and cable straight inside the namespaces (PREFIX filled in later)."""
    lines = [
        f"link add {b.name} netns {{p}}{b.host} type bridge" for b in topology.BRIDGES
    ]
    for link in topology.LINKS:
        a, b = link.a, link.b
        lines.append(
            f"link add {a.iface} netns {{p}}{a.host} mtu {link.mtu} type veth"
            f" peer name {b.iface} netns {{p}}{b.host} mtu {link.mtu}"
        )
    return lines


def host_commands(host: Host) -> list[str]:
    """``ip -batch`` lines run inside *host*'s namespace: ports into bridges,
    no IPv6 link-local addresses (quiet captures), interfaces up, addresses,
    routes."""
    ports = [
        p for link in topology.LINKS for p in (link.a, link.b) if p.host == host.name
    ]
    bridges = [b for b in topology.BRIDGES if b.host == host.name]
    lines = ["link set lo up"]
    for dev in [b.name for b in bridges] + [p.iface for p in ports]:
        lines.append(f"link set {dev} addrgenmode none")
    lines += [f"link set {p.iface} master {p.bridge}" for p in ports if p.bridge]
    lines += [f"link set {b.name} up" for b in bridges]
    lines += [f"link set {p.iface} up" for p in ports]
    lines += [
        f"addr add {cidr} dev {iface}" for iface, cidr in topology.addresses(host.name)
    ]
    lines += [f"route add {dest} via {gateway}" for dest, gateway in host.routes]
    return lines


#: Offloads turned off on every veth end, so that what tcpdump shows is what
#: crossed the link: with them on, the kernel hands a veth "segments" of up to
#: 64 KB (segmentation and receive coalescing offloads), and leaves checksums
#: for hardware that a veth does not have, so a capture shows TCP segments
#: larger than the link's MTU and checksums that look wrong.
OFFLOADS = "tso off gso off gro off tx off"


def offload_script(host: Host) -> str | None:
    """Shell commands run inside *host*'s namespace that turn the offloads
    off on each of its veth ends (None for a host with none)."""
    ifaces = [
        p.iface
        for link in topology.LINKS
        for p in (link.a, link.b)
        if p.host == host.name
    ]
    if not ifaces:
        return None
    return " && ".join(f"ethtool -K {iface} {OFFLOADS}" for iface in ifaces)


def router_script(host: Host) -> str:
    """Shell commands run inside a router's namespace: forwarding, then NAT."""
    script = "echo 1 > /proc/sys/net/ipv4/ip_forward"
    if host.masquerade:
        script += " && nft -f -"
    return script


def nsswitch_conf() -> str:
    """The host machine's nsswitch.conf with host names from files, then DNS."""
    try:
        lines = Path("/etc/nsswitch.conf").read_text().splitlines()
    except OSError:
        lines = []
    kept = [line for line in lines if line.split(":")[0].strip() != "hosts"]
    return "\n".join([*kept, "hosts:          files dns", ""])


def give_back(*paths: Path) -> None:
    """Under sudo, hand files made in the project back to the user who ran it,
    so that the loopback playground (run without root) can still use them."""
    uid, gid = os.environ.get("SUDO_UID"), os.environ.get("SUDO_GID")
    if os.geteuid() != 0 or not uid or not gid:
        return
    for path in paths:
        with contextlib.suppress(OSError):
            if path.stat().st_uid == 0:
                os.chown(path, int(uid), int(gid))


def make_dirs(path: Path) -> None:
    """``mkdir -p``, giving the new folders back to the sudo user (a root-owned
    ``build/`` would stop the reader's own ``make html``)."""
    missing = []
    parent = path
    while not parent.exists():
        missing.append(parent)
        parent = parent.parent
    path.mkdir(parents=True, exist_ok=True)
    give_back(*missing)


@dataclass
class HostStatus:
    """What ``status`` reports about one host."""

    host: str
    exists: bool
    addresses: list[str]  # "192.168.1.11/24 eth0"
    services: list[tuple[str, bool]]  # ("www tcp/80+tcp/443", listening)

    @property
    def healthy(self) -> bool:
        return self.exists and all(ok for _name, ok in self.services)


@dataclass
class Process:
    """A service process as the state file records it."""

    host: str
    role: str
    pid: int


def namespace_inode(path: Path) -> int | None:
    try:
        return path.stat().st_ino
    except OSError:
        return None


def pids_in(inodes: set[int]) -> Iterator[int]:
    """The processes whose network namespace has one of these inode numbers."""
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if os.stat(f"/proc/{entry.name}/ns/net").st_ino in inodes:
                    yield int(entry.name)
            except OSError:
                continue


def alive(pid: int) -> bool:
    """Whether *pid* is running (a zombie is not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def listening(pid: int) -> set[tuple[str, int]]:
    """``("tcp", port)`` and ``("udp", port)`` sockets bound in *pid*'s
    namespace (read from ``/proc/PID/net``, which shows the namespace of PID)."""
    found = set()
    for proto, state in (("tcp", "0A"), ("udp", "07")):
        try:
            rows = Path(f"/proc/{pid}/net/{proto}").read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            if fields[3] == state:
                found.add((proto, int(fields[1].split(":")[1], 16)))
    return found


class Network:
    """The playground's twelve hosts, under one name prefix."""

    def __init__(
        self, prefix: str = DEFAULT_PREFIX, state_dir: Path | None = None
    ) -> None:
        from playground.services import DEFAULT_STATE

        self.prefix = prefix
        self.state_dir = state_dir or Path(
            os.environ.get("PLAYGROUND_STATE", DEFAULT_STATE)
        )
        self.run_dir = self.state_dir / f"net-{prefix.rstrip('-')}"
        self.state_file = self.run_dir / "state.json"

    # -- names and state ---------------------------------------------------

    def ns(self, host: str) -> str:
        return self.prefix + host

    @property
    def ca_file(self) -> Path:
        return self.state_dir / "ca.pem"

    def namespaces(self) -> list[str]:
        """Our namespaces that exist now (found by prefix)."""
        try:
            names = os.listdir(NETNS_RUN)
        except OSError:
            return []
        return sorted(n for n in names if n.startswith(self.prefix))

    def processes(self) -> list[Process]:
        try:
            data = json.loads(self.state_file.read_text())
        except (OSError, ValueError):
            return []
        return [Process(**p) for p in data.get("processes", [])]

    def is_up(self) -> bool:
        """Every host's namespace exists and every service process runs in it."""
        wanted = {self.ns(h.name) for h in HOSTS}
        if not wanted <= set(self.namespaces()):
            return False
        procs = self.processes()
        if {(p.host, p.role) for p in procs} != {
            (h.name, s.name) for h in HOSTS for s in h.services
        }:
            return False
        for p in procs:
            inode = namespace_inode(NETNS_RUN / self.ns(p.host))
            if (
                not alive(p.pid)
                or inode is None
                or os.stat(f"/proc/{p.pid}/ns/net").st_ino != inode
            ):
                return False
        return True

    # -- up ------------------------------------------------------------------

    def up(self) -> bool:
        """Build the network and start its services; False if it was up already."""
        check_support(("ip", "nft", "ethtool"))
        if self.is_up():
            return False
        self.down()
        try:
            self._build()
        except BaseException:
            self.down()
            raise
        return True

    def _build(self) -> None:
        p = self.prefix
        make_dirs(self.run_dir / "logs")
        run(
            ["ip", "-batch", "-"],
            "".join(f"netns add {self.ns(h.name)}\n" for h in HOSTS),
        )
        self._write_etc()
        # The geocoder takes longest to get ready (it loads its places): start
        # it first, and build the rest of the network meanwhile.
        cert = self._www_certificate()
        started = [self._start("www", "www", "--cert", str(cert))]
        run(
            ["ip", "-batch", "-"],
            "".join(line.format(p=p) + "\n" for line in link_commands()),
        )
        commands: list[tuple[list[str], str | None]] = [
            (
                ["ip", "-n", self.ns(h.name), "-batch", "-"],
                "".join(f"{c}\n" for c in host_commands(h)),
            )
            for h in HOSTS
        ]
        commands += [
            (
                ["ip", "netns", "exec", self.ns(h.name), "sh", "-c", router_script(h)],
                NAT_RULES.format(host=h.name, wan=h.masquerade)
                if h.masquerade
                else None,
            )
            for h in HOSTS
            if h.forwarding
        ]
        commands += [
            (["ip", "netns", "exec", self.ns(h.name), "sh", "-c", script], None)
            for h in HOSTS
            if (script := offload_script(h))
        ]
        run_all(commands)
        for h in HOSTS:
            for service in h.services:
                if service.name != "www":
                    started.append(self._start(h.name, service.name))
        self._wait_ready(started)
        state = {
            "prefix": self.prefix,
            "started": time.time(),
            "processes": [
                {"host": s.host, "role": s.role, "pid": s.pid} for s, _ in started
            ],
        }
        self.state_file.write_text(json.dumps(state, indent=1) + "\n")
        give_back(*self.run_dir.rglob("*"))

    def _www_certificate(self) -> Path:
        """A certificate for www.example.com from the playground CA, with its key."""
        from playground import tls

        ca = tls.authority(self.state_dir)
        give_back(self.ca_file, self.state_dir / "ca-key.pem")
        leaf = ca.issue_cert(*WWW_NAMES, common_name=WWW_NAMES[0])
        chain = self.run_dir / "www.pem"
        chain.touch(mode=0o600)
        leaf.private_key_and_cert_chain_pem.write_to_path(str(chain))
        return chain

    def _start(
        self, host: str, role: str, *args: str
    ) -> tuple[Process, subprocess.Popen[bytes]]:
        ready = self.run_dir / f"{role}.ready"
        ready.unlink(missing_ok=True)
        env = dict(os.environ)
        # Only the project on the path: never the tests' network guard.
        env["PYTHONPATH"] = str(ROOT)
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        argv = [
            sys.executable,
            "-m",
            "playground.net.services",
            role,
            "--ready",
            str(ready),
            *args,
        ]
        with open(self.run_dir / "logs" / f"{role}.log", "ab") as log:
            proc = subprocess.Popen(
                ["ip", "netns", "exec", self.ns(host), *argv],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=ROOT,
                env=env,
                start_new_session=True,
            )
        return Process(host, role, proc.pid), proc

    def _wait_ready(
        self, started: list[tuple[Process, subprocess.Popen[bytes]]]
    ) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        waiting = list(started)
        while waiting:
            for item in list(waiting):
                process, proc = item
                if (self.run_dir / f"{process.role}.ready").exists():
                    waiting.remove(item)
                elif proc.poll() is not None:
                    why = self._last_log_line(process.role)
                    raise NetError(f"{process.role} on {process.host} stopped: {why}")
            if time.monotonic() > deadline:
                names = ", ".join(p.role for p, _ in waiting)
                raise NetError(
                    f"services not ready after {READY_TIMEOUT:.0f} s: {names}"
                )
            time.sleep(0.02)

    def _last_log_line(self, role: str) -> str:
        try:
            lines = (
                (self.run_dir / "logs" / f"{role}.log").read_text().strip().splitlines()
            )
        except OSError:
            lines = []
        return lines[-1] if lines else "no message"

    def _write_etc(self) -> None:
        nsswitch = nsswitch_conf()
        for h in HOSTS:
            folder = NETNS_ETC / self.ns(h.name)
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "resolv.conf").write_text(RESOLV_CONF)
            (folder / "hosts").write_text(HOSTS_FILE)
            (folder / "nsswitch.conf").write_text(nsswitch)

    # -- down ----------------------------------------------------------------

    def down(self) -> int:
        """Remove everything with our prefix; the number of namespaces removed."""
        check_support()
        names = self.namespaces()
        inodes = {
            i for i in (namespace_inode(NETNS_RUN / n) for n in names) if i is not None
        }
        self._stop(set(pids_in(inodes)) if inodes else set())
        if names:
            run(["ip", "-batch", "-"], "".join(f"netns del {n}\n" for n in names))
        self._remove_etc()
        self._remove_stray_links()
        for leftover in [self.state_file, *self.run_dir.glob("*.ready")]:
            leftover.unlink(missing_ok=True)
        return len(names)

    @staticmethod
    def _stop(pids: set[int]) -> None:
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 2.0
        while pids and time.monotonic() < deadline:
            pids = {pid for pid in pids if alive(pid)}
            time.sleep(0.01)
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def _remove_etc(self) -> None:
        try:
            folders = [f for f in NETNS_ETC.iterdir() if f.name.startswith(self.prefix)]
        except OSError:
            return
        for folder in folders:
            for name in ETC_FILES:
                (folder / name).unlink(missing_ok=True)
            # Left alone if the reader put something of their own there.
            with contextlib.suppress(OSError):
                folder.rmdir()
        with contextlib.suppress(OSError):
            NETNS_ETC.rmdir()  # only if empty

    def _remove_stray_links(self) -> None:
        """Links are made inside the namespaces, but should a link with our
        prefix ever be left in the host's namespace, remove it."""
        out = run(["ip", "-o", "link", "show"])
        names = [
            line.split(":")[1].strip().split("@")[0]
            for line in out.splitlines()
            if ":" in line
        ]
        for name in names:
            if name.startswith(self.prefix):
                run(["ip", "link", "del", name])

    # -- status --------------------------------------------------------------

    def status(self) -> list[HostStatus]:
        """How each host is: namespace, addresses, services."""
        check_support()
        existing = set(self.namespaces())
        procs = {(p.host, p.role): p for p in self.processes()}
        addrs = self._addresses([h.name for h in HOSTS if self.ns(h.name) in existing])
        rows = []
        for h in HOSTS:
            services = []
            for s in h.services:
                p = procs.get((h.name, s.name))
                ok = bool(p and alive(p.pid) and set(s.ports) <= listening(p.pid))
                ports = "+".join(f"{proto}/{port}" for proto, port in s.ports)
                services.append((f"{s.name} {ports}", ok))
            exists = self.ns(h.name) in existing
            rows.append(HostStatus(h.name, exists, addrs.get(h.name, []), services))
        return rows

    def _addresses(self, hosts: list[str]) -> dict[str, list[str]]:
        procs = {
            h: subprocess.Popen(
                ["ip", "-n", self.ns(h), "-j", "-4", "addr", "show"],
                stdout=subprocess.PIPE,
                text=True,
            )
            for h in hosts
        }
        found: dict[str, list[str]] = {}
        for h, proc in procs.items():
            out, _ = proc.communicate()
            try:
                data = json.loads(out or "[]")
            except ValueError:
                data = []
            found[h] = [
                f"{a['local']}/{a['prefixlen']} {i['ifname']}"
                for i in data
                for a in i.get("addr_info", [])
                if a["local"] != "127.0.0.1"
            ]
        return found

    # -- exec ----------------------------------------------------------------

    def exec_argv(
        self, host: str, command: list[str]
    ) -> tuple[list[str], dict[str, str]]:
        """The command line and environment that run *command* on *host*."""
        check_support()
        names = [h.name for h in HOSTS]
        if host not in names:
            raise NetError(
                f"no host {host!r} in the playground (hosts: {' '.join(names)})"
            )
        if self.ns(host) not in self.namespaces():
            raise NetError(f"host {host} is not up (start it: sudo make playground-up)")
        if not command:
            raise NetError(
                f"no command given (python -m playground.net exec {host} -- COMMAND)"
            )
        env = dict(os.environ)
        env["SSL_CERT_FILE"] = env["REQUESTS_CA_BUNDLE"] = str(self.ca_file)
        if sys.prefix != sys.base_prefix:  # like an activated virtual environment
            env["PATH"] = os.pathsep.join(
                [str(Path(sys.executable).parent), env.get("PATH", "")]
            )
        if shutil.which(command[0], path=env.get("PATH")) is None:
            raise NetError(f"no command {command[0]!r} found")
        return ["ip", "netns", "exec", self.ns(host), *command], env
