"""The check every chapter's sessions get: each reproduces its committed files.

A chapter's ``tests/chapterNN/test_sessions.py`` imports the two names
below; :func:`pytest_generate_tests` gives the test one case per session of
that chapter's ``book/sessions/chapterNN.toml`` (the chapter is the test
file's folder). ``tests/tools/test_chapters.py`` checks that every chapter
with a session file has such a test, so no chapter's sessions go unchecked.
The runner is the suite's one ``sessions_runner`` (``tests/conftest.py``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tools import chapters
from tools.sessions import manifest
from tools.sessions.compare import differences, report
from tools.sessions.manifest import Session
from tools.sessions.runner import Runner


def chapter_sessions(test_file: str) -> list[Session]:
    """The sessions of the chapter whose tests folder holds *test_file*."""
    chapter = chapters.find(Path(test_file).parent.name)
    if not chapter.sessions.exists():
        return []
    return manifest.load(chapter.slug, chapter.sessions)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "session" in metafunc.fixturenames and metafunc.module.__file__:
        sessions = chapter_sessions(metafunc.module.__file__)
        metafunc.parametrize("session", sessions, ids=[s.id for s in sessions])


def test_the_committed_transcript_is_what_the_commands_print(
    sessions_runner: Runner, session: Session
) -> None:
    result = sessions_runner.run(session)
    if result.skipped:
        pytest.skip(f"{session.name} runs on the network playground: {result.skipped}")
    diffs = differences(result)
    if result.problems or diffs:
        pytest.fail(report(result, diffs), pytrace=False)
