"""The coverage floor: lines and branches each held to it, and on a machine
without the network playground, its files left out, saying which and why."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from playground import services
from tools import coverage_floor

FULL = {"covered_lines": 96, "num_statements": 100,
        "covered_branches": 48, "num_branches": 50}  # fmt: skip


@pytest.fixture
def asked(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """What the floor asked coverage.py to leave out, call by call."""
    calls: list[Any] = []

    def totals(data_file: str = ".coverage", omit: Any = None) -> dict[str, float]:
        calls.append(omit)
        return FULL

    monkeypatch.setattr(coverage_floor, "totals", totals)
    return calls


def test_without_the_network_playground_its_files_are_left_out_and_named(
    asked: list[Any], monkeypatch: pytest.MonkeyPatch, capsys
):
    monkeypatch.setattr(coverage_floor, "why_no_network", lambda: "ip is missing")
    assert coverage_floor.main([]) == 0
    assert asked == [coverage_floor.network_only()]
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(
        "coverage floor without the network playground (ip is missing): left out "
        "playground/net/build.py, "
    )
    assert out[0].endswith(
        "CI, as root with make system-deps, holds the floor over everything"
    )
    assert out[1] == "coverage: lines 96.0% (96/100), branches 96.0% (48/50); floor 95%"


def test_full_leaves_nothing_out_whatever_the_machine(
    asked: list[Any], monkeypatch: pytest.MonkeyPatch, capsys
):
    monkeypatch.setattr(coverage_floor, "why_no_network", lambda: "ip is missing")
    assert coverage_floor.main(["--full"]) == 0
    assert asked == [None]
    assert "left out" not in capsys.readouterr().out


def test_every_file_left_out_exists():
    for name in coverage_floor.network_only():
        assert (coverage_floor.ROOT / name).is_file(), name


def test_every_service_that_runs_only_in_the_namespaces_is_left_out_there():
    """A new machine-room service must join the list, or the floor on a
    machine without the network playground would count code it cannot run."""
    listed = set(coverage_floor.network_only())
    for service in services.REGISTRY:
        start = service.command or service.serve
        assert start is not None
        module = sys.modules[start.__module__].__file__
        assert module is not None
        path = Path(module).relative_to(coverage_floor.ROOT).as_posix()
        assert service.loopback or path in listed, (service.name, path)
