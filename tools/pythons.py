"""Run the whole test suite under every other Python 3.11+ this machine has.

``make test`` runs the suite in ``.venv``, under the Python that made it.
``make test-pythons`` (this module) finds the other CPython interpreters, one
per version (3.11.2, Debian 12's own, is not 3.11.7: a reader may have
either, and a pinned package may need a newer patch release), each in its
own virtual environment ``.venv-pythons/X.Y.Z`` made from the same
``requirements.txt`` (and made again when that file changes), runs the same
suite under each in turn, and prints one line per Python: its version,
pytest's summary and the wall time.

Where it looks, in order: ``$PYENV_ROOT/versions/*/bin/python3`` (or
``pyenv root``'s, or ``~/.pyenv``'s), then ``python3.11`` ... ``python3.19``
in every folder on ``PATH`` (not only the first of each name, which pyenv's
shims would hide the system's behind). A machine without pyenv and without
such commands has no other Python: that is said in one line, and the run
passes, since ``make test`` has covered the one Python there is.
``--require 3.12,3.13`` makes a missing version a failure instead (CI's
machine has them).

    python -m tools.pythons [--list] [--require X.Y,...] [-- PYTEST-ARGS]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from tools.paths import ROOT

REQUIREMENTS = ROOT / "requirements.txt"
VENVS = ROOT / ".venv-pythons"
OLDEST = (3, 11)
_ASK = "import sys; print(sys.implementation.name, *sys.version_info[:3])"
_SUMMARY = re.compile(r"^=* ?(\d+ (passed|failed|error|errors|skipped)\b.*?) ?=*$")


@dataclass(frozen=True)
class Python:
    """One interpreter: where it is and what it is."""

    path: Path
    version: tuple[int, int, int]

    @property
    def minor(self) -> str:
        return f"{self.version[0]}.{self.version[1]}"

    @property
    def name(self) -> str:
        return ".".join(map(str, self.version))


def pyenv_root() -> Path | None:
    """pyenv's root folder, or None where there is no pyenv."""
    if os.environ.get("PYENV_ROOT"):
        return Path(os.environ["PYENV_ROOT"])
    pyenv = shutil.which("pyenv")
    if pyenv:
        done = subprocess.run(
            [pyenv, "root"], capture_output=True, text=True, check=False
        )
        if done.returncode == 0 and done.stdout.strip():
            return Path(done.stdout.strip())
    home = Path.home() / ".pyenv"
    return home if home.is_dir() else None


def candidates() -> list[Path]:
    """Every interpreter worth asking, in the order they are preferred."""
    found = []
    root = pyenv_root()
    if root is not None:
        found += sorted((root / "versions").glob("*/bin/python3"))
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        for minor in range(11, 20):
            command = Path(folder or ".") / f"python3.{minor}"
            if command.is_file() and os.access(command, os.X_OK):
                found.append(command)
    return found


def identify(path: Path) -> Python | None:
    """The interpreter at *path*, if it runs and is CPython 3.11 or newer."""
    try:
        done = subprocess.run(
            [str(path), "-c", _ASK],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    words = done.stdout.split()
    if done.returncode != 0 or len(words) != 4 or words[0] != "cpython":
        return None
    version = (int(words[1]), int(words[2]), int(words[3]))
    return Python(path, version) if version[:2] >= OLDEST else None


def running() -> tuple[int, int, int]:
    """The version of this Python (.venv's, which ``make test`` runs)."""
    return (sys.version_info[0], sys.version_info[1], sys.version_info[2])


def others(current: tuple[int, ...] | None = None) -> list[Python]:
    """One interpreter per version other than *current* (this one's), oldest
    first."""
    current = current or running()
    chosen: dict[tuple[int, int, int], Python] = {}
    for path in candidates():
        python = identify(path)
        if python is None or python.version == tuple(current):
            continue
        chosen.setdefault(python.version, python)
    return [chosen[version] for version in sorted(chosen)]


def venv_for(python: Python) -> Path:
    """A virtual environment of *python* with requirements.txt installed."""
    venv = VENVS / python.name
    stamp = venv / ".installed"
    made_by = venv / ".python"
    if made_by.is_file() and made_by.read_text(encoding="utf-8") != python.name:
        shutil.rmtree(venv)
    if stamp.is_file() and stamp.stat().st_mtime >= REQUIREMENTS.stat().st_mtime:
        return venv
    if not (venv / "bin" / "python").exists():
        subprocess.run([str(python.path), "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-qq"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "-r", str(REQUIREMENTS)], check=True)
    made_by.write_text(python.name, encoding="utf-8")
    stamp.touch()
    return venv


def summary(output: str) -> str:
    """pytest's closing summary (``12 passed, 1 skipped in 3.4s``), or ''."""
    for line in reversed(output.splitlines()):
        match = _SUMMARY.match(line.strip())
        if match:
            return match[1]
    return ""


def run_suite(python: Python, pytest_args: list[str]) -> tuple[int, str, float]:
    """Run the suite under *python*: (exit status, pytest's summary, seconds)."""
    venv = venv_for(python)
    print(f"== Python {python.name} ({python.path}) in {venv.relative_to(ROOT)}")
    sys.stdout.flush()
    start = time.monotonic()
    process = subprocess.Popen(
        [str(venv / "bin" / "python"), "-m", "pytest", *pytest_args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    lines = []
    for line in process.stdout:
        sys.stdout.write(line)
        lines.append(line)
    status = process.wait()
    return status, summary("".join(lines)), time.monotonic() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.pythons", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--list", action="store_true", help="only list them")
    parser.add_argument(
        "--require",
        default="",
        metavar="X.Y,...",
        help="fail unless each of these minor versions is found",
    )
    parser.add_argument("pytest_args", nargs="*", help="passed on to pytest")
    args = parser.parse_args(argv)
    current = ".".join(map(str, running()))
    found = others()
    missing = [
        v
        for v in filter(None, args.require.split(","))
        if v not in {p.minor for p in found} and v != current.rsplit(".", 1)[0]
    ]
    if args.list:
        for python in found:
            print(f"{python.name}\t{python.path}")
        return 0
    root = pyenv_root()
    where = f"pyenv ({root})" if root else "no pyenv"
    if not found:
        print(
            f"test-pythons: no Python 3.11+ besides {current} (.venv, which make test"
            f" runs) on this machine: looked in {where} and for python3.11-3.19"
            " on PATH"
        )
    results = []
    for python in found:
        status, said, seconds = run_suite(python, args.pytest_args)
        results.append((python, status, said, seconds))
    print(f"== test-pythons: {current} is .venv's, run by make test; found in {where}")
    for python, status, said, seconds in results:
        verdict = "ok" if status == 0 else f"FAILED (exit {status})"
        print(f"{python.name:>8}  {verdict}  {said or 'no summary'}  ({seconds:.0f} s)")
    if missing:
        print(f"test-pythons: required but not found: {', '.join(missing)}")
    failed = missing or any(status != 0 for _p, status, _s, _t in results)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
