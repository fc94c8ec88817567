"""The network playground (playground.net): twelve hosts in namespaces.

Most tests here need root and Linux network namespaces (as in CI); elsewhere
they are skipped with the reason. They build one playground for the whole
module, under their own namespace prefix (``powt<PID>-``) and state folder,
so a reader's running playground (``pow-``) and other test runs are left
alone, and they always tear it down, checking that ``ip netns list`` and
``ip -o link`` are exactly as they were before (other runs' playgrounds,
which may come and go meanwhile, aside).

About the network guard: this process talks to the playground only through
``ip`` and ``python -m playground.net`` subprocesses, never through sockets
of its own (it could not anyway: no route leads from the host's namespace
into the playground). The commands the tests run *inside* the namespaces,
listings included, run without the guard on their ``PYTHONPATH``: the guard
allows only loopback, and here the listings must reach www.example.com and
the DNS server at 192.0.2.53. Their traffic cannot leave the namespaces by
construction: no link, address or route connects the playground to the
host's network (``test_nothing_leads_out`` checks the routes), and the
playground's DNS answers every name outside it with "no such name".
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from playground import services
from playground.net import build, topology
from playground.net.__main__ import main
from playground.net.figure import dot
from tools import childenv

ROOT = Path(__file__).resolve().parents[2]
PREFIX = f"powt{os.getpid()}-"
COORDINATES = "41.521954, -84.306691"


def _can_use_netns() -> str | None:
    """Why the playground cannot run here, or None if it can."""
    try:
        build.check_support(("ip", "nft", "tracepath", "tcpdump"))
    except build.NetError as exc:
        return str(exc)
    probe = f"{PREFIX}probe-{os.getpid()}"
    made = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True)
    if made.returncode != 0:
        return f"ip netns add fails here: {made.stderr.strip()}"
    subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    return None


WHY_NOT = _can_use_netns()
needs_netns = [
    pytest.mark.netns,
    pytest.mark.skipif(WHY_NOT is not None, reason=f"network playground: {WHY_NOT}"),
]


def child_env() -> dict[str, str]:
    """This environment without the network guard on PYTHONPATH (see above)."""
    return childenv.unguarded()


def snapshot() -> tuple[str, str]:
    """This run's namespaces, and the host namespace's links, as ``ip`` lists them."""
    netns = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True)
    links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True)
    # Only this run's namespaces: other runs (parallel test workers, other
    # people's playgrounds on the same machine) come and go meanwhile.
    ours = [line for line in netns.stdout.splitlines() if line.startswith(PREFIX)]
    return "\n".join(ours), links.stdout


class Net:
    """Runs ``python -m playground.net`` for the tests' own playground."""

    def __init__(self, state: Path) -> None:
        self.state = state

    def cli(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        argv = [sys.executable, "-m", "playground.net", "--prefix", PREFIX]
        return subprocess.run(
            [*argv, "--state", str(self.state), *args],
            capture_output=True,
            text=True,
            encoding="utf-8",
            env=child_env(),
            cwd=ROOT,
            timeout=timeout,
        )

    def on(self, host: str, *command: str) -> subprocess.CompletedProcess[str]:
        """Run *command* on *host* (the project's Python is ``python3`` there)."""
        return self.cli("exec", host, "--", *command)

    def python(self, host: str, code: str) -> subprocess.CompletedProcess[str]:
        return self.on(host, "python3", "-c", code)

    def listing(
        self, host: str, name: str, *args: str
    ) -> subprocess.CompletedProcess[str]:
        return self.on(host, "python3", str(ROOT / "listings" / name), *args)


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Net]:
    """The playground, up for this module, always torn down afterwards."""
    if WHY_NOT is not None:
        pytest.skip(f"network playground: {WHY_NOT}")
    playground = Net(tmp_path_factory.mktemp("netplay"))
    playground.cli("down")  # what an earlier, interrupted run may have left
    before = snapshot()
    try:
        start = time.monotonic()
        done = playground.cli("up")
        playground.up_seconds = time.monotonic() - start  # type: ignore[attr-defined]
        assert done.returncode == 0, done.stderr
        yield playground
    finally:
        gone = playground.cli("down")
        assert gone.returncode == 0, gone.stderr
        assert snapshot() == before, "the playground left namespaces or links behind"


def whoami(net: Net, host: str) -> str:
    """The client address www sees when *host* asks it over HTTP."""
    code = (
        "import urllib.request\n"
        "url = 'http://www.example.com/_playground/whoami'\n"
        "print(urllib.request.urlopen(url, timeout=9).read().decode())"
    )
    done = net.python(host, code)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()[0]


# -- without root -------------------------------------------------------------


def test_dot_draws_every_host_and_link() -> None:
    text = dot()
    for h in topology.HOSTS:
        assert re.search(rf"^\s+{h.name} \[label=", text, re.M), h.name
    assert text.count(" -- ") == len(topology.LINKS)
    assert "MTU 1492" in text and "198.51.100.4/30" in text


def test_dot_command_needs_no_root(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dot"]) == 0
    assert capsys.readouterr().out == dot()


@pytest.mark.parametrize(
    "command", [["up"], ["down"], ["status"], ["exec", "h1", "--", "true"]]
)
def test_without_root_one_line_and_nonzero(
    command: list[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert main(command) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and "need root" in captured.err


def test_without_namespaces_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "platform", "darwin")
    assert main(["status"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no Linux network namespaces" in err


def test_addresses_are_documentation_or_private() -> None:
    import ipaddress

    home = ipaddress.ip_network("192.168.1.0/24")
    for h in topology.HOSTS:
        for _iface, cidr in topology.addresses(h.name):
            ip = ipaddress.ip_interface(cidr).ip
            assert ip in home or any(ip in n for n in topology.PUBLIC), (h.name, cidr)


# -- the playground itself -----------------------------------------------------


class TestPlayground:
    """In file order: the last test takes the playground down."""

    pytestmark = needs_netns

    # How fast `up` is (cold, and again when already up) is a speed target:
    # `make bench` measures and reports it (tools/bench.py, "network playground").
    def test_up_is_fast_and_status_shows_everything(self, net: Net) -> None:
        done = net.cli("status")
        assert done.returncode == 0, done.stdout + done.stderr
        for h in topology.HOSTS:
            assert re.search(rf"^{h.name}\s", done.stdout, re.M), h.name
        assert "203.0.113.80/24 eth0" in done.stdout
        assert "198.51.100.6/30 wan" in done.stdout
        assert "geocoder tcp/80+tcp/443 up" in done.stdout
        assert "smtp tcp/25 up" in done.stdout and "ftp tcp/21 up" in done.stdout
        assert "dns udp/53+tcp/53 up" in done.stdout
        assert done.stdout.rstrip().endswith("all hosts and services are up")

    def test_up_again_is_harmless_and_quick(self, net: Net) -> None:
        done = net.cli("up")
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith("network playground already up")  # no rebuild
        assert whoami(net, "h2") == "198.51.100.2"

    def test_nat_www_sees_the_modems_address(self, net: Net) -> None:
        assert whoami(net, "h1") == "198.51.100.2"  # modemA, not 192.168.1.11
        assert whoami(net, "h4") == "198.51.100.6"  # modemB, not 192.168.1.11
        assert whoami(net, "isp") == "192.0.2.2"  # no NAT: its own outgoing address

    def test_capture_on_the_modem_shows_the_rewrite(self, net: Net) -> None:
        ns = PREFIX + "modemA"
        syn = (
            "port 80 and tcp[tcpflags] & tcp-syn != 0 and tcp[tcpflags] & tcp-ack == 0"
        )
        capture = subprocess.Popen(
            [
                "ip",
                "netns",
                "exec",
                ns,
                "tcpdump",
                "-l",
                "-n",
                "-c",
                "3",
                "-i",
                "any",
                syn,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert capture.stderr is not None
            heard = [capture.stderr.readline() for _ in range(3)]
            assert any("listening on" in line for line in heard), heard
            whoami(net, "h3")
            out, _ = capture.communicate(timeout=10)
        finally:
            capture.kill()
            capture.wait()
        # The same SYN three times: on the port to h3, on the LAN bridge, and
        # leaving through wan with the modem's address instead of h3's.
        seen = {line.split()[1]: line for line in out.splitlines()}
        assert set(seen) == {"h3", "lan", "wan"}, out
        assert "IP 192.168.1.13." in seen["lan"] and "> 203.0.113.80.80:" in seen["lan"]
        assert "IP 198.51.100.2." in seen["wan"] and "> 203.0.113.80.80:" in seen["wan"]

    def test_getname_from_h1(self, net: Net) -> None:
        done = net.listing("h1", "chapter01/getname.py", "www.example.com")
        assert done.returncode == 0, done.stderr
        assert done.stdout.split() == ["IPv4", "203.0.113.80"]

    def test_names_outside_the_playground_do_not_exist(self, net: Net) -> None:
        done = net.listing("h1", "chapter01/getname.py", "www.python.org")
        assert done.returncode != 0
        assert done.stdout == ""
        assert (
            done.stderr.count("\n") == 1
            and "cannot resolve www.python.org" in done.stderr
        )

    @pytest.mark.parametrize(
        ("name", "qtype", "expected"),
        [
            ("example.com", "MX", "example.com. MX 10 mail.example.com."),
            (
                "geocoder.example.com",
                "A",
                (
                    "geocoder.example.com. CNAME www.example.com."
                    "|www.example.com. A 203.0.113.80"
                ),
            ),
            (
                "smtp.example.com",
                "A",
                (
                    "smtp.example.com. CNAME mail.example.com."
                    "|mail.example.com. A 203.0.113.25"
                ),
            ),
            ("ftp.example.com", "A", "ftp.example.com. A 203.0.113.21"),
            (
                "80.113.0.203.in-addr.arpa",
                "PTR",
                "80.113.0.203.in-addr.arpa. PTR www.example.com.",
            ),
        ],
    )
    def test_dns_records(self, net: Net, name: str, qtype: str, expected: str) -> None:
        code = (
            "from dnslib import DNSRecord, QTYPE\n"
            f"q = DNSRecord.question({name!r}, {qtype!r})\n"
            f"r = DNSRecord.parse(q.send({topology.DNS_ADDRESS!r}, 53, timeout=5))\n"
            "print('|'.join(f'{x.rname} {QTYPE[x.rtype]} {x.rdata}' for x in r.rr))"
        )
        done = net.python("h4", code)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == expected

    @pytest.mark.parametrize(
        "listing", ["search1.py", "search2.py", "search3.py", "search4.py"]
    )
    def test_search_listings_over_https_from_h1(self, net: Net, listing: str) -> None:
        done = net.listing(
            "h1", f"chapter01/{listing}", "--server", "https://www.example.com"
        )
        assert done.returncode == 0, done.stderr
        if listing == "search4.py":  # the raw reply: status line, headers, JSON
            assert done.stdout.startswith("HTTP/1.1 200 OK")
            assert (
                '"lat":"41.521954"' in done.stdout
                and '"lon":"-84.306691"' in done.stdout
            )
        else:
            assert done.stdout.strip() == COORDINATES

    def test_search4_over_http_from_h4(self, net: Net) -> None:
        done = net.listing(
            "h4", "chapter01/search4.py", "--server", "http://www.example.com"
        )
        assert done.returncode == 0, done.stderr
        assert (
            done.stdout.startswith("HTTP/1.1 200 OK")
            and '"lat":"41.521954"' in done.stdout
        )

    def test_https_is_verified(self, net: Net) -> None:
        """With a trust store that lacks the playground CA, the certificate is
        refused: verification is on (h1's own /etc/ssl trusts the CA)."""
        done = net.on(
            "h1",
            "env",
            "-u",
            "REQUESTS_CA_BUNDLE",
            "SSL_CERT_FILE=/dev/null",
            "SSL_CERT_DIR=/nonexistent",
            "python3",
            str(ROOT / "listings/chapter01/search3.py"),
            "--server",
            "https://www.example.com",
        )
        assert done.returncode != 0
        assert done.stdout == ""
        assert done.stderr.count("\n") == 1 and "certificate" in done.stderr

    def test_path_mtu_from_h4_is_1492(self, net: Net) -> None:
        done = net.on("h4", "tracepath", "-n", "www.example.com")
        assert done.returncode == 0, done.stderr
        assert re.search(r"Resume: pmtu 1492 hops 5\b", done.stdout), done.stdout
        assert "192.168.1.1 " in done.stdout and "pmtu 1492" in done.stdout

    def test_path_mtu_from_h1_is_1500(self, net: Net) -> None:
        done = net.on("h1", "tracepath", "-n", "203.0.113.80")
        assert done.returncode == 0, done.stderr
        assert re.search(r"Resume: pmtu 1500 hops 5\b", done.stdout), done.stdout

    @pytest.mark.parametrize(
        ("server", "port", "greeting"),
        [
            ("mail.example.com", 25, "220 mail.example.com ESMTP Postfix"),
            ("ftp.example.com", 21, "220 ftp.example.com FTP server (vsftpd) ready."),
        ],
    )
    def test_mail_and_ftp_greet(
        self, net: Net, server: str, port: int, greeting: str
    ) -> None:
        """The machine room's daemons (tests/playground/test_machine_room.py
        tries each with its real clients)."""
        code = (
            "import socket\n"
            f"s = socket.create_connection(({server!r}, {port}), timeout=5)\n"
            "print(s.makefile('rb').readline().decode().strip())\n"
        )
        done = net.python("h2", code)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == greeting

    def test_nothing_leads_out(self, net: Net) -> None:
        """No namespace has a route beyond the playground's own networks."""
        for h in ("backbone", "isp", "h1", "www"):
            done = net.on(h, "ip", "route", "get", "8.8.8.8")
            routed_in = "via" in done.stdout
            if h == "backbone":
                assert done.returncode != 0 and "unreachable" in done.stderr.lower()
            else:  # towards the backbone, which knows no route onwards
                assert routed_in, done.stdout + done.stderr
        assert PREFIX not in snapshot()[1]  # no link of ours in the host's namespace

    def test_exec_unknown_host_one_line(self, net: Net) -> None:
        done = net.on("h9", "true")
        assert done.returncode == 2
        assert done.stderr.count("\n") == 1 and "no host 'h9'" in done.stderr

    def test_down_twice_and_after_a_crash(self, net: Net) -> None:
        """Runs last: down, down again, then up and a crash (lost state file)."""
        first = net.cli("down")
        assert first.returncode == 0 and "12 namespaces" in first.stdout, first.stderr
        second = net.cli("down")
        assert second.returncode == 0 and "nothing to remove" in second.stdout
        status = net.cli("status")
        assert status.returncode == 1 and "down" in status.stdout
        gone = net.on("h1", "true")
        assert gone.returncode == 2 and gone.stderr.count("\n") == 1

        assert net.cli("up").returncode == 0
        run_dir = net.state / f"net-{PREFIX.rstrip('-')}"
        state = json.loads((run_dir / "state.json").read_text())
        pids = [p["pid"] for p in state["processes"]]
        assert len(pids) == len(services.REGISTRY)
        (run_dir / "state.json").unlink()  # as if up had crashed before writing it
        os.kill(pids[0], signal.SIGKILL)  # and a service had died
        again = net.cli("down")
        assert again.returncode == 0 and "12 namespaces" in again.stdout
        assert not [p for p in pids if build.alive(p)]
        assert not list(Path("/etc/netns").glob(f"{PREFIX}*"))
