"""Comparing what a session printed with the committed files, and saying so."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from pathlib import Path

from tools import paths
from tools.sessions.manifest import Session
from tools.sessions.runner import Result

REGENERATE = "make transcripts"


def differences(result: Result) -> list[str]:
    """A unified diff for each of the session's files that differs from
    what is committed (an empty list when all match)."""
    diffs = []
    for path, actual in result.outputs().items():
        expected = path.read_text(encoding="utf-8") if path.exists() else ""
        if expected != actual:
            rel = paths.shown(path)
            diffs.append(
                "".join(
                    difflib.unified_diff(
                        expected.splitlines(keepends=True),
                        actual.splitlines(keepends=True),
                        fromfile=f"{rel} (committed)"
                        if path.exists()
                        else f"{rel} (missing)",
                        tofile=f"{rel} (what the commands print now)",
                    )
                )
            )
    return diffs


def report(result: Result, diffs: Sequence[str] = ()) -> str:
    """A readable account of what went wrong with a session."""
    lines = [
        f"{result.session.name}: "
        + "; ".join(
            (["the session failed"] if result.problems else [])
            + (["output changed"] if diffs else [])
        )
    ]
    lines += [f"  - {problem}" for problem in result.problems]
    lines += list(diffs)
    if result.session.note:
        lines.append(f"Note: {result.session.note}")
    if diffs and not result.problems:
        lines.append(
            f"If the new output is right, regenerate the files with `{REGENERATE}`"
            " and commit them."
        )
    return "\n".join(lines)


def stale_files(sessions: Iterable[Session]) -> list[Path]:
    """Generated-looking files under book/transcripts that no session makes."""
    known = {p for s in sessions for p in s.files()}
    return sorted(p for p in paths.TRANSCRIPTS.glob("*/*.txt") if p not in known)
