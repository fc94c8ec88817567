"""`make test-pythons` finds the other Pythons and reports each run in one line.

The interpreters here are stand-ins (shell scripts answering the version
question), so the finding, the choice of one per version and the
messages are tested without running the suite under each; CI runs the real
thing (`.ci/run`).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tools import pythons


def fake(folder: Path, name: str, answer: str) -> Path:
    """An executable *folder/name* that prints *answer* whatever it is asked."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(f"#!/bin/sh\necho '{answer}'\n")
    path.chmod(0o755)
    return path


@pytest.fixture
def machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A pyenv root with 3.8, two 3.12s, 3.13 and a PyPy; on PATH, pyenv's
    shim (this Python again) before the system's python3.11, and python3.14."""
    root = tmp_path / "pyenv"
    for version, answer in {
        "3.8.18": "cpython 3 8 18",
        "3.12.1": "cpython 3 12 1",
        "3.12.9": "cpython 3 12 9",
        "3.13.0": "cpython 3 13 0",
        "pypy3.10": "pypy 3 10 14",
        "3.11.7": "cpython 3 11 7",
    }.items():
        fake(root / "versions" / version / "bin", "python3", answer)
    bin_dir = tmp_path / "bin"
    fake(bin_dir, "python3.14", "cpython 3 14 2")
    fake(bin_dir, "python3.15", "not a python")
    fake(tmp_path / "shims", "python3.11", "cpython 3 11 7")
    fake(tmp_path / "usr-bin", "python3.11", "cpython 3 11 2")
    path = [tmp_path / "shims", tmp_path / "usr-bin", bin_dir]
    monkeypatch.setenv("PYENV_ROOT", str(root))
    monkeypatch.setenv("PATH", ":".join(map(str, path)))
    monkeypatch.setattr(pythons, "running", lambda: (3, 11, 7))
    return root


def test_one_python_per_version_other_than_the_running_one(machine: Path):
    found = pythons.others(current=(3, 11, 7))
    assert [(p.name, p.path) for p in found] == [
        ("3.11.2", machine.parent / "usr-bin/python3.11"),
        ("3.12.1", machine / "versions/3.12.1/bin/python3"),
        ("3.12.9", machine / "versions/3.12.9/bin/python3"),
        ("3.13.0", machine / "versions/3.13.0/bin/python3"),
        ("3.14.2", machine.parent / "bin/python3.14"),
    ]


def test_each_version_has_a_virtual_environment_of_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    made = []

    def run(argv: list[str], check: bool) -> None:
        if argv[1:3] == ["-m", "venv"]:
            Path(argv[3]).mkdir(parents=True)
            made.append(argv[0])

    monkeypatch.setattr(pythons, "VENVS", tmp_path)
    monkeypatch.setattr(pythons.subprocess, "run", run)
    venvs = [
        pythons.venv_for(pythons.Python(Path(f"/py{v}"), (3, 11, v))) for v in (2, 7)
    ]
    assert venvs == [tmp_path / "3.11.2", tmp_path / "3.11.7"]
    assert made == ["/py2", "/py7"]
    assert (tmp_path / "3.11.2" / ".python").read_text() == "3.11.2"


def test_list_prints_each_found_python(machine: Path, capsys):
    assert pythons.main(["--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("\t")[0] for line in lines] == [
        "3.11.2",
        "3.12.1",
        "3.12.9",
        "3.13.0",
        "3.14.2",
    ]


def test_without_pyenv_or_other_pythons_it_says_so_and_passes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
):
    monkeypatch.delenv("PYENV_ROOT", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("HOME", str(tmp_path))
    assert pythons.pyenv_root() is None
    assert pythons.main([]) == 0
    out = capsys.readouterr().out
    assert "test-pythons: no Python 3.11+ besides" in out
    assert "looked in no pyenv and for python3.11-3.19 on PATH" in out


def test_a_required_version_that_is_missing_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
):
    monkeypatch.setattr(pythons, "running", lambda: (3, 11, 7))
    monkeypatch.delenv("PYENV_ROOT", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("HOME", str(tmp_path))
    assert pythons.main(["--require", "3.12,3.13"]) == 1
    assert "required but not found: 3.12, 3.13" in capsys.readouterr().out


def test_each_run_is_one_line_with_pytests_summary_and_a_failure_fails(
    machine: Path, monkeypatch: pytest.MonkeyPatch, capsys
):
    runs = {
        "3.11.2": (0, "700 passed in 42.0s", 45.1),
        "3.12.1": (0, "700 passed, 14 skipped in 41.0s", 44.2),
        "3.12.9": (0, "700 passed in 41.5s", 44.0),
        "3.13.0": (1, "1 failed, 699 passed in 40.0s", 43.0),
        "3.14.2": (0, "700 passed in 39.9s", 42.7),
    }
    monkeypatch.setattr(pythons, "run_suite", lambda python, args: runs[python.name])
    assert pythons.main(["--require", "3.12"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[-5:] == [
        "  3.11.2  ok  700 passed in 42.0s  (45 s)",
        "  3.12.1  ok  700 passed, 14 skipped in 41.0s  (44 s)",
        "  3.12.9  ok  700 passed in 41.5s  (44 s)",
        "  3.13.0  FAILED (exit 1)  1 failed, 699 passed in 40.0s  (43 s)",
        "  3.14.2  ok  700 passed in 39.9s  (43 s)",
    ]


@pytest.mark.parametrize(
    ("output", "said"),
    [
        ("...\n===== 697 passed, 14 skipped in 109.02s (0:01:49) =====\n", None),
        ("x\n= 2 failed, 1 passed, 1 error in 3.00s =\ntrailing\n", None),
        ("no summary here\n", ""),
    ],
)
def test_summary_is_pytests_closing_line(output: str, said: str | None):
    expected = output.splitlines()[1].strip("= ") if said is None else said
    assert pythons.summary(output) == expected
