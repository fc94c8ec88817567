"""Kept verdicts (tests/support/verdicts.py): a pass stands only while every
file it read, and its basis, are byte for byte the same."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.verdicts import Verdicts


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    monkeypatch.delenv("BOOK_FRESH", raising=False)  # `make test FRESH=1` sets it
    site, repo = tmp_path / "site", tmp_path / "repo"
    for folder in (site / "_static", repo):
        folder.mkdir(parents=True)
    (site / "page.html").write_text("<p>one</p>")
    (site / "_static" / "style.css").write_text("p {}")
    (repo / "listing.py").write_text("print()")
    return {"site": site, "repo": repo, "records": tmp_path / "verdicts"}


def verdicts(tree: dict[str, Path], basis: str = "a") -> Verdicts:
    roots = {"site": tree["site"], "repo": tree["repo"]}
    return Verdicts(roots, {"test.py": basis}, folder=tree["records"])


def read(tree: dict[str, Path]) -> list[Path]:
    site = tree["site"]
    return [
        site / "page.html",
        site / "_static" / "style.css",
        tree["repo"] / "listing.py",
    ]


def test_a_pass_stands_while_nothing_it_read_changes(tree: dict[str, Path]) -> None:
    first = verdicts(tree)
    assert not first.unchanged("check[page]")
    first.keep("check[page]", read(tree))
    # Another run: another object, the same files.
    assert verdicts(tree).unchanged("check[page]")
    assert not verdicts(tree).unchanged("check[other]")


@pytest.mark.parametrize(
    "changed", ["site/page.html", "site/_static/style.css", "repo/listing.py"]
)
def test_one_changed_byte_in_any_file_read_runs_the_check_again(
    tree: dict[str, Path], changed: str
) -> None:
    verdicts(tree).keep("check", read(tree))
    root, _, rest = changed.partition("/")
    path = tree[root] / rest
    path.write_bytes(path.read_bytes() + b" ")
    assert not verdicts(tree).unchanged("check")


def test_a_file_that_is_gone_runs_the_check_again(tree: dict[str, Path]) -> None:
    verdicts(tree).keep("check", read(tree))
    (tree["site"] / "_static" / "style.css").unlink()
    assert not verdicts(tree).unchanged("check")


def test_another_basis_runs_the_check_again(tree: dict[str, Path]) -> None:
    verdicts(tree, basis="a").keep("check", read(tree))
    assert not verdicts(tree, basis="b").unchanged("check")


def test_the_records_hold_wherever_the_folders_are(
    tree: dict[str, Path], tmp_path: Path
) -> None:
    verdicts(tree).keep("check", read(tree))
    moved = {
        "site": tmp_path / "elsewhere",
        "repo": tree["repo"],
        "records": tree["records"],
    }
    tree["site"].rename(moved["site"])
    assert verdicts(moved).unchanged("check")


def test_fresh_ignores_every_record(
    tree: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    verdicts(tree).keep("check", read(tree))
    monkeypatch.setenv("BOOK_FRESH", "1")
    assert not verdicts(tree).unchanged("check")
    monkeypatch.setenv("BOOK_FRESH", "0")
    assert verdicts(tree).unchanged("check")


def test_a_check_that_read_nothing_or_a_broken_record_never_stands(
    tree: dict[str, Path],
) -> None:
    kept = verdicts(tree)
    kept.keep("nothing", [])
    assert not kept.unchanged("nothing")
    kept.keep("broken", read(tree))
    for record in tree["records"].glob("*.json"):
        record.write_text("{not json")
    assert not kept.unchanged("broken")
    assert list(tree["records"].glob("*.tmp")) == []


def test_a_file_outside_the_roots_cannot_be_kept(
    tree: dict[str, Path], tmp_path: Path
) -> None:
    stray = tmp_path / "stray.txt"
    stray.write_text("?")
    with pytest.raises(ValueError, match="under none of"):
        verdicts(tree).keep("check", [stray])
