"""The registry of playground services (playground.services) and the
loopback runner (playground.loopback): every declaration is sound, and a
service that starts as a program is started, found ready, and stopped."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import pytest

from playground import services
from playground.loopback import Playground
from playground.net import topology
from playground.services.spec import Context, Port, Service


def test_every_service_is_declared_soundly() -> None:
    names = [s.name for s in services.REGISTRY]
    assert len(names) == len(set(names))
    hosts = {h.name for h in topology.HOSTS}
    records = {name for name, _type, _value in topology.dns_records()}
    for service in services.REGISTRY:
        assert service.host in hosts, service.name
        assert service.ports, service.name
        assert len({p.name for p in service.ports}) == len(service.ports)
        # Each name on its certificate is a name the playground's DNS knows,
        # so a client in the playground can reach it by that name.
        for name in service.certificate:
            assert name in records, (service.name, name)
        # A port that speaks TLS from its first byte needs a certificate (a
        # service that upgrades with STARTTLS or AUTH TLS has one too).
        if any(p.tls for p in service.ports):
            assert service.certificate, service.name


def test_a_name_not_in_the_registry() -> None:
    with pytest.raises(KeyError, match=r"no service 'nope' .*services: geocoder"):
        services.named("nope")
    with pytest.raises(KeyError, match="geocoder has no port 'ssh'"):
        services.named("geocoder").port("ssh")
    with pytest.raises(ValueError, match="declare serve or command"):
        Service("both", "x", "www", ())


def test_services_on_a_host() -> None:
    assert [s.name for s in services.on_host("backbone")] == ["dns", "ssh-backbone"]
    assert [s.name for s in services.on_host("h1")] == ["ssh-h1"]


ECHO = """\
import socket, sys
server = socket.create_server(("127.0.0.1", int(sys.argv[1])))
print("echo: ready", flush=True)
while True:
    conn, _ = server.accept()
    with conn:
        conn.sendall(conn.recv(100))
"""


def echo_command(ctx: Context) -> list[str]:
    script = ctx.work / "echo.py"
    script.write_text(ECHO)
    return [sys.executable, str(script), str(ctx.ports["echo"])]


ECHO_SERVICE = Service(
    name="echo",
    summary="echoes one message",
    host="www",
    ports=(Port("echo", "tcp", 7),),
    command=echo_command,
    ready=r"^echo: ready$",
)


@pytest.fixture
def with_echo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(services, "REGISTRY", (*services.REGISTRY, ECHO_SERVICE))


@pytest.mark.usefixtures("with_echo")
def test_a_program_service_on_loopback(tmp_path: Path) -> None:
    with Playground(state_dir=tmp_path, services=["echo", "dns"]) as pg:
        host, port = pg.address("echo", "echo")
        assert port != 7  # a free port, not the declared one
        with socket.create_connection((host, port), timeout=5) as conn:
            conn.sendall(b"hello")
            assert conn.recv(100) == b"hello"
        env = pg.child_env({})
        assert env["PLAYGROUND_ECHO_ECHO"] == f"127.0.0.1:{port}"
        assert env["PLAYGROUND_DNS_DNS_TCP"] == env["PLAYGROUND_DNS_DNS"]
        assert "GEOCODER_URL" not in env
        assert pg.listening()[0] == f"127.0.0.1:{port}  echo (echo, tcp)"
    with pytest.raises(OSError):  # stopped: nothing listens there any more
        socket.create_connection((host, port), timeout=1)


def broken_command(ctx: Context) -> list[str]:
    return [sys.executable, "-c", "print('no config here'); raise SystemExit(1)"]


def test_a_program_that_dies_is_named_with_its_last_words(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = Service(
        "broken", "x", "www", (Port("b", "tcp", 9),), command=broken_command
    )
    monkeypatch.setattr(services, "REGISTRY", (broken,))
    pg = Playground(state_dir=tmp_path, services=["broken"])
    with pytest.raises(OSError, match=r"^broken did not get ready: no config here$"):
        pg.start()


def test_a_network_only_service_is_refused_on_loopback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    only = Service("room", "x", "www", (), command=broken_command, loopback=False)
    monkeypatch.setattr(services, "REGISTRY", (only,))
    with pytest.raises(ValueError, match="room runs only in the network playground"):
        Playground(state_dir=tmp_path, services=["room"])


class _Places:
    """Stands in for the gazetteer: counts the alternate-name indexings."""

    def __init__(self) -> None:
        import threading

        self.indexed = threading.Event()

    def alternates(self) -> dict[str, list[object]]:
        self.indexed.set()
        return {}


class _Server:
    server_address = ("127.0.0.1", 0)

    def serve_forever(self, poll_interval: float) -> None:
        pass

    def shutdown(self) -> None:
        pass

    def server_close(self) -> None:
        pass


@pytest.mark.parametrize("early", [True, False])
def test_the_geocoder_indexes_alternate_names_after_serving_a_while(
    monkeypatch: pytest.MonkeyPatch, early: bool
) -> None:
    from playground.services import geocoder
    from playground.wire import Recorder

    monkeypatch.setattr(geocoder, "EARLY_INDEX_DELAY", 0.0)
    places = _Places()
    run = geocoder.GeocoderRun([_Server(), _Server()], Recorder(), places, early)  # type: ignore[arg-type,list-item]
    run.start()
    try:
        assert places.indexed.wait(10 if early else 0.5) is early
    finally:
        run.stop()


def test_a_geocoder_stopped_before_the_delay_never_indexes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A short run (one quick command) spends no CPU on the alternate names."""
    from playground.services import geocoder
    from playground.wire import Recorder

    monkeypatch.setattr(geocoder, "EARLY_INDEX_DELAY", 3600.0)
    places = _Places()
    run = geocoder.GeocoderRun([_Server(), _Server()], Recorder(), places, True)  # type: ignore[arg-type,list-item]
    run.start()
    run.stop()
    assert run.indexer is not None
    run.indexer.join(10)  # cancelled: it ends without calling
    assert not run.indexer.is_alive()
    assert not places.indexed.is_set()
