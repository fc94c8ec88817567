"""The HTML site in a real browser: Debian's Chromium driven by Playwright.

The site is built fresh (tools/sitebuild.py) and served on 127.0.0.1 under
/book/, as GitHub Pages serves it. Chromium runs headless with its background
networking switched off, every request it makes is checked, and any request
for another host is refused and fails the test.

A check that passed on a page keeps its verdict (tests/support/verdicts.py):
when the page and every file it loaded are byte for byte what they were, and
so are this module, axe-core and Chromium, the check passes without the
browser. ``make test FRESH=1`` runs every check again.
"""

from __future__ import annotations

import functools
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from tests.site import conftest as site_conftest
from tests.site.conftest import expected_pages
from tests.support import verdicts as verdicts_module
from tests.support.verdicts import Verdicts, digest
from tools import sitebuild
from tools.sitebuild import (
    CHROMIUM,
    CHROMIUM_ARGS,
    ROOT,
    SiteServer,
    local_path,
    pages,
)

pytestmark = pytest.mark.browser

if not CHROMIUM.exists():
    pytest.skip(
        f"{CHROMIUM} is not installed (Debian's chromium: `make system-deps`)",
        allow_module_level=True,
    )

import axe_playwright_python  # noqa: E402
from axe_playwright_python.sync_playwright import Axe  # noqa: E402
from playwright.sync_api import (  # noqa: E402
    Browser,
    BrowserContext,
    Page,
    Request,
    Route,
    sync_playwright,
)

SESSIONS = ".highlight-console, .highlight-pycon"
PHONE = {"width": 390, "height": 844}
WIDE = {"width": 1400, "height": 900}  # furo shows "On this page" from 82em
DEFAULT = {"width": 1280, "height": 720}  # a new context's, in Playwright
# Each page is a test of its own, so the pages spread over the parallel
# workers; tests/site/test_site.py checks the built site has exactly these.
PAGES = expected_pages()
AXE_OPTIONS = {
    "resultTypes": ["violations"],
    "rules": {"target-size": {"enabled": True}},  # WCAG 2.2 AA; off by default
}


@pytest.fixture(scope="module")
def server(site: Path) -> Iterator[SiteServer]:
    with SiteServer(site) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@functools.cache
def basis() -> dict[str, str]:
    """What every page check depends on besides the site's files: the code
    of the checks and of the server, axe-core's script, the browser."""
    modules = (site_conftest, sitebuild, verdicts_module)
    files = [Path(__file__), *(Path(m.__file__ or "") for m in modules)]
    files.append(Path(axe_playwright_python.__file__ or "").with_name("axe.min.js"))
    version = subprocess.run(
        [CHROMIUM, "--version"], capture_output=True, text=True, check=True
    ).stdout.strip()
    return {**{path.name: digest(path) for path in files}, "chromium": version}


@pytest.fixture(scope="module")
def verdicts(site: Path) -> Verdicts:
    return Verdicts({"site": site, "repo": ROOT}, basis())


@dataclass
class Traffic:
    """What one browser context did on the network, what went wrong, and
    which of the site's files it was served."""

    origin: str
    site: Path
    foreign: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    files: set[Path] = field(default_factory=set)

    def watch(self, context: BrowserContext) -> BrowserContext:
        context.route("**/*", self._only_local)
        context.on("page", self.watch_page)
        return context

    def watch_page(self, page: Page) -> None:
        page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("requestfailed", self._failed)
        page.on("response", self._response)

    def _response(self, response) -> None:  # type: ignore[no-untyped-def]
        if response.status >= 400:
            self.failed.append(f"{response.url}: HTTP {response.status}")
        url = response.url
        if url.startswith("file:"):  # a copy of the site read from disk
            file = Path(unquote(urlsplit(url).path))
            if file.is_relative_to(self.site):
                self.files.add(file)
        elif url.startswith(self.origin + "/"):
            file = local_path(self.site, url)
            # What the server sends for an address with no file: 404.html.
            self.files.add(file if file and file.is_file() else self.site / "404.html")

    def _failed(self, request: Request) -> None:
        # ERR_ABORTED is Chromium cancelling a load because the test moved on
        # to the next page (the favicon, typically); a missing file shows up
        # as an HTTP status instead, and a foreign request in ``foreign``.
        if request.failure != "net::ERR_ABORTED":
            self.failed.append(f"{request.url}: {request.failure}")

    def _only_local(self, route: Route) -> None:
        url = route.request.url
        if url.startswith(self.origin + "/") or urlsplit(url).scheme in (
            "data",
            "blob",
        ):
            route.continue_()
        else:
            self.foreign.append(url)
            route.abort("blockedbyclient")

    def problems(self) -> list[str]:
        return (
            [f"left 127.0.0.1: {u}" for u in self.foreign]
            + [f"failed: {u}" for u in self.failed]
            + [f"console: {e}" for e in self.errors]
        )


@pytest.fixture
def open_context(browser: Browser, server: SiteServer, site: Path) -> Iterator:
    """``open_context(**options)`` -> (context, traffic); closed after the
    test. With ``guarded=False`` its pages are watched but not confined to
    the site (for pages read from file://)."""
    opened: list[BrowserContext] = []

    def make(guarded: bool = True, **options: object) -> tuple[BrowserContext, Traffic]:
        traffic = Traffic(server.origin, site)
        context = browser.new_context(**options)
        opened.append(context)
        if guarded:
            traffic.watch(context)
        else:
            context.on("page", traffic.watch_page)
        return context, traffic

    yield make
    for context in opened:
        context.close()


class Check:
    """One test's check of pages (its id is the test's): ``check.kept`` when
    a verdict of the same files stands (the test then returns); else
    ``check.open(...)`` its browser contexts, and ``check.passed()`` last,
    which keeps the verdict with every file those contexts were served."""

    def __init__(self, request: pytest.FixtureRequest, verdicts: Verdicts) -> None:
        self.request, self.verdicts = request, verdicts
        self.id = request.node.nodeid
        self.traffic: list[Traffic] = []

    @property
    def kept(self) -> bool:
        if not self.verdicts.unchanged(self.id):
            return False
        self.request.node.user_properties.append(("verdict", "kept"))
        return True

    @property
    def server(self) -> SiteServer:
        server: SiteServer = self.request.getfixturevalue("server")
        return server

    @property
    def url(self) -> str:
        return self.server.url

    def open(self, **options: object) -> tuple[BrowserContext, Traffic]:
        """A context from ``open_context`` (same options), closed after the
        test, whose files the verdict will name."""
        context, traffic = self.request.getfixturevalue("open_context")(**options)
        self.traffic.append(traffic)
        return context, traffic

    def passed(self, *read: Path) -> None:
        files = set(read).union(*(t.files for t in self.traffic))
        self.verdicts.keep(self.id, files)


@pytest.fixture
def check(request: pytest.FixtureRequest, verdicts: Verdicts) -> Check:
    return Check(request, verdicts)


def test_the_site_has_every_page_the_browser_opens(site: Path) -> None:
    assert pages(site) == PAGES
    assert len(PAGES) >= 8


def test_a_missing_address_gets_the_404_page_whole(check: Check) -> None:
    if check.kept:
        return
    context, traffic = check.open()
    page = context.new_page()
    response = page.goto(check.url + "no/such/chapter.html", wait_until="load")
    assert response is not None and response.status == 404
    assert page.locator("h1").first.inner_text() == "Page not found"
    # Its style sheets loaded although the address is two levels deep.
    brand = "getComputedStyle(document.body).getPropertyValue('--color-brand-primary')"
    assert page.evaluate(brand).strip()
    assert traffic.failed == [f"{check.url}no/such/chapter.html: HTTP 404"]
    assert traffic.foreign == []
    # Chromium logs the page's own 404 to the console; nothing else may fail.
    assert traffic.errors == [
        "Failed to load resource: the server responded with a status of 404 (Not Found)"
    ]
    check.passed()


# The 404 page is served for any missing address, so its links are absolute
# (/book/...): at the site's root and at depth its styles load, and every rule
# runs. Read from a copy of the site (file://) they cannot load; the unstyled
# page must still pass axe's default rules (every content in a landmark, ...),
# though not WCAG 2.2's target size, which only the style sheet gives.
NOT_FOUND = {
    "root": lambda server, site: server.url + "404.html",
    "depth": lambda server, site: server.url + "no/such/chapter.html",
    "copy": lambda server, site: (site / "404.html").as_uri(),
}


@pytest.mark.parametrize("where", NOT_FOUND)
def test_axe_finds_no_violation_on_the_404_page_wherever_it_opens(
    check: Check, site: Path, where: str
) -> None:
    if check.kept:
        return
    # Not guarded (the copy is read from file://): only watched.
    context, _ = check.open(guarded=False, color_scheme="light", viewport=WIDE)
    page = context.new_page()
    page.goto(NOT_FOUND[where](check.server, site), wait_until="load")
    assert page.locator("h1").first.inner_text() == "Page not found"
    options = {"resultTypes": ["violations"]} if where == "copy" else AXE_OPTIONS
    result = Axe().run(page, options=options)
    assert _summary(result.response["violations"]) == []
    check.passed(site / "404.html")


# Colour contrast, the costliest of axe's rules (most of a minute per run
# over every page). On the page outside code blocks it runs in full. Inside
# them it runs once per style: code is thousands of spans in a few dozen
# styles, so for each distinct computed colour, effective background (the
# nearest one that is not transparent), font size, weight, opacity and text
# shadow (what axe's verdict depends on) it checks the element of that style
# with the fewest descendants (axe checks a context element's whole subtree).
CONTRAST = """async () => {
    const options = {runOnly: ['color-contrast'], resultTypes: ['violations']};
    const prose = await axe.run({exclude: [['div.highlight']]}, options);
    const clear = c => c === 'transparent' || c === 'rgba(0, 0, 0, 0)';
    const behind = el => {
        for (let e = el; e; e = e.parentElement) {
            const colour = getComputedStyle(e).backgroundColor;
            if (!clear(colour)) return colour;
        }
        return 'none';
    };
    const picked = new Map(), classes = new Set();
    for (const el of document.querySelectorAll('div.highlight, div.highlight *')) {
        const own = [...el.childNodes].some(n => n.nodeType === 3 && n.data.trim());
        if (!own) continue;
        classes.add(el.className);
        const s = getComputedStyle(el);
        const key = [s.color, behind(el), s.fontSize, s.fontWeight, s.opacity,
                     s.textShadow].join('|');
        const size = el.querySelectorAll('*').length;
        if (!picked.has(key) || size < picked.get(key)[1]) picked.set(key, [el, size]);
    }
    const elements = [...picked.values()].map(p => p[0]);
    const code = elements.length ? await axe.run(elements, options) : {violations: []};
    const violations = [...prose.violations, ...code.violations];
    return {violations, tokens: classes.size};
}"""


def _contrast(page: Page, name: str) -> None:
    """No colour-contrast violation on *page* (see CONTRAST); on chapter 1,
    enough kinds of code token that the code must be highlighted."""
    result = page.evaluate(CONTRAST)
    assert _summary(result["violations"]) == []
    if name == "chapter01.html":
        assert result["tokens"] >= 20, "too few code tokens: is the code highlighted?"


@pytest.mark.parametrize("name", PAGES)
def test_every_page_loads_cleanly_and_axe_finds_no_violation_light_or_dark(
    check: Check, name: str
) -> None:
    """Every page loads with status 200, nothing from another host, no failed
    request and no console error; then every rule axe-core runs by default,
    and WCAG 2.2's target size, finds nothing (light mode, wide enough for
    furo to show both sidebars). Then in dark mode only the colours change,
    so colour contrast is the rule to run again (see CONTRAST), at Chromium's
    default 1280 x 720, where the page's contents move to a drawer. One load
    serves all of it: a fresh browser context costs more than the checks."""
    if check.kept:
        return
    context, traffic = check.open(color_scheme="light", viewport=WIDE)
    page = context.new_page()
    response = page.goto(check.url + name, wait_until="load")
    assert response is not None and response.status == 200, name
    page.wait_for_load_state("networkidle")
    assert traffic.problems() == []
    rules = {**AXE_OPTIONS["rules"], "color-contrast": {"enabled": False}}
    result = Axe().run(page, options={**AXE_OPTIONS, "rules": rules})
    assert _summary(result.response["violations"]) == []
    _contrast(page, name)  # color-contrast, run apart (see CONTRAST)

    page.set_viewport_size(DEFAULT)
    page.emulate_media(color_scheme="dark")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert _luminance(background) < 0.1, f"{name} is not dark: {background}"
    _contrast(page, name)
    assert traffic.problems() == []
    check.passed()


def _summary(violations: list[dict]) -> list[str]:
    return [
        f"{v['id']} ({v['impact']}): "
        + ", ".join(str(n["target"]) for n in v["nodes"][:3])
        for v in violations
    ]


def _copy(page: Page, block) -> str:  # type: ignore[no-untyped-def]
    block.hover()
    block.locator("button.copybtn").click()
    return str(page.evaluate("navigator.clipboard.readText()"))


def _clipboard_context(check: Check) -> tuple[Page, Traffic]:
    context, traffic = check.open(permissions=["clipboard-read", "clipboard-write"])
    return context.new_page(), traffic


def test_the_copy_button_copies_a_listing_exactly(check: Check) -> None:
    if check.kept:
        return
    page, traffic = _clipboard_context(check)
    page.goto(check.url + "chapter01.html", wait_until="load")
    listings = page.locator(".literal-block-wrapper:has(+ p.listing-download)")
    copied, parts, read = {}, 0, []
    for i in range(listings.count()):
        wrapper = listings.nth(i)
        name = wrapper.locator("xpath=following-sibling::p[1]//code").inner_text()
        text = _copy(page, wrapper.locator("div.highlight"))
        read.append(next((ROOT / "listings").rglob(name)))
        source = read[-1].read_text(encoding="utf-8")
        # The whole file, or a part of it (:pyobject:, an ANCHOR region):
        # whole lines of the file, exactly as they are there.
        assert f"\n{text}\n" in f"\n{source}", f"copying {name}"
        if text == source.removesuffix("\n"):
            copied[name] = text
        else:
            parts += 1
    assert len(copied) >= 3 and parts >= 10, (sorted(copied), parts)
    # A listing whose docstring holds doctests at the margin is still copied
    # whole: its `>>> ` lines are code, not prompts.
    doctested = [n for n, t in copied.items() if "\n>>> " in t]
    assert doctested, "no listing with a doctest at the margin to check"
    assert traffic.problems() == []
    check.passed(*read)


# Marks each prompt, so the expected copy comes from the highlighting (the
# tokens Pygments calls prompts), not from the copy button's own text rules.
EXPECTED_FROM_TOKENS = """pre => {
    const clone = pre.cloneNode(true);
    clone.querySelectorAll('.linenos').forEach(n => n.remove());
    clone.querySelectorAll('.gp').forEach(n => { n.textContent = '\\u0001'; });
    const lines = clone.textContent.replace(/\\n$/, '').split('\\n');
    return {
        typed: lines.filter(l => l.startsWith('\\u0001'))
            .map(l => l.slice(1)).join('\\n'),
        lines: lines.length,
    };
}"""


def test_the_copy_button_copies_only_what_the_reader_types(check: Check) -> None:
    if check.kept:
        return
    page, traffic = _clipboard_context(check)
    checked = {"console": 0, "pycon": 0, "with output": 0}
    for name in ("chapter01.html", "introduction.html"):
        page.goto(check.url + name, wait_until="load")
        blocks = page.locator(SESSIONS)
        for i in range(blocks.count()):
            block = blocks.nth(i)
            expected = block.locator("pre").evaluate(EXPECTED_FROM_TOKENS)
            text = _copy(page, block.locator("div.highlight"))
            assert text == expected["typed"], f"{name}, session {i}"
            assert not text.startswith(("$ ", ">>> ")), f"{name}, session {i}"
            kind = (
                "console"
                if "highlight-console" in block.get_attribute("class")
                else "pycon"
            )
            checked[kind] += 1
            if expected["typed"].count("\n") + 1 < expected["lines"]:
                checked["with output"] += 1
    assert all(checked.values()), checked
    assert traffic.problems() == []
    check.passed()


def test_the_theme_toggle_switches_to_dark_and_back_and_remembers(
    check: Check,
) -> None:
    if check.kept:
        return
    context, traffic = check.open(
        color_scheme="light", viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    page.goto(check.url + "chapter01.html", wait_until="load")

    def looks() -> tuple[str, str, str]:
        return page.evaluate("""() => [
            document.body.dataset.theme,
            getComputedStyle(document.body).backgroundColor,
            getComputedStyle(document.querySelector('div.highlight')).backgroundColor,
        ]""")

    theme, light_page, light_code = looks()
    assert theme == "auto"
    toggle = page.locator(".theme-toggle-content .theme-toggle")
    toggle.click()
    theme, dark_page, dark_code = looks()
    assert theme == "dark"
    assert _luminance(dark_page) < 0.1 < 0.8 < _luminance(light_page)
    assert _luminance(dark_code) < 0.2 and dark_code != light_code
    page.reload(wait_until="load")
    assert looks()[0] == "dark"  # remembered across pages and visits
    toggle.click()
    assert looks()[:2] == ["light", light_page]
    assert traffic.problems() == []
    check.passed()


def _luminance(css: str) -> float:
    """Relative luminance (WCAG) of a computed ``rgb(r, g, b)`` colour."""
    values = [float(v) / 255 for v in css[css.index("(") + 1 : -1].split(",")[:3]]
    linear = [
        v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4 for v in values
    ]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def test_search_for_a_word_of_chapter_one_finds_chapter_one(check: Check) -> None:
    if check.kept:
        return
    context, traffic = check.open()
    page = context.new_page()
    page.goto(check.url + "chapter01.html", wait_until="load")
    title = page.locator("h1").first.inner_text().strip("#¶ \n")
    word = max(title.replace("-", " ").split(), key=len)
    page.goto(check.url + f"search.html?q={word}", wait_until="load")
    results = page.locator("#search-results ul.search li a")
    results.first.wait_for(timeout=15_000)
    hrefs = [results.nth(i).get_attribute("href") for i in range(results.count())]
    assert any(urlsplit(h).path.endswith("chapter01.html") for h in hrefs), (
        word,
        hrefs,
    )
    assert urlsplit(hrefs[0]).path.endswith("chapter01.html"), (word, hrefs)
    assert traffic.problems() == []
    check.passed()


@pytest.mark.parametrize("name", PAGES)
def test_a_phone_never_scrolls_sideways_and_every_target_is_big_enough(
    check: Check, name: str
) -> None:
    """At 390 px: no page wider than the screen, wide listings scroll inside
    their own block, and every link and button is a big enough target."""
    if check.kept:
        return
    context, traffic = check.open(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(check.url + name, wait_until="load")
    touch = Axe().run(page, options={**AXE_OPTIONS, "runOnly": ["target-size"]})
    assert _summary(touch.response["violations"]) == []
    widths = page.evaluate(
        "[document.documentElement.scrollWidth, document.body.scrollWidth]"
    )
    assert max(widths) <= PHONE["width"], widths
    assert traffic.problems() == []
    if name == "chapter01.html":
        scrolling = page.evaluate("""() => [
            ...document.querySelectorAll('div.highlight pre')
        ].filter(pre => pre.scrollWidth > pre.clientWidth)
            .map(pre => getComputedStyle(pre).overflowX)""")
        assert scrolling, "no listing is wider than a phone: nothing to scroll"
        assert set(scrolling) <= {"auto", "scroll"}
        assert traffic.problems() == []
    check.passed()


def test_every_download_link_resolves(
    open_context, server: SiteServer, site: Path
) -> None:
    context, traffic = open_context()
    page = context.new_page()
    links: dict[str, str] = {}
    for name in pages(site):
        page.goto(server.url + name, wait_until="domcontentloaded")
        for href in page.eval_on_selector_all(
            "a[download], a[href*='_downloads/']", "els => els.map(a => a.href)"
        ):
            links.setdefault(href, name)
    assert any(h.endswith(".zip") for h in links) and any(
        h.endswith(".py") for h in links
    )
    for href, name in links.items():
        reply = context.request.get(href)
        assert reply.status == 200 and reply.body(), f"{name}: {href}"
    assert traffic.problems() == []


def test_a_copy_of_the_site_reads_from_file_urls(browser: Browser, site: Path) -> None:
    """Opened from disk (file://), pages keep their styles and scripts, and
    search still finds chapter 1 (without excerpts, which file:// forbids)."""
    context = browser.new_context()
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: m.type == "error" and problems.append(m.text))
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on(
        "request",
        lambda r: (
            urlsplit(r.url).scheme not in ("file", "data") and problems.append(r.url)
        ),
    )
    try:
        page.goto(site.as_uri() + "/chapter01.html", wait_until="load")
        brand = (
            "getComputedStyle(document.body).getPropertyValue('--color-brand-primary')"
        )
        assert page.evaluate(brand).strip()
        assert page.locator("button.copybtn").count() > 0
        title = page.locator("h1").first.inner_text().strip("#¶ \n")
        word = max(title.replace("-", " ").split(), key=len)
        page.goto(site.as_uri() + f"/search.html?q={word}", wait_until="load")
        results = page.locator("#search-results ul.search li a")
        results.first.wait_for(timeout=15_000)
        hrefs = [
            results.nth(i).get_attribute("href") or "" for i in range(results.count())
        ]
        assert any(h.split("#")[0].endswith("chapter01.html") for h in hrefs), hrefs
        assert problems == []
    finally:
        context.close()
