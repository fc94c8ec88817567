"""The built HTML site, read as files: what every page carries, what every link
points at, and that nothing comes from another host. (tests/site/test_browser.py
checks the same site in a browser.)"""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit
from xml.etree import ElementTree

import pytest
from bs4 import BeautifulSoup, Tag

from tests.site.conftest import expected_pages
from tools import chapters
from tools.sitebuild import BASEURL, PREFIX, ROOT, pages

sys.path.insert(0, str(ROOT / "book" / "_ext"))
import site_listings  # the extension that writes the zips

REPOSITORY = "https://github.com/python-on-the-wire/book"
BOOK = chapters.in_book()
WITH_LISTINGS = [c for c in BOOK if c.listings.is_dir()]
GENERATED = {"genindex.html", "search.html", "py-modindex.html", "404.html"}
# Attributes through which a page loads something (not plain links).
LOADING = [
    ("script", "src"),
    ("link", "href"),
    ("img", "src"),
    ("object", "data"),
    ("iframe", "src"),
    ("source", "src"),
    ("video", "src"),
    ("audio", "src"),
    ("embed", "src"),
]


@pytest.fixture(scope="module")
def soups(site: Path) -> dict[str, BeautifulSoup]:
    return {
        name: BeautifulSoup((site / name).read_text(encoding="utf-8"), "html.parser")
        for name in pages(site)
    }


def content_pages(soups: dict[str, BeautifulSoup]) -> list[str]:
    return [name for name in soups if name not in GENERATED]


def resolve(site: Path, page: str, href: str) -> Path | None:
    """The file a same-site link from ``page`` leads to (None if external)."""
    if urlsplit(href).scheme or href.startswith("#"):
        return None
    path = urlsplit(href).path
    if path.startswith("/"):
        assert path.startswith(PREFIX), f"{page}: {href} is outside the site"
        return site / path[len(PREFIX) :]
    return (site / page).parent / path


def test_the_site_has_its_pages(soups: dict[str, BeautifulSoup]) -> None:
    for name in ["index.html", "chapter01.html", "search.html", "404.html"]:
        assert name in soups
    # The browser's tests run once per page of this list.
    assert sorted(soups) == expected_pages()
    assert len(content_pages(soups)) >= 3


def test_nothing_is_loaded_from_another_host(
    site: Path, soups: dict[str, BeautifulSoup]
) -> None:
    remote = []
    for name, soup in soups.items():
        for tag, attr in LOADING:
            for element in soup.find_all(tag):
                value = element.get(attr)
                if not value or (tag == "link" and not _loads(element)):
                    continue
                if urlsplit(value).scheme not in ("", "data"):
                    remote.append(f"{name}: <{tag} {attr}={value}>")
        for style in soup.find_all(style=True):
            remote += [f"{name}: style {u}" for u in _css_urls(style["style"])]
    for css in site.glob("_static/**/*.css"):
        remote += [f"{css.name}: {u}" for u in _css_urls(css.read_text())]
    assert remote == []
    assert not any("mathjax" in p.name.lower() for p in site.rglob("*"))


def _loads(link: Tag) -> bool:
    rel = set(link.get("rel") or [])
    return bool(rel & {"stylesheet", "icon", "shortcut", "preload", "modulepreload"})


def _css_urls(css: str) -> list[str]:
    found = re.findall(r"url\(\s*['\"]?([^'\")]+)", css)
    found += re.findall(r"@import\s+['\"]([^'\"]+)", css)
    return [u for u in found if urlsplit(u).scheme not in ("", "data")]


def test_every_same_site_link_and_resource_exists(
    site: Path, soups: dict[str, BeautifulSoup]
) -> None:
    missing = []
    for name, soup in soups.items():
        for tag, attr in [("a", "href"), *LOADING]:
            for element in soup.find_all(tag):
                value = element.get(attr)
                target = resolve(site, name, value) if value else None
                if target is not None and not target.exists():
                    missing.append(f"{name}: {value}")
    assert missing == []


def download_links(soups: dict[str, BeautifulSoup]) -> Iterator[tuple[str, str]]:
    for name, soup in soups.items():
        for a in soup.find_all("a", href=True):
            if a.has_attr("download") or "_downloads/" in a["href"]:
                yield name, a["href"]


def test_every_download_link_resolves_to_a_file(
    site: Path, soups: dict[str, BeautifulSoup]
) -> None:
    links = list(download_links(soups))
    assert links, "the site links no downloads at all"
    for name, href in links:
        target = resolve(site, name, href)
        assert target is not None and target.is_file(), f"{name}: {href}"
        assert target.stat().st_size > 0, f"{name}: {href} is empty"


def test_each_listing_has_a_download_of_exactly_its_file(
    site: Path, soups: dict[str, BeautifulSoup]
) -> None:
    checked = 0
    for name, soup in soups.items():
        for wrapper in soup.select(".literal-block-wrapper"):
            caption = wrapper.select_one(".caption-text")
            if caption is None or not caption.get_text().startswith("Listing"):
                continue
            line = wrapper.find_next_sibling()
            assert line is not None and "listing-download" in line.get("class", []), (
                name
            )
            target = resolve(site, name, line.find("a", href=True)["href"])
            assert target is not None
            assert target.read_bytes() == _listing_named(target.name).read_bytes()
            checked += 1
    assert checked >= 1


def _listing_named(filename: str) -> Path:
    found = [
        p for p in (ROOT / "listings").rglob(filename) if "__pycache__" not in p.parts
    ]
    assert len(found) == 1, f"{filename}: {found}"
    return found[0]


def test_the_zips_hold_the_listings_and_are_deterministic(site: Path) -> None:
    root = ROOT / "listings"
    everything = site / "_downloads" / "python-on-the-wire-listings.zip"
    expected_all = {
        "listings/" + p.relative_to(root).as_posix()
        for p in site_listings.package_files(root)
    }
    with zipfile.ZipFile(everything) as archive:
        assert set(archive.namelist()) == expected_all
        for info in archive.infolist():
            assert info.date_time == (1980, 1, 1, 0, 0, 0)
            source = root / info.filename.removeprefix("listings/")
            assert archive.read(info) == source.read_bytes(), info.filename
    for chapter in WITH_LISTINGS:
        zipped = site / "_downloads" / f"python-on-the-wire-{chapter.slug}.zip"
        with zipfile.ZipFile(zipped) as archive:
            names = set(archive.namelist())
        assert names == {"listings/__init__.py"} | {
            "listings/" + p.relative_to(root).as_posix()
            for p in site_listings.package_files(chapter.listings)
        }, chapter.slug
    # Same files, same bytes: the build's zip equals one made again now.
    again = site_listings.make_zip(site_listings.archive_entries(root))
    assert everything.read_bytes() == again


@pytest.mark.parametrize("chapter", WITH_LISTINGS, ids=lambda c: c.slug)
def test_each_chapter_links_its_zip_and_the_package_zip(
    soups: dict[str, BeautifulSoup], chapter: chapters.Chapter
) -> None:
    box = soups[f"{chapter.slug}.html"].select_one("p.listing-archives")
    assert box is not None
    hrefs = [a["href"] for a in box.find_all("a")]
    assert hrefs == [
        f"_downloads/python-on-the-wire-{chapter.slug}.zip",
        "_downloads/python-on-the-wire-listings.zip",
    ]
    count = len([p for p in chapter.listings.glob("*.py") if p.name != "__init__.py"])
    assert f"{count} listings" in box.get_text()


def test_no_page_names_the_folder_it_was_built_in(site: Path) -> None:
    """Nothing of the builder's machine leaks into the book (an API entry
    once showed a default path as ``PosixPath('/home/...')``), so the same
    sources build the same pages wherever they are checked out."""
    here = [str(ROOT), str(ROOT.resolve())]
    leaks = [
        page
        for page in [*pages(site), "searchindex.js"]
        if any(folder in (site / page).read_text(encoding="utf-8") for folder in here)
    ]
    assert leaks == []


def test_every_page_has_a_description_and_open_graph_tags(
    soups: dict[str, BeautifulSoup],
) -> None:
    for name, soup in soups.items():
        if name == "404.html":
            continue
        description = soup.find("meta", attrs={"name": "description"})
        assert description is not None and len(description["content"]) >= 20, name
        assert soup.find("html").get("lang") == "en", name
    for name in content_pages(soups):
        soup = soups[name]
        og = {m["property"]: m["content"] for m in soup.find_all("meta", property=True)}
        assert og["og:title"], name
        assert og["og:url"] == urljoin(BASEURL, name), name
        assert og["og:description"], name
        description = soup.find("meta", attrs={"name": "description"})["content"]
        assert len(description) <= 201, name
        canonical = soup.find("link", rel="canonical")
        assert canonical is not None and canonical["href"] == urljoin(BASEURL, name)


def test_the_sitemap_lists_the_content_pages(
    site: Path, soups: dict[str, BeautifulSoup]
) -> None:
    tree = ElementTree.parse(site / "sitemap.xml")
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locs = {e.text for e in tree.getroot().findall("s:url/s:loc", ns)}
    assert locs == {urljoin(BASEURL, name) for name in content_pages(soups)}


def test_the_404_page_works_from_any_address(soups: dict[str, BeautifulSoup]) -> None:
    soup = soups["404.html"]
    assert soup.find("h1").get_text(strip=True) == "Page not found"
    for tag, attr in LOADING:
        for element in soup.find_all(tag):
            value = element.get(attr, "")
            if value and not urlsplit(value).scheme and not value.startswith("#"):
                assert value.startswith(PREFIX), f"relative {attr} in 404.html: {value}"


def test_every_page_has_the_favicon(
    site: Path, soups: dict[str, BeautifulSoup]
) -> None:
    for name, soup in soups.items():
        icon = soup.find("link", rel="icon") or soup.find("link", rel="shortcut icon")
        assert icon is not None, name
        target = resolve(site, name, icon["href"])
        assert target is not None and target.suffix == ".svg" and target.is_file()


def test_every_chapter_has_an_erratum_link_for_itself(
    soups: dict[str, BeautifulSoup],
) -> None:
    for name in content_pages(soups):
        soup = soups[name]
        link = soup.select_one("p.erratum a")
        assert link is not None, name
        url = urlsplit(link["href"])
        assert f"{url.scheme}://{url.netloc}{url.path}" == REPOSITORY + "/issues/new"
        query = parse_qs(url.query)
        title = soup.find("h1").get_text().replace("¶", "").replace("#", "").strip()
        assert query["title"] == [f"Erratum: {title}"], name
        assert urljoin(BASEURL, name) in query["body"][0]


def test_every_page_has_the_contents_and_chapters_have_previous_and_next(
    soups: dict[str, BeautifulSoup],
) -> None:
    toc = [
        a["href"]
        for a in soups["index.html"].select(".sidebar-tree a.reference.internal")
    ]
    # The contents list the registry's chapters, in order, after the
    # introduction and before the roadmap.
    pages = [href.split("#")[0] for href in toc if "#" not in href]
    assert pages[: len(BOOK) + 1] == [
        "introduction.html",
        *(f"{c.slug}.html" for c in BOOK),
    ]
    for name, soup in soups.items():
        if name == "404.html":
            continue
        here = [a["href"] for a in soup.select(".sidebar-tree a.reference.internal")]
        assert len(here) == len(toc), name
    chapter = soups["chapter01.html"]
    assert chapter.select_one(".related-pages a.prev-page") is not None
    assert chapter.select_one(".related-pages a.next-page") is not None
    assert chapter.select_one(".toc-tree a.reference") is not None


def test_accessibility_repairs_are_in_the_html(soups: dict[str, BeautifulSoup]) -> None:
    for name, soup in soups.items():
        for caption in soup.select('p.caption[role="heading"]'):
            assert caption.get("aria-level") == "2", name
        for pre in soup.select("div.highlight pre"):
            assert pre.get("tabindex") == "0", name
        labels = [a.get("aria-label") for a in soup.find_all("aside")]
        assert all(labels) and len(set(labels)) == len(labels), name


def test_pages_in_git_say_when_they_were_last_updated(
    soups: dict[str, BeautifulSoup],
) -> None:
    tracked = subprocess.run(
        ["git", "ls-files", "--", "book/*.md"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    assert tracked, "the book's sources are not in git"
    for source in tracked:
        name = Path(source).relative_to("book").with_suffix(".html").as_posix()
        if name in soups:
            footer = soups[name].select_one(".last-updated")
            assert footer is not None, name
            assert re.search(
                r"Last updated on \d{1,2} \w+ 20\d\d", footer.get_text()
            ), name
