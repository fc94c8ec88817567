"""The site under test, built once for the whole run (all parallel workers
share the build, in the run's shared temporary folder), and the pages it
must have, known before it is built so that tests can be made per page."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools import booklint, paths
from tools.sitebuild import built_site

#: The pages Sphinx writes besides one per MyST page.
GENERATED = ["404.html", "genindex.html", "py-modindex.html", "search.html"]


def expected_pages() -> list[str]:
    """Every page the site must have: one per MyST page of the book, and
    Sphinx's own (the tests check that the built site has exactly these)."""
    ours = [
        page.relative_to(paths.BOOK).with_suffix(".html").as_posix()
        for page in booklint.pages()
    ]
    return sorted([*ours, *GENERATED])


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    shared = tmp_path_factory.getbasetemp()
    if worker_id != "master":  # xdist: the workers' folders sit side by side
        shared = shared.parent
    return built_site(shared / "site")
