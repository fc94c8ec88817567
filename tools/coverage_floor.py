"""Hold lines and branches, each on its own, to the coverage floor.

    python -m tools.coverage_floor          after the tests (``make coverage``)
    python -m tools.coverage_floor --full   the same, nothing left out (CI)

coverage.py's own ``fail_under`` judges one figure that pools lines and
branches, so many covered lines can hide untested branches. This reads the
data the test run left (``.coverage``) and fails unless the share of lines
*and* the share of branches each reach ``fail_under`` from
``[tool.coverage.report]`` in ``pyproject.toml``. It prints both figures.

Some code runs only in the network playground (Linux network namespaces,
which need root, ``ip``, ``nft`` and ``ethtool``); on a machine without them its tests
skip, saying why. There, and only there, the files listed in
``[tool.coverage_floor] network_only`` are left out of the figures, and the
line says which and why; with ``--full`` (CI, which runs as root with every
Debian package) nothing is left out, whatever the machine.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import tomllib
from pathlib import Path

import coverage

from tools.paths import ROOT


def network_only() -> list[str]:
    """The files only the network playground's tests reach (pyproject.toml)."""
    settings = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    listed: list[str] = settings["tool"]["coverage_floor"]["network_only"]
    return listed


def why_no_network() -> str | None:
    """Why the network playground cannot run here (None when it can)."""
    from playground.net.system import NetError, check_support

    try:
        check_support(("ip", "nft", "ethtool"))  # what `up` needs
    except NetError as exc:
        return str(exc)
    return None


def totals(
    data_file: str = ".coverage", omit: list[str] | None = None
) -> dict[str, float]:
    """The totals of coverage.py's JSON report for *data_file*, less *omit*."""
    cov = coverage.Coverage(data_file=data_file)
    cov.load()
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "coverage.json"
        cov.json_report(outfile=str(out), omit=omit)
        report = json.loads(out.read_text(encoding="utf-8"))
    result: dict[str, float] = report["totals"]
    return result


def verdict(numbers: dict[str, float], floor: float) -> tuple[bool, str]:
    """Whether *numbers* (JSON report totals) reach *floor*, and a line saying so.

    >>> ok, line = verdict({"covered_lines": 96, "num_statements": 100,
    ...                     "covered_branches": 47, "num_branches": 50}, 95.0)
    >>> ok, line
    (False, 'coverage: lines 96.0% (96/100), branches 94.0% (47/50); floor 95%')
    """
    lines = 100.0 * numbers["covered_lines"] / max(numbers["num_statements"], 1)
    branches = 100.0 * numbers["covered_branches"] / max(numbers["num_branches"], 1)
    line = (
        f"coverage: lines {lines:.1f}% "
        f"({numbers['covered_lines']:.0f}/{numbers['num_statements']:.0f}), "
        f"branches {branches:.1f}% "
        f"({numbers['covered_branches']:.0f}/{numbers['num_branches']:.0f}); "
        f"floor {floor:g}%"
    )
    return lines >= floor and branches >= floor, line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.coverage_floor")
    parser.add_argument("--full", action="store_true", help="leave nothing out")
    args = parser.parse_args(argv)
    option = coverage.Coverage().get_option("report:fail_under")
    floor = float(option) if isinstance(option, int | float) else 0.0
    why = None if args.full else why_no_network()
    omit = network_only() if why else None
    if why:
        print(
            f"coverage floor without the network playground ({why}): left out"
            f" {', '.join(network_only())}, which only its tests reach; CI, as root"
            " with make system-deps, holds the floor over everything"
        )
    try:
        ok, line = verdict(totals(omit=omit), floor)
    except coverage.CoverageException as exc:
        print(f"coverage_floor: {exc} (run the tests with --cov)", file=sys.stderr)
        return 2
    print(line if ok else f"{line}: FAILED", file=sys.stdout if ok else sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
