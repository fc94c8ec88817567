"""Claims chapter 1 and the introduction make about the listings, checked.

The chapter compares the four search listings: their cores grow from layer
to layer while the scaffolding around them stays the same, and its table
gives the cores' sizes. The introduction says what a listings-only install
needs. Both also make claims about Python versions (what a new virtual
environment holds, what Requests asks for on the wire, what text files
default to), checked here on whichever Python runs the tests.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tools import chapters

ROOT = Path(__file__).resolve().parents[2]
LISTINGS = ROOT / "listings"
CHAPTER = ROOT / "book" / "chapter01.md"
SEARCH = [LISTINGS / "chapter01" / f"search{n}.py" for n in range(1, 5)]


def functions(path: Path) -> dict[str, str]:
    """Each top-level function of PATH, as its source text."""
    text = path.read_text(encoding="utf-8")
    tree = ast.parse(text)
    return {
        node.name: ast.get_source_segment(text, node) or ""
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
    }


def core_lines(path: Path) -> int:
    """Lines of geocode(), and of fetch() where there is one."""
    parts = functions(path)
    return sum(
        len(parts[name].splitlines()) for name in ("geocode", "fetch") if name in parts
    )


def test_the_cores_grow_as_the_table_says() -> None:
    sizes = [core_lines(path) for path in SEARCH]
    assert sizes == sorted(sizes) and len(set(sizes)) == 4, sizes
    chapter = CHAPTER.read_text(encoding="utf-8")
    row = re.search(
        r"^\* - lines of code in the core\n((?:  - .*\n){4})", chapter, re.M
    )
    assert row, "the chapter's table has no row of core sizes"
    shown = [int(cell) for cell in re.findall(r"\d+", row[1])]
    text = " ".join(chapter.split())
    assert shown == sizes, f"the table says {shown}, the listings have {sizes}"
    words = ", ".join(map(str, sizes[:-1])) + f" and {sizes[-1]} lines"
    assert words in text, f"the text does not say {words!r}"


def test_the_scaffolding_is_shared() -> None:
    """main() is the same but for the name (search4 has no 'no match');
    server_url() is the same in three, and search4's only adds a check."""
    parts = [functions(path) for path in SEARCH]
    mains = [p["main"].replace(f"search{n}", "searchN") for n, p in enumerate(parts, 1)]
    assert mains[0] == mains[1] == mains[2]
    no_match = [
        line
        for line in mains[0].splitlines()
        if "answer is None" in line or "no place matches" in line
    ]
    assert len(no_match) == 2
    assert mains[3].splitlines() == [
        line for line in mains[0].splitlines() if line not in no_match
    ]
    urls = [p["server_url"] for p in parts]
    assert urls[0] == urls[1] == urls[2]
    assert "re.fullmatch" in urls[3] and "re.fullmatch" not in urls[0]
    for name in ("EXAMPLE", "SERVER", "PORTS"):
        tops = {
            line
            for path in SEARCH
            for line in path.read_text(encoding="utf-8").splitlines()
            if line.startswith(f"{name} = ")
        }
        assert len(tops) == 1, f"{name} differs between the search listings"


def test_listings_need_only_geopy_and_requests() -> None:
    """The introduction's listings-only install: geopy and Requests."""
    outside = set()
    for path in LISTINGS.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            else:
                continue
            outside |= {n.split(".")[0] for n in names} - sys.stdlib_module_names
    assert outside <= {"geopy", "requests"}, sorted(outside)


def test_what_a_new_venv_holds(tmp_path: Path) -> None:
    """pip always; setuptools only up to Python 3.11 (the chapter's step 1).
    A real venv is made: where ensurepip keeps its wheels is the builder's
    choice (Debian's Python has no ensurepip/_bundled)."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    [site] = venv.glob("lib/python3.*/site-packages")
    held = {p.name.split("-")[0] for p in site.iterdir() if p.suffix != ".pth"}
    assert "pip" in held, held
    assert ("setuptools" in held) == (sys.version_info < (3, 12)), held


def importable(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:  # its parent package is not there
        return False


def test_what_requests_offers_to_decompress() -> None:
    """gzip and deflate, as the wire views show; zstd too from Python 3.14
    (or with the backports.zstd package), as the chapter warns."""
    offered = requests.utils.default_headers()["Accept-Encoding"].split(", ")
    assert offered[:2] == ["gzip", "deflate"]
    zstd = sys.version_info >= (3, 14) or importable("backports.zstd")
    assert ("zstd" in offered) == zstd, offered


@pytest.mark.parametrize("setting", [None, "0", "1"])
def test_utf8_mode_is_the_default_from_python_3_15(setting: str | None) -> None:
    """PEP 686: UTF-8 mode on by default from 3.15, and PYTHONUTF8=0 turns
    it off. (In a UTF-8 locale, so that no locale coercion is involved.)"""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUTF8"}
    env["LC_ALL"] = "C.UTF-8"
    if setting is not None:
        env["PYTHONUTF8"] = setting
    done = subprocess.run(
        [sys.executable, "-c", "import sys; print(sys.flags.utf8_mode)"],
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
        check=True,
    )
    default = "1" if sys.version_info >= (3, 15) else "0"
    assert done.stdout.strip() == (setting or default)


def test_geopy_refuses_only_default_agents_and_only_for_the_public_server() -> None:
    from geopy.exc import ConfigurationError
    from geopy.geocoders import Nominatim

    for sample in ("my-application", None):  # None: geopy's own default
        with pytest.raises(ConfigurationError):
            Nominatim(user_agent=sample)
    Nominatim(user_agent="my-application", domain="127.0.0.1:8443")
    Nominatim(user_agent="ada-learns-geocoding/0.1 (ada@example.org)")


def test_every_glossary_term_is_linked_from_the_text() -> None:
    """The glossary says the chapters link each term where they first use
    it: at least, each term (or one of its synonyms) is linked somewhere in
    the introduction or a chapter in the book (chapters.toml)."""
    glossary = (ROOT / "book" / "glossary.md").read_text(encoding="utf-8")
    terms = re.findall(r"^([A-Za-z][^\n]*)\n  \S", glossary, re.MULTILINE)
    pages = [ROOT / "book" / "introduction.md"]
    pages += [chapter.text for chapter in chapters.in_book()]
    text = "\n".join(page.read_text(encoding="utf-8") for page in pages)
    linked = {
        (m[2] or m[1]).strip().lower().lower()
        for m in re.finditer(r"\{term\}`([^`<]*?)(?:\s*<([^>]+)>)?`", text)
    }
    headwords = [t for t in terms if not re.search(r"[()]", t)]
    missing = [t for t in headwords if t.lower() not in linked]
    # A term with synonyms (BOM, Don't Fragment, ...) is linked under one.
    missing = [t for t in missing if not _has_linked_synonym(t, glossary, linked)]
    assert not missing, f"glossary terms the text never links: {missing}"


def _has_linked_synonym(term: str, glossary: str, linked: set[str]) -> bool:
    block = re.search(
        rf"(?:^[^\n]+\n)*^{re.escape(term)}\n(?:^[^\n]+\n)*?(?=  \S)",
        glossary,
        re.MULTILINE,
    )
    names = re.findall(r"^(\S[^\n]*)$", block[0], re.MULTILINE) if block else []
    return bool({name.lower() for name in names} & linked)
