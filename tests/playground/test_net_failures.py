"""The network playground's failure paths and edge cases, without root.

tests/playground/test_net.py builds the real twelve-host network (root, namespaces) and
checks what a reader sees there. These tests reach what that run cannot: the
one-line errors for a missing tool, a failed command, a service that dies or
never gets ready, a process that ignores SIGTERM; a service's own command line;
the DNS server's other record types. They replace only the operating-system
calls they need to, and run anywhere.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from dnslib import QTYPE, RCODE, DNSRecord

from playground import services
from playground.net import __main__ as cli
from playground.net import (
    build,
    etc,
    namespaces,
    processes,
    status,
    system,
    topology,
)
from playground.net.build import HostStatus, NetError, Network, Process
from playground.net.processes import Started
from playground.services import __main__ as service_main
from playground.services import dns, readiness


@pytest.fixture
def net(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Network:
    """A Network whose support checks pass and whose namespace folder is empty."""
    monkeypatch.setattr(build, "check_support", lambda need=("ip",): None)
    monkeypatch.setattr(namespaces, "NETNS_RUN", tmp_path / "netns")
    monkeypatch.setattr(build, "NETNS_RUN", tmp_path / "netns")
    return Network("powc-", tmp_path / "state")


# -- support checks and commands ---------------------------------------------


@pytest.mark.parametrize(
    ("tool", "package"),
    [("nft", "nftables"), ("ip", "iproute2"), ("tcpdump", "tcpdump")],
)
def test_a_missing_tool_names_its_debian_package(
    monkeypatch: pytest.MonkeyPatch, tool: str, package: str
) -> None:
    monkeypatch.setattr(system.os, "geteuid", lambda: 0)
    monkeypatch.setattr(
        system.shutil, "which", lambda name: None if name == tool else "/x"
    )
    with pytest.raises(NetError) as caught:
        system.check_support(("ip", "nft", "tcpdump"))
    assert str(caught.value) == (
        f"{tool} is missing: install Debian's {package} (make system-deps)"
    )


def test_a_failed_command_reports_its_first_error_line() -> None:
    with pytest.raises(NetError) as caught:
        system.run(["sh", "-c", "echo first >&2; echo second >&2; exit 3"])
    assert (
        str(caught.value)
        == "sh -c echo first >&2; echo second >&2; exit 3 failed: first"
    )


def test_a_silent_failure_reports_its_exit_status() -> None:
    with pytest.raises(NetError, match=r"^false failed: exit status 1$"):
        system.run(["false"])


def test_run_all_reports_the_first_failure_and_runs_the_rest() -> None:
    with pytest.raises(NetError) as caught:
        system.run_all(
            [
                (["true"], None),
                (["sh", "-c", "cat >&2; exit 4"], "from stdin\n"),
                (["sh", "-c", "exit 5"], None),
            ]
        )
    assert str(caught.value) == "sh -c cat >&2; exit 4 failed: from stdin"


def test_run_all_with_no_failure_returns_quietly() -> None:
    system.run_all([(["true"], None), (["cat"], "input\n")])


def test_nsswitch_conf_without_a_host_file(monkeypatch: pytest.MonkeyPatch) -> None:
    def unreadable(self: Path, *args: Any, **kwargs: Any) -> str:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(etc.Path, "read_text", unreadable)
    assert etc.nsswitch_conf() == "hosts:          files dns\n"


class FakePath:
    """Just enough of a Path for give_back(): stat() says who owns it."""

    def __init__(self, name: str, uid: int | None) -> None:
        self.name, self.uid = name, uid

    def stat(self) -> SimpleNamespace:
        if self.uid is None:
            raise FileNotFoundError(2, "No such file", self.name)
        return SimpleNamespace(st_uid=self.uid)


def test_give_back_hands_root_files_to_the_sudo_user(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    chowned: list[tuple[str, int, int]] = []

    def chown(path: FakePath, uid: int, gid: int) -> None:
        if path.name == "refuses":
            raise PermissionError(1, "Operation not permitted")
        chowned.append((path.name, uid, gid))

    monkeypatch.setattr(system.os, "geteuid", lambda: 0)
    monkeypatch.setattr(system.os, "chown", chown)
    monkeypatch.setenv("SUDO_UID", "1234")
    monkeypatch.setenv("SUDO_GID", "99")
    paths = [
        FakePath("root-owned", 0),
        FakePath("users-already", 1234),
        FakePath("missing", None),
        FakePath("refuses", 0),
    ]
    system.give_back(*paths)  # type: ignore[arg-type]
    assert chowned == [("root-owned", 1234, 99)]


def test_give_back_does_nothing_without_sudo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(system.os, "geteuid", lambda: 0)
    monkeypatch.setattr(system.os, "chown", pytest.fail)
    monkeypatch.delenv("SUDO_UID", raising=False)
    system.give_back(FakePath("root-owned", 0))  # type: ignore[arg-type]


# -- processes and sockets ----------------------------------------------------


def test_a_missing_namespace_or_process(tmp_path: Path) -> None:
    gone = 2**22 + 1  # above Linux's largest process number
    assert namespaces.inode(tmp_path / "no-such-namespace") is None
    assert processes.alive(gone) is False
    assert readiness.listening(gone) == set()
    assert processes.alive(os.getpid()) is True
    assert processes.in_namespace(gone, 1) is False


def test_listening_sees_listeners_not_connections() -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port)) as client:
            accepted, _ = server.accept()
            with accepted:
                found = readiness.listening(os.getpid())
                assert ("tcp", port) in found
                assert ("tcp", client.getsockname()[1]) not in found


def test_stop_kills_a_process_that_ignores_sigterm() -> None:
    code = (
        "import signal, sys, time\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "print('ready', flush=True)\n"
        "time.sleep(30)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
    try:
        assert proc.stdout is not None and proc.stdout.readline() == b"ready\n"
        processes.stop({proc.pid})
        assert proc.wait(timeout=5) == -signal.SIGKILL
    finally:
        proc.kill()
        proc.wait()
        if proc.stdout:
            proc.stdout.close()


# -- the network's state -------------------------------------------------------


def everything(net: Network, pid: int) -> list[dict[str, Any]]:
    return [{"host": s.host, "service": s.name, "pid": pid} for s in services.REGISTRY]


def test_namespaces_without_the_netns_folder(net: Network) -> None:
    assert net.namespaces() == []
    assert net.is_up() is False


def test_is_up_needs_every_service(
    net: Network, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        Network, "namespaces", lambda self: [self.ns(h.name) for h in topology.HOSTS]
    )
    net.run_dir.mkdir(parents=True)
    services = everything(net, os.getpid())
    net.state_file.write_text(json.dumps({"processes": services[1:]}))
    assert net.is_up() is False  # one service missing
    net.state_file.write_text(json.dumps({"processes": services}))
    assert net.is_up() is False  # all listed, but not in the namespaces
    net.state_file.write_text("{not json")
    assert net.processes() == []


def test_a_failed_build_is_undone(
    net: Network, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []

    def fail(prefix: str) -> None:
        calls.append(f"create {prefix}")
        raise NetError("ip -batch - failed: RTNETLINK answers: File exists")

    monkeypatch.setattr(net, "down", lambda: calls.append("down") or 0)
    monkeypatch.setattr(namespaces, "create", fail)
    with pytest.raises(NetError, match="File exists"):
        net.up()
    assert calls == ["down", "create powc-", "down"]


@pytest.fixture
def finished() -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(["true"])
    proc.wait()
    yield proc


def started(
    name: str, proc: subprocess.Popen[bytes], log: Path, offset: int = 0
) -> Started:
    service = services.named(name)
    return Started(service, Process(service.host, name, proc.pid), proc, log, offset)


def test_a_service_that_dies_is_named_with_its_last_words(
    tmp_path: Path, finished: subprocess.Popen[bytes]
) -> None:
    log = tmp_path / "dns.log"
    log.write_text(
        "an earlier run's last words\n"
        "Traceback (most recent call last):\nOSError: [Errno 98] Address in use\n"
    )
    with pytest.raises(NetError) as caught:
        processes.wait_ready([started("dns", finished, log, offset=28)])
    assert str(caught.value) == (
        "dns on backbone stopped: OSError: [Errno 98] Address in use"
    )


def test_a_service_that_dies_without_a_log(
    tmp_path: Path, finished: subprocess.Popen[bytes]
) -> None:
    with pytest.raises(NetError, match=r"^smtp on mail stopped: no message$"):
        processes.wait_ready([started("smtp", finished, tmp_path / "none.log")])


def test_a_service_that_never_gets_ready(tmp_path: Path) -> None:
    sleeper = subprocess.Popen(["sleep", "30"])
    try:
        with pytest.raises(
            NetError, match=r"^services not ready after 0 s: geocoder, dns$"
        ):
            processes.wait_ready(
                [
                    started("geocoder", sleeper, tmp_path / "g.log"),
                    started("dns", sleeper, tmp_path / "d.log"),
                ],
                timeout=0.0,
            )
    finally:
        sleeper.kill()
        sleeper.wait()


def test_a_service_is_ready_when_its_ports_listen_and_its_line_appears(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A declaration with a ready line waits for it as well as the ports."""
    sleeper = subprocess.Popen(["sleep", "30"])
    log = tmp_path / "dns.log"
    log.write_text("starting\n")
    serving = "playground.services dns: listening (dns 53, dns-tcp 53)\n"
    item = started("dns", sleeper, log)
    with_line = services.Service(
        "dns",
        "x",
        "backbone",
        item.service.ports,
        serve=item.service.serve,
        ready="^up$",
    )
    item.service = with_line
    ports = {("udp", 53), ("tcp", 53)}
    monkeypatch.setattr(readiness, "listening", lambda pid: ports)
    try:
        assert processes.is_ready(item) is False  # ports, but no line yet
        log.write_text("starting\nup\n")
        assert processes.is_ready(item) is False  # not serving yet
        log.write_text(f"starting\nup\n{serving}")
        assert processes.is_ready(item) is True
        monkeypatch.setattr(readiness, "listening", lambda pid: set())
        assert processes.is_ready(item) is False  # the line, but no port
    finally:
        sleeper.kill()
        sleeper.wait()


def test_a_stray_link_in_the_host_namespace_is_removed(
    net: Network, monkeypatch: pytest.MonkeyPatch
) -> None:
    ran: list[list[str]] = []

    def run(argv: list[str], stdin: str | None = None) -> str:
        ran.append(argv)
        return (
            "1: lo: <LOOPBACK,UP> mtu 65536 qdisc noqueue\n"
            "7: powc-h1@if6: <BROADCAST> mtu 1500 qdisc noop\n"
            "8: eth0: <BROADCAST,UP> mtu 1500 qdisc fq\n"
        )

    monkeypatch.setattr(namespaces, "run", run)
    namespaces.remove_stray_links(net.prefix)
    assert ran == [["ip", "-o", "link", "show"], ["ip", "link", "del", "powc-h1"]]


def test_addresses_when_ip_answers_no_json(
    net: Network, monkeypatch: pytest.MonkeyPatch
) -> None:
    class NotJSON:
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            pass

        def communicate(self) -> tuple[str, None]:
            return "Cannot open network namespace", None

    monkeypatch.setattr(status.subprocess, "Popen", NotJSON)
    assert status.addresses(net.prefix, ["h1"]) == {"h1": []}


# -- exec ----------------------------------------------------------------------


@pytest.fixture
def h1_up(net: Network, monkeypatch: pytest.MonkeyPatch) -> Network:
    monkeypatch.setattr(Network, "namespaces", lambda self: [self.ns("h1")])
    return net


def test_exec_needs_a_command(h1_up: Network) -> None:
    with pytest.raises(NetError) as caught:
        h1_up.exec_argv("h1", [])
    assert str(caught.value) == (
        "no command given (python -m playground.net exec h1 -- COMMAND)"
    )


def test_exec_of_a_command_that_does_not_exist(h1_up: Network) -> None:
    with pytest.raises(NetError, match=r"^no command 'no-such-command-here' found$"):
        h1_up.exec_argv("h1", ["no-such-command-here"])


def test_exec_outside_a_virtual_environment_keeps_path(
    h1_up: Network, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(build.sys, "prefix", sys.base_prefix)
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    argv, env = h1_up.exec_argv("h1", ["true"])
    assert argv == ["ip", "netns", "exec", "powc-h1", "true"]
    assert env["PATH"] == "/usr/bin:/bin"
    assert env["SSL_CERT_FILE"] == env["REQUESTS_CA_BUNDLE"] == str(h1_up.ca_file)


# -- the command line ----------------------------------------------------------


def test_status_of_a_partly_up_playground(
    capsys: pytest.CaptureFixture[str],
) -> None:
    rows = [
        HostStatus("h1", True, ["192.168.1.11/24 eth0"], []),
        HostStatus("www", True, ["203.0.113.80/24 eth0"], [("geocoder tcp/80", False)]),
    ]
    fake = SimpleNamespace(status=lambda: rows, prefix="powc-")
    assert cli.show_status(fake) == 1  # type: ignore[arg-type]
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == "the playground is only partly up: run up again"
    assert "geocoder tcp/80 DOWN" in out[-2]


def test_ctrl_c_during_up_exits_130(monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(self: Network) -> bool:
        raise KeyboardInterrupt

    monkeypatch.setattr(Network, "up", interrupted)
    assert cli.main(["--prefix", "powc-", "up"]) == 130


def test_a_closed_pipe_during_status_exits_quietly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def closed(self: Network) -> list[HostStatus]:
        raise BrokenPipeError(32, "Broken pipe")

    stderr = io.StringIO()
    monkeypatch.setattr(Network, "status", closed)
    monkeypatch.setattr(sys, "stderr", stderr)
    assert cli.main(["--prefix", "powc-", "status"]) == 1
    assert stderr.closed


def test_topology_has_no_host_by_another_name() -> None:
    assert topology.host("h1").name == "h1"
    with pytest.raises(KeyError):
        topology.host("h99")


def test_the_geocoder_needs_a_certificate(capsys: pytest.CaptureFixture[str]) -> None:
    assert service_main.main(["geocoder"]) == 2
    assert capsys.readouterr().err == (
        "playground.services geocoder: needs --cert (its key and certificate)\n"
    )


def test_a_service_that_cannot_listen_says_so(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        argv = ["dns", "--address", "127.0.0.1"]
        argv += ["--port", f"dns={port}", "--port", f"dns-tcp={port}"]
        assert service_main.main(argv) == 1
    assert capsys.readouterr().err == (
        "playground.services dns: cannot listen: Address already in use\n"
    )


def test_a_service_says_where_it_listens_and_stops_on_ctrl_c(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]

    def stop_once_listening() -> None:
        # Ctrl-C only once main() has its handler and the port accepts: a
        # signal before that would be lost (or meet pytest's handler), and
        # on a loaded machine the service can take seconds to start.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if signal.getsignal(signal.SIGINT) is not before:
                with contextlib.suppress(OSError):
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
            time.sleep(0.01)
        # To the main thread itself: a signal for the process may be handed
        # to another thread, and then the main thread, asleep in main()'s
        # wait, never wakes to run the handler (under xdist, 1 run in 5).
        signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)

    before = signal.getsignal(signal.SIGINT)
    killer = threading.Thread(target=stop_once_listening)
    killer.start()
    argv = ["dns", "--address", "127.0.0.1"]
    argv += ["--port", f"dns={port}", "--port", f"dns-tcp={port}"]
    try:
        assert service_main.main(argv) == 0
    finally:
        killer.join()
    # The DNS server also logs the probe's empty TCP request, from its own
    # thread: sometimes before the service's first line, which the probe can
    # beat (CI, 3.13.0). The service's own lines are the first and the last.
    lines = capsys.readouterr().err.splitlines()
    ours = [line for line in lines if line.startswith("playground.services dns: ")]
    assert ours[0] == f"playground.services dns: listening (dns {port}, dns-tcp {port})"
    assert ours[-1] == "playground.services dns: stopped"
    assert signal.getsignal(signal.SIGINT) == before  # handed back


def test_a_program_service_runs_only_as_a_program(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    program = services.Service(
        "echo", "x", "h1", (), command=lambda ctx: ["true"], loopback=False
    )
    monkeypatch.setattr(services, "REGISTRY", (*services.REGISTRY, program))
    assert service_main.main(["echo"]) == 2
    assert "starts as a program" in capsys.readouterr().err


# -- DNS ------------------------------------------------------------------------


def ask(zone: dns.Zone, name: str, qtype: str) -> DNSRecord:
    return zone.answer(DNSRecord.question(name, qtype))


def test_dns_answers_cname_and_ns_questions() -> None:
    zone = dns.Zone()
    cname = ask(zone, "geocoder.example.com", "CNAME")
    assert [(QTYPE[r.rtype], str(r.rdata)) for r in cname.rr] == [
        ("CNAME", "www.example.com.")
    ]
    ns = ask(zone, "example.net", "NS")
    assert [(QTYPE[r.rtype], str(r.rdata)) for r in ns.rr] == [
        ("NS", "ns.example.com.")
    ]
    assert RCODE[ns.header.rcode] == "NOERROR"


def test_dns_refuses_a_record_type_it_does_not_know() -> None:
    zone = dns.Zone([("note.example.com", "TXT", "hello")])
    with pytest.raises(ValueError, match=r"^no record type TXT$"):
        ask(zone, "note.example.com", "TXT")


# -- what tests/playground/test_net.py sees as root, here without it ----------
# A machine without root or namespaces skips test_net.py's playground; these
# keep the same code under test there, with the system calls replaced.


def test_dns_answers_ptr_and_mx_questions() -> None:
    zone = dns.Zone()
    ptr = ask(zone, "80.113.0.203.in-addr.arpa", "PTR")
    assert [str(r.rdata) for r in ptr.rr] == ["www.example.com."]
    mx = ask(zone, "example.com", "MX")
    assert [str(r.rdata) for r in mx.rr] == ["10 mail.example.com."]


@pytest.fixture
def all_up(net: Network, monkeypatch: pytest.MonkeyPatch) -> Network:
    """Every namespace "exists" (a link to this process's own network
    namespace) and every service "runs" as this process."""
    namespaces.NETNS_RUN.mkdir()
    for h in topology.HOSTS:
        (namespaces.NETNS_RUN / net.ns(h.name)).symlink_to("/proc/self/ns/net")
    net.run_dir.mkdir(parents=True)
    net.state_file.write_text(json.dumps({"processes": everything(net, os.getpid())}))
    return net


def test_is_up_when_every_service_runs_in_its_namespace(all_up: Network) -> None:
    assert all_up.is_up() is True


def test_up_when_already_up_changes_nothing(
    all_up: Network, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(all_up, "down", pytest.fail)
    assert all_up.up() is False


def test_status_reports_each_host_and_service(
    all_up: Network, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Only the web servers' and SSH's ports are open.
    web = {("tcp", 80), ("tcp", 443), ("tcp", 22)}
    monkeypatch.setattr(readiness, "listening", lambda pid: web)
    monkeypatch.setattr(
        status, "addresses", lambda prefix, hosts: {h: [f"{h} addr"] for h in hosts}
    )
    rows = {row.host: row for row in all_up.status()}
    assert set(rows) == {h.name for h in topology.HOSTS}
    assert rows["www"].healthy and rows["www"].addresses == ["www addr"]
    assert rows["www"].services[0] == ("geocoder tcp/80+tcp/443", True)
    assert rows["h1"].healthy  # its one service, SSH, listens
    assert not rows["backbone"].healthy  # the DNS server's port is closed
    assert rows["backbone"].services == [
        ("dns udp/53+tcp/53", False),
        ("ssh-backbone tcp/22", True),
    ]


def test_exec_on_no_such_host_or_a_host_that_is_down(net: Network) -> None:
    with pytest.raises(NetError, match=r"^no host 'h99' in the playground \(hosts: "):
        net.exec_argv("h99", ["true"])
    with pytest.raises(NetError) as caught:
        net.exec_argv("h1", ["true"])
    assert str(caught.value) == "host h1 is not up (start it: sudo make playground-up)"


@pytest.mark.parametrize(
    ("built", "first"),
    [
        (True, r"network playground up in \d+\.\d s \(powc-\* namespaces\)"),
        (False, r"network playground already up"),
    ],
)
def test_cli_up(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    built: bool,
    first: str,
) -> None:
    monkeypatch.setattr(Network, "up", lambda self: built)
    assert cli.main(["--prefix", "powc-", "up"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert re.fullmatch(first, out[0])
    assert (
        out[1] == f"try: sudo {sys.executable} -m playground.net exec h1 -- {cli.TRY}"
    )


@pytest.mark.parametrize(
    ("removed", "said"),
    [
        (12, r"network playground down in \d+\.\d s \(12 namespaces\)"),
        (0, r"network playground was not up: nothing to remove"),
    ],
)
def test_cli_down(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    removed: int,
    said: str,
) -> None:
    monkeypatch.setattr(Network, "down", lambda self: removed)
    assert cli.main(["--prefix", "powc-", "down"]) == 0
    assert re.fullmatch(said, capsys.readouterr().out.strip())


@pytest.mark.parametrize(
    ("rows", "code", "last"),
    [
        ([HostStatus("h1", False, [], [])], 1, "the network playground is down"),
        (
            [HostStatus("h1", True, ["192.168.1.11/24 eth0", "fe80::1/64 eth0"], [])],
            0,
            "all hosts and services are up",
        ),
    ],
)
def test_cli_status_down_or_all_up(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    rows: list[HostStatus],
    code: int,
    last: str,
) -> None:
    monkeypatch.setattr(Network, "status", lambda self: rows)
    assert cli.main(["--prefix", "powc-", "status"]) == code
    out = capsys.readouterr().out.splitlines()
    assert out[-1].startswith(last)


class Exec(Exception):
    """Stands for os.execvpe, which never returns."""


def test_cli_exec_replaces_itself_with_the_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def execvpe(file: str, argv: list[str], env: dict[str, str]) -> None:
        raise Exec(file, argv, env["SSL_CERT_FILE"])

    monkeypatch.setattr(
        Network,
        "exec_argv",
        lambda self, host, command: (
            ["ip", "netns", "exec", self.ns(host), *command],
            {"SSL_CERT_FILE": "ca.pem"},
        ),
    )
    monkeypatch.setattr(cli.os, "execvpe", execvpe)
    with pytest.raises(Exec) as caught:
        cli.main(["--prefix", "powc-", "exec", "h1", "--", "getent", "hosts", "www"])
    assert caught.value.args == (
        "ip",
        ["ip", "netns", "exec", "powc-h1", "getent", "hosts", "www"],
        "ca.pem",
    )
