"""The figures the book shows are the committed drawings of their sources.

tools/figures.py draws each book/figures/NAME.dot into NAME.svg and NAME.pdf;
the drawings are committed so that `make html` needs no Graphviz. Their
freshness is checked from the SVG's stamp on every machine, and by drawing
them again where Graphviz's ``dot`` is installed.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tools import booklint, figures

DOT = shutil.which("dot")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A copy of the book's figures to spoil."""
    copy = tmp_path / "figures"
    shutil.copytree(figures.FIGURES, copy)
    return copy


def test_every_committed_drawing_is_drawn_from_its_source_as_it_is_now():
    assert figures.drawings(), "no figure sources found"
    assert figures.problems() == []


@pytest.mark.skipif(DOT is None, reason="Graphviz's dot is not installed")
@pytest.mark.parametrize("figure", figures.drawings(), ids=lambda f: f.source.name)
def test_dot_draws_exactly_the_committed_bytes(figure: figures.Drawing):
    assert DOT is not None
    svg, pdf = figures.draw(figure.source, DOT)
    assert svg == figure.svg.read_bytes(), f"{figure.svg.name}: {figures.REGENERATE}"
    assert pdf == figure.pdf.read_bytes(), f"{figure.pdf.name}: {figures.REGENERATE}"


def test_the_chapters_show_every_figure_and_only_figures_that_exist():
    shown = [
        block.argument
        for page in booklint.pages()
        for block in booklint.blocks(page)
        if block.directive == "figure"
    ]
    drawn = {figure.source.stem for figure in figures.drawings()}
    assert sorted(shown) == sorted(f"figures/{name}.*" for name in drawn)


def test_a_changed_source_makes_its_drawing_stale(folder: Path):
    source = folder / "protocol-stack.dot"
    source.write_text(source.read_text(encoding="utf-8") + "// edited\n")
    assert figures.problems(folder) == [
        "protocol-stack.svg: drawn from an older protocol-stack.dot"
    ]


def test_a_pdf_not_drawn_with_its_svg_is_stale(folder: Path):
    (folder / "playground.pdf").write_bytes(b"%PDF-1.5\n%%EOF\n")
    assert figures.problems(folder) == [
        "playground.pdf: not the PDF drawn with playground.svg"
    ]


def test_missing_unstamped_and_orphaned_drawings_are_named(folder: Path):
    (folder / "playground.pdf").unlink()
    svg = folder / "protocol-stack.svg"
    svg.write_bytes(re.sub(rb"<!-- Drawn by .*?-->\n", b"", svg.read_bytes()))
    (folder / "old.svg").write_text("<svg/>")
    assert figures.problems(folder) == [
        "playground.dot: no playground.pdf",
        "protocol-stack.svg: no `make figures` stamp",
        "old.svg: no old.dot it was drawn from",
    ]


def test_check_reports_each_problem_and_the_command_that_fixes_it(
    folder: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    monkeypatch.setattr(figures, "FIGURES", folder)
    assert figures.main(["--check"]) == 0
    (folder / "playground.pdf").unlink()
    assert figures.main(["--check"]) == 1
    assert capsys.readouterr().err.splitlines() == [
        "playground.dot: no playground.pdf",
        figures.REGENERATE,
    ]


def test_make_figures_without_dot_says_what_is_missing_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    monkeypatch.setattr(figures.shutil, "which", lambda name: None)
    assert figures.main([]) == 1
    assert capsys.readouterr().err == (
        "make figures: Graphviz's dot is not installed (make system-deps)\n"
    )


@pytest.mark.skipif(DOT is None, reason="Graphviz's dot is not installed")
def test_make_figures_rewrites_a_spoiled_drawing_and_leaves_fresh_ones(
    folder: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    monkeypatch.setattr(figures, "FIGURES", folder)
    committed = (folder / "playground.svg").read_bytes()
    (folder / "playground.svg").write_text("<svg/>")
    assert figures.main([]) == 0
    assert (folder / "playground.svg").read_bytes() == committed
    assert capsys.readouterr().out == "wrote playground.svg\n"


def test_a_failing_dot_is_one_line_naming_the_figure(
    folder: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    monkeypatch.setattr(figures, "FIGURES", folder)
    (folder / "broken.dot").write_text("graph {")
    fake = folder / "dot"
    fake.write_text("#!/bin/sh\necho 'syntax error in line 1' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setattr(figures.shutil, "which", lambda name: str(fake))
    assert figures.main([]) == 1
    assert capsys.readouterr().err == (
        "make figures: dot -Tsvg failed on broken.dot: syntax error in line 1\n"
    )


def test_the_fixed_creation_date_keeps_the_pdf_length():
    pdf = b"<< /CreationDate (D:20261201084434Z)\n>>"
    assert figures.fixed_pdf(pdf) == b"<< /CreationDate (D:20000101000000Z)\n>>"
    assert figures.fixed_pdf(b"/CreationDate (D:20261201084434)") == (
        b"/CreationDate (D:20000101000000)"
    )
