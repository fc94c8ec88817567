"""Fixtures shared by the whole suite: the network guard, the playground,
and a runner for listings as a reader runs them (a separate process)."""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from playground.services import Playground

ROOT = Path(__file__).resolve().parent.parent
GUARD = ROOT / "tests" / "netguard"
LISTINGS = ROOT / "listings"

# Guard this process too: the same module the child processes load.
_spec = importlib.util.spec_from_file_location("netguard", GUARD / "sitecustomize.py")
assert _spec and _spec.loader
netguard = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(netguard)

# Deprecations in the project's own code are errors in child processes too
# (pyproject.toml's filterwarnings cover this process only). A listing runs as
# __main__; the playground's services import playground.*. PYTHONWARNINGS
# matches a module's whole name, so every one of ours is named.
_OURS = ["__main__"] + [
    ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
    for top in ("listings", "playground", "tools")
    for path in sorted((ROOT / top).rglob("*.py"))
]
_FILTERS = [
    *os.environ.get("PYTHONWARNINGS", "").split(","),
    *(
        f"error::{category}:{module}"
        for category in ("DeprecationWarning", "PendingDeprecationWarning")
        for module in _OURS
    ),
]
os.environ["PYTHONWARNINGS"] = ",".join(dict.fromkeys(filter(None, _FILTERS)))


@pytest.fixture(autouse=True)
def network_guard(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """Fail any test during which this process or a child tried to leave loopback."""
    log = tmp_path_factory.mktemp("netguard") / "violations.txt"
    monkeypatch.setenv("NETGUARD_LOG", str(log))
    yield log
    if log.exists() and log.read_text():
        pytest.fail(f"the test tried to reach beyond loopback:\n{log.read_text()}")


@pytest.fixture(scope="session")
def playground(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Playground]:
    """The geocoder on ephemeral loopback ports, HTTP and HTTPS, with its own CA."""
    state = tmp_path_factory.mktemp("playground")
    with Playground(state_dir=state, client_timeout=2.0, slow_delay=3.0) as pg:
        yield pg


@pytest.fixture(scope="session")
def silent_port() -> Iterator[int]:
    """A loopback port that accepts connections and then never says a word."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        held: list[socket.socket] = []
        stop = threading.Event()

        def accept() -> None:
            server.settimeout(0.2)
            while not stop.is_set():
                try:
                    held.append(server.accept()[0])
                except TimeoutError:
                    continue

        thread = threading.Thread(target=accept, daemon=True)
        thread.start()
        yield server.getsockname()[1]
        stop.set()
        thread.join()
        for conn in held:
            conn.close()


@pytest.fixture(scope="session")
def closed_port() -> int:
    """A loopback port nothing listens on (connections are refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def listing_env(playground: Playground | None = None, **extra: str) -> dict[str, str]:
    """The environment a listing runs in under test: guarded, UTF-8, and
    trusting the playground's CA when a playground is given."""
    env = playground.child_env() if playground else dict(os.environ)
    for name in ("GEOCODER_URL", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE"):
        if playground is None:
            env.pop(name, None)
    env["PYTHONPATH"] = os.pathsep.join([str(GUARD), str(ROOT)])
    env["PYTHONIOENCODING"] = "utf-8"
    env["PYTHONUTF8"] = "1"
    env.update(extra)
    return env


def run_listing(
    name: str,
    *args: str,
    playground: Playground | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    """Run ``listings/NAME`` (for example ``chapter01/search2.py``) as a reader
    would, in a separate process, and return its exit status and output."""
    return subprocess.run(
        [sys.executable, str(LISTINGS / name), *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env if env is not None else listing_env(playground),
        timeout=timeout,
        cwd=ROOT,
    )
