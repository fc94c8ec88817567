"""Hold lines and branches, each on its own, to the coverage floor.

    python -m tools.coverage_floor     after the tests (``make coverage``)

coverage.py's own ``fail_under`` judges one figure that pools lines and
branches, so many covered lines can hide untested branches. This reads the
data the test run left (``.coverage``) and fails unless the share of lines
*and* the share of branches each reach ``fail_under`` from
``[tool.coverage.report]`` in ``pyproject.toml``. It prints both figures.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import coverage


def totals(data_file: str = ".coverage") -> dict[str, float]:
    """The totals of coverage.py's JSON report for *data_file*."""
    cov = coverage.Coverage(data_file=data_file)
    cov.load()
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "coverage.json"
        cov.json_report(outfile=str(out))
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


def main() -> int:
    option = coverage.Coverage().get_option("report:fail_under")
    floor = float(option) if isinstance(option, int | float) else 0.0
    try:
        ok, line = verdict(totals(), floor)
    except coverage.CoverageException as exc:
        print(f"coverage_floor: {exc} (run the tests with --cov)", file=sys.stderr)
        return 2
    print(line if ok else f"{line}: FAILED", file=sys.stdout if ok else sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
