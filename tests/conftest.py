"""Fixtures shared by the whole suite: the network guard, the playground,
ports that are silent or closed, and the session tool's runner. Helpers that
are not fixtures (running a listing, the guard module) are in tests/support/."""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from playground.services import Playground
from tests.support.guard import netguard
from tests.support.listings import listing_env, run_listing
from tools import childenv
from tools.paths import LISTINGS, ROOT
from tools.sessions.runner import Runner

# Re-exported for the tests that import them from here.
__all__ = ["LISTINGS", "ROOT", "listing_env", "netguard", "run_listing"]

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

# Tests stop servers with Ctrl-C; a suite started in the background by a
# script would hand every child SIGINT ignored (see default_interrupts).
childenv.default_interrupts()


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


def _session_namespaces() -> list[str]:
    """Namespaces and /etc/netns folders of this process's session network."""
    from tools.sessions.network import net_prefix

    found = []
    for folder in (Path("/run/netns"), Path("/etc/netns")):
        if folder.is_dir():
            found += [str(folder / n) for n in os.listdir(folder)]
    return [n for n in found if Path(n).name.startswith(net_prefix())]


@pytest.fixture(scope="session")
def sessions_runner() -> Iterator[Runner]:
    """The session tool's runner, one for the whole run: a playground on free
    ports, and (from the first host session on) a network playground of its
    own, which must be gone afterwards."""
    with Runner() as runner:
        yield runner
    assert _session_namespaces() == [], "the sessions' network was left behind"


@pytest.hookimpl(tryfirst=True)  # before xdist's own, which reads the groups
def pytest_collection_modifyitems(
    config: pytest.Config, items: list[pytest.Item]
) -> None:
    """Keep the tests that share one network playground on one worker, and
    start them first.

    The suite runs in parallel (pytest-xdist, ``--dist loadgroup``). A
    module's ``netns`` tests share the network it brings up, and the
    sessions share the runner's; split over workers, each worker would build
    a network of its own (safe, since every one has its own prefix, but
    slow: about 4 s up and 2 s down each). So each such module is one group,
    which one worker runs. The groups are the suite's longest units of work,
    so they go first: a group handed out last would keep one worker busy
    while the others sit idle.
    """
    grouped = []
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        if item.get_closest_marker("netns") or "sessions_runner" in fixtures:
            group = item.module.__name__
            item.add_marker(pytest.mark.xdist_group(group))
            _name_group(item, group)
            grouped.append(item)
    if config.getoption("dist", None) == "loadgroup":
        chosen = set(map(id, grouped))
        items[:] = grouped + [i for i in items if id(i) not in chosen]


def _name_group(item: pytest.Item, group: str) -> None:
    """Put *group* in *item*'s node id, where ``--dist loadgroup`` finds it.

    pytest-xdist 3.8 does this itself through ``item._nodeid``, which pytest
    9.2 no longer reads (the id is ``item._id`` now): its groups are silently
    ignored, and every worker brought up the network of each network module.
    """
    if os.environ.get("PYTEST_XDIST_WORKER") is None or "@" in item.nodeid:
        return
    from _pytest.nodeid import NodeId

    item._id = NodeId.parse(f"{item.nodeid}@{group}")  # type: ignore[attr-defined]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say how many browser checks passed on a verdict kept from an earlier
    run of the same files (tests/support/verdicts.py), so that a fast run
    never passes for a full one unremarked."""
    passed = terminalreporter.stats.get("passed", [])
    kept = [r for r in passed if ("verdict", "kept") in r.user_properties]
    if kept:
        terminalreporter.write_line(
            f"{len(kept)} browser checks of unchanged pages passed on the verdicts "
            "kept in build/verdicts/ (make test FRESH=1 runs them again)"
        )
