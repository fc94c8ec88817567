"""Chapter 2's console sessions (book/sessions/chapter02.toml) print what
their committed files show."""

from __future__ import annotations

from tests.support.sessions import (
    pytest_generate_tests,
    test_the_committed_transcript_is_what_the_commands_print,
)

__all__ = [
    "pytest_generate_tests",
    "test_the_committed_transcript_is_what_the_commands_print",
]
