"""The chapter's references to listing lines by number point at the right code.

Chapter 1 says things like "line 45 handles two special cases". When a
listing is edited or reformatted, its lines move and such sentences quietly
become wrong. Each entry below pairs the chapter's words with what must stand
on that line (or at the ends of that range); if either side changes, this
test fails and says which sentence to fix.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHAPTER = ROOT / "book" / "chapter01.md"

# (listing, first line, last line, what the first line holds, what the last holds)
REFERENCES = [
    ("stringcodes", 41, 41, 'INCOMING.decode("utf-16")', None),
    ("stringcodes", 43, 43, 'text.encode("utf-8")', None),
    ("stringcodes", 45, 45, 'open(args.output, "wb")', None),
    ("getname", 16, 16, "socket.getaddrinfo(name", None),
    ("getname", 17, 21, "pairs = [", "dict.fromkeys(pairs)"),
    ("getname", 36, 36, "cannot resolve", None),
    ("subnets", 22, 39, "def kind(", "return next("),
    (
        "subnets",
        25,
        27,
        '>>> address = ipaddress.ip_address("192.0.2.1")',
        "'documentation'",
    ),
    ("subnets", 42, 58, "def info(", "}"),
    ("subnets", 45, 45, "tiny = net.num_addresses <= 2", None),
    ("subnets", 47, 47, "first = net.network_address", None),
    ("subnets", 61, 78, "def route(", "}"),
    ("subnets", 67, 67, "destination.is_loopback", None),
    ("subnets", 69, 69, "destination in host.network", None),
    ("subnets", 81, 109, "def fragments(", "return {"),
    ("subnets", 95, 95, "// 8 * 8", None),
]


def words(first: int, last: int) -> str:
    return f"lines {first} to {last}" if first != last else f"line {first}"


@pytest.mark.parametrize(
    ("listing", "first", "last", "head", "tail"),
    REFERENCES,
    ids=[f"{r[0]}:{r[1]}-{r[2]}" for r in REFERENCES],
)
def test_line_reference(
    listing: str, first: int, last: int, head: str, tail: str | None
) -> None:
    text = re.sub(r"\s+", " ", CHAPTER.read_text(encoding="utf-8")).lower()
    assert words(first, last) in text, (
        f"chapter01.md no longer says '{words(first, last)}'"
    )
    lines = (ROOT / "listings" / "chapter01" / f"{listing}.py").read_text().splitlines()
    assert head in lines[first - 1], (
        f"{listing}.py line {first} is now {lines[first - 1]!r}: "
        f"fix the sentence in chapter01.md that cites {words(first, last)}"
    )
    if tail is not None:
        assert tail in lines[last - 1], (
            f"{listing}.py line {last} is now {lines[last - 1]!r}: "
            f"fix the sentence in chapter01.md that cites {words(first, last)}"
        )


def test_every_numbered_reference_is_checked() -> None:
    """A new 'line N' in the chapter needs an entry above."""
    text = re.sub(r"\s+", " ", CHAPTER.read_text(encoding="utf-8")).lower()
    cited = set(re.findall(r"\blines? \d+(?: to \d+)?", text))
    known = {words(first, last) for _, first, last, _, _ in REFERENCES}
    assert cited <= known, f"unchecked line references: {sorted(cited - known)}"
