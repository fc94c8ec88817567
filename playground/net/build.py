"""Building and removing the network playground, and asking how it is: the
:class:`Network` of twelve hosts under one name prefix, put together from
modules with one job each:

* :mod:`playground.net.topology`: the hosts, links and addresses (data);
* :mod:`playground.net.namespaces`: namespaces, links, routes, NAT;
* :mod:`playground.net.etc`: the hosts' files under ``/etc/netns``;
* :mod:`playground.net.processes`: the registry's services in their hosts'
  namespaces, and the state file under ``STATE/net-PREFIX/``;
* :mod:`playground.net.status`: what ``status`` shows.

``down`` finds its work by prefix rather than by the state file, so it
cleans up after a crash too: it kills every process inside a namespace
whose name starts with the prefix, deletes those namespaces (which deletes
their links, addresses, routes and rules), and removes the ``/etc/netns``
folders with that prefix.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from playground import services, tls
from playground.net import etc, namespaces, processes, topology
from playground.net.etc import NETNS_ETC
from playground.net.namespaces import NETNS_RUN, offload_script
from playground.net.processes import Process, Started, alive
from playground.net.status import HostStatus, status
from playground.net.system import NetError, check_support, give_back, make_dirs, run
from playground.net.topology import HOSTS
from playground.services import machine
from playground.services.spec import Service

__all__ = [
    "DEFAULT_PREFIX",
    "NETNS_ETC",
    "NETNS_RUN",
    "HostStatus",
    "NetError",
    "Network",
    "Process",
    "alive",
    "check_support",
    "offload_script",
    "run",
    "topology",
]

DEFAULT_PREFIX = "pow-"


class Network:
    """The playground's twelve hosts, under one name prefix."""

    def __init__(
        self, prefix: str = DEFAULT_PREFIX, state_dir: Path | None = None
    ) -> None:
        self.prefix = prefix
        self.state_dir = tls.state_dir(state_dir)
        self.run_dir = self.state_dir / f"net-{prefix.rstrip('-')}"
        self.state_file = self.run_dir / "state.json"

    # -- names and state ---------------------------------------------------

    def ns(self, host: str) -> str:
        return self.prefix + host

    @property
    def ca_file(self) -> Path:
        return tls.ca_file(self.state_dir)

    def namespaces(self) -> list[str]:
        """Our namespaces that exist now (found by prefix)."""
        return namespaces.existing(self.prefix)

    def processes(self) -> list[Process]:
        return processes.recorded(self.state_file)

    def is_up(self) -> bool:
        """Every host's namespace exists and every service process runs in it."""
        wanted = {self.ns(h.name) for h in HOSTS}
        if not wanted <= set(self.namespaces()):
            return False
        procs = self.processes()
        expected = {(s.host, s.name) for s in services.REGISTRY}
        if {(p.host, p.service) for p in procs} != expected:
            return False
        return all(
            alive(p.pid)
            and processes.in_namespace(
                p.pid, namespaces.inode(NETNS_RUN / self.ns(p.host))
            )
            for p in procs
        )

    # -- up and down -----------------------------------------------------------

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
        make_dirs(self.run_dir / "logs")
        namespaces.create(self.prefix)
        tls.authority(self.state_dir)
        give_back(self.ca_file, self.state_dir / "ca-key.pem")
        etc.write(self.prefix, self.state_dir)
        # The services take longest to get ready (the geocoder loads its
        # places): those that listen on all addresses start first, and the
        # links are built meanwhile; one that binds a single address (DNS,
        # on lo) starts once the addresses exist.
        early = [s for s in services.REGISTRY if s.bind is None]
        late = [s for s in services.REGISTRY if s.bind is not None]
        started = [self._start(s) for s in early]
        namespaces.connect(self.prefix)
        started += [self._start(s) for s in late]
        processes.wait_ready(started)
        processes.record(self.state_file, self.prefix, [s.process for s in started])
        # Each host's own files stay root's (sshd and Postfix insist).
        hosts = machine.hosts_dir(self.run_dir)
        give_back(*(p for p in self.run_dir.rglob("*") if not p.is_relative_to(hosts)))

    def _start(self, service: Service) -> Started:
        return processes.start(
            service, self.ns(service.host), self.state_dir, self.run_dir
        )

    def down(self) -> int:
        """Remove everything with our prefix; the number of namespaces removed."""
        check_support()
        names = self.namespaces()
        inodes = {i for i in (namespaces.inode(NETNS_RUN / n) for n in names) if i}
        processes.stop(set(processes.pids_in(inodes)) if inodes else set())
        namespaces.remove(names)
        etc.remove(self.prefix)
        machine.remove_hosts(self.run_dir)
        namespaces.remove_stray_links(self.prefix)
        self.state_file.unlink(missing_ok=True)
        return len(names)

    # -- status and exec -------------------------------------------------------

    def status(self) -> list[HostStatus]:
        """How each host is: namespace, addresses, services."""
        check_support()
        return status(self.prefix, set(self.namespaces()), self.processes())

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
