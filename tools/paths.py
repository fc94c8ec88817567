"""Where the project's parts are: the one module that knows the layout.

Every tool and test names a place through these constants (or through a
chapter's properties in :mod:`tools.chapters`), never by building a path of
its own from ``__file__``.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: The registry of chapters (see :mod:`tools.chapters`).
CHAPTERS = ROOT / "chapters.toml"
BOOK = ROOT / "book"
#: One session file per chapter: ``book/sessions/chapterNN.toml``.
SESSIONS = BOOK / "sessions"
#: What the sessions generate: ``book/transcripts/chapterNN/``.
TRANSCRIPTS = BOOK / "transcripts"
FIGURES = BOOK / "figures"
LISTINGS = ROOT / "listings"
PLAYGROUND = ROOT / "playground"
TESTS = ROOT / "tests"
TOOLS = ROOT / "tools"
#: The network guard's folder: first on ``PYTHONPATH`` of every guarded child.
NETGUARD = TOOLS / "netguard"
BUILD = ROOT / "build"


def shown(path: Path) -> str:
    """*path* relative to the checkout when it is inside it (for messages).

    >>> shown(ROOT / "book" / "index.md")
    'book/index.md'
    >>> shown(Path("/elsewhere/file"))
    '/elsewhere/file'
    """
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)
