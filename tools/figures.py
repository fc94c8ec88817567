"""The book's figures: Graphviz sources drawn once, the drawings committed.

Each ``book/figures/NAME.dot`` is drawn by Graphviz's ``dot`` into
``NAME.svg`` (the site and the EPUB) and ``NAME.pdf`` (the printed book),
and both are committed, as the console transcripts are, so that ``make html``
needs no Graphviz: a fresh machine with only Python and make builds the site
with its figures. ``make figures`` redraws them (it needs ``dot``, from
``make system-deps``).

The SVG opens with a stamp naming its source and the SHA-256 of the source
and of the PDF drawn with it, so a stale drawing is found without ``dot``
(:func:`problems`); where ``dot`` is installed the tests also draw every
figure again and compare the bytes. Two changes make the drawings
reproducible and valid everywhere: the SVG loses Graphviz's DOCTYPE (EPUB 3
forbids the external entities it declares, epubcheck HTM-003), and the PDF's
creation date, which cairo sets to the time of drawing, is fixed.

    python -m tools.figures            # redraw every figure (needs dot)
    python -m tools.figures --check    # exit 1 naming each stale figure
"""

from __future__ import annotations

import argparse
import hashlib
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tools.paths import FIGURES

REGENERATE = "regenerate the drawings with `make figures` (needs Graphviz's dot)"

_DOCTYPE = re.compile(rb"<!DOCTYPE[^>\[]*(\[[^\]]*\])?\s*>\s*")
_CREATED = re.compile(rb"/CreationDate \(D:\d{14}Z?\)")
FIXED_DATE = b"/CreationDate (D:20000101000000Z"
_STAMP = re.compile(
    rb"<!-- Drawn by `make figures` from (?P<source>\S+) "
    rb"\(sha256 (?P<dot>[0-9a-f]{64})\) with (?P<pdf>\S+) "
    rb"\(sha256 (?P<pdfsum>[0-9a-f]{64})\); do not edit\. -->\n"
)


@dataclass(frozen=True)
class Drawing:
    """One figure's source and the two drawings made from it."""

    source: Path

    @property
    def svg(self) -> Path:
        return self.source.with_suffix(".svg")

    @property
    def pdf(self) -> Path:
        return self.source.with_suffix(".pdf")


def drawings(folder: Path | None = None) -> list[Drawing]:
    """Every figure source in *folder* (the book's figures), by name."""
    folder = folder or FIGURES
    return [Drawing(source) for source in sorted(folder.glob("*.dot"))]


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fixed_pdf(pdf: bytes) -> bytes:
    """The PDF with cairo's creation date replaced by a fixed one.

    The replacement has the same length, so the cross-reference offsets
    stay right.
    """
    return _CREATED.sub(lambda m: FIXED_DATE[: len(m[0]) - 1] + b")", pdf)


def stamped_svg(svg: bytes, source: Path, dot_text: bytes, pdf: bytes) -> bytes:
    """The SVG without its DOCTYPE, with the stamp after the XML declaration."""
    svg = _DOCTYPE.sub(b"", svg, count=1)
    stamp = (
        f"<!-- Drawn by `make figures` from {source.name} (sha256 {_sha256(dot_text)})"
        f" with {source.with_suffix('.pdf').name} (sha256 {_sha256(pdf)});"
        " do not edit. -->\n"
    ).encode()
    head, newline, rest = svg.partition(b"\n")
    if not head.startswith(b"<?xml"):
        return stamp + svg
    return head + newline + stamp + rest


def draw(source: Path, dot: str = "dot") -> tuple[bytes, bytes]:
    """The SVG and PDF that *dot* draws from *source*, as committed."""
    dot_text = source.read_bytes()
    outputs = []
    for kind in ("svg", "pdf"):
        result = subprocess.run(
            [dot, f"-T{kind}"], input=dot_text, capture_output=True, check=False
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"{Path(dot).name} -T{kind} failed on {source.name}: "
                + result.stderr.decode(errors="replace").strip()
            )
        outputs.append(result.stdout)
    pdf = fixed_pdf(outputs[1])
    return stamped_svg(outputs[0], source, dot_text, pdf), pdf


def problems(folder: Path | None = None) -> list[str]:
    """What is stale or missing among the committed drawings ([] when none).

    Needs no Graphviz: the SVG's stamp records what it was drawn from.
    """
    folder = folder or FIGURES
    found = []
    for figure in drawings(folder):
        name = figure.source.name
        missing = [p.name for p in (figure.svg, figure.pdf) if not p.is_file()]
        if missing:
            found.append(f"{name}: no {' or '.join(missing)}")
            continue
        stamp = _STAMP.search(figure.svg.read_bytes()[:1000])
        if stamp is None:
            found.append(f"{figure.svg.name}: no `make figures` stamp")
        elif stamp["dot"].decode() != _sha256(figure.source.read_bytes()):
            found.append(f"{figure.svg.name}: drawn from an older {name}")
        elif stamp["pdfsum"].decode() != _sha256(figure.pdf.read_bytes()):
            found.append(f"{figure.pdf.name}: not the PDF drawn with {figure.svg.name}")
    sources = {figure.source.stem for figure in drawings(folder)}
    for drawing in sorted([*folder.glob("*.svg"), *folder.glob("*.pdf")]):
        if drawing.stem not in sources:
            found.append(f"{drawing.name}: no {drawing.stem}.dot it was drawn from")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.figures", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--check", action="store_true", help="only report stale drawings (no dot)"
    )
    args = parser.parse_args(argv)
    if args.check:
        found = problems()
        for problem in found:
            print(problem, file=sys.stderr)
        if found:
            print(REGENERATE, file=sys.stderr)
        return 1 if found else 0
    dot = shutil.which("dot")
    if dot is None:
        print(
            "make figures: Graphviz's dot is not installed (make system-deps)",
            file=sys.stderr,
        )
        return 1
    for figure in drawings():
        try:
            svg, pdf = draw(figure.source, dot)
        except RuntimeError as error:
            print(f"make figures: {error}", file=sys.stderr)
            return 1
        for path, data in ((figure.svg, svg), (figure.pdf, pdf)):
            if not path.is_file() or path.read_bytes() != data:
                path.write_bytes(data)
                print(f"wrote {path.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
