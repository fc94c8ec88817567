"""The HTML site, built once per test run, and a local server for it (for
the site's tests and for ``make bench``).

``built_site()`` builds the book with the project's conf.py into a temporary
directory (so the tests always check the sources as they are now, never a
stale ``build/html``), or returns the directory named by ``BOOK_HTML`` when
that is set (``make bench`` and debugging reuse a build that way). The build
runs with the network guard, so it cannot fetch anything either.

``SiteServer`` serves that directory the way GitHub Pages serves the book:
under ``/book/`` (the path of ``html_baseurl``), with ``404.html`` and status
404 for any address that has no file.
"""

from __future__ import annotations

import atexit
import fcntl
import functools
import gzip
import http.server
import io
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from types import TracebackType
from urllib.parse import unquote, urlsplit

from tools import childenv
from tools.harness import serving
from tools.paths import ROOT

PREFIX = "/book/"  # the path part of conf.py's html_baseurl on GitHub Pages
BASEURL = "https://python-on-the-wire.github.io/book/"
CHROMIUM = Path("/usr/bin/chromium")
# Headless flags that work in this project's containers, plus those that keep
# Chromium from reaching anything on its own (updates, sync, safe browsing...).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
    "--no-pings",
    "--dns-prefetch-disable",
]
SKIP_DIRS = {"_static", "_downloads", "_images", "_sources", ".doctrees"}


def build_command(html: Path, doctrees: Path) -> list[str]:
    """The HTML build `make html` runs, without -W: the tests check the site,
    the strict build checks the warnings."""
    return [
        sys.executable, "-m", "sphinx", "-c", str(ROOT), "-q", "-n", "--keep-going",
        "-b", "html", "-d", str(doctrees), str(ROOT / "book"), str(html),
    ]  # fmt: skip


@functools.cache
def built_site(work: Path | None = None) -> Path:
    """The built site's directory (see the module's docstring).

    With *work*, the site is built in ``work/html`` once for every process
    that asks for the same *work* (the test run's parallel workers share one
    build: the first builds it, under a lock, and the others wait for it);
    without, in a temporary directory removed at exit.
    """
    given = os.environ.get("BOOK_HTML")
    if given:
        return Path(given).resolve()
    if work is None:
        work = Path(tempfile.mkdtemp(prefix="book-site-"))
        atexit.register(shutil.rmtree, work, ignore_errors=True)
    work.mkdir(parents=True, exist_ok=True)
    done_mark = work / "built"
    with open(work / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done_mark.exists():
            _build(work)
            done_mark.touch()
    return work / "html"


def _build(work: Path) -> None:
    env = childenv.guarded(BOOK_BASEURL=BASEURL)  # the build cannot fetch either
    env.pop("READTHEDOCS_CANONICAL_URL", None)
    done = subprocess.run(
        build_command(work / "html", work / "doctrees"),
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=600,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"the HTML build failed:\n{done.stdout}\n{done.stderr}")


def pages(site: Path) -> list[str]:
    """Every HTML page of the site, as paths relative to its root."""
    return sorted(
        p.relative_to(site).as_posix()
        for p in site.rglob("*.html")
        if not SKIP_DIRS.intersection(p.relative_to(site).parts)
    )


COMPRESSED = {".html", ".css", ".js", ".svg", ".xml", ".json", ".txt", ".py"}


class _Handler(http.server.SimpleHTTPRequestHandler):
    compress = False

    def translate_path(self, path: str) -> str:
        path = urlsplit(path).path
        return super().translate_path("/" + path[len(PREFIX) :])

    def send_head(self):  # type: ignore[no-untyped-def]
        path = urlsplit(self.path).path
        local = Path(self.translate_path(self.path))
        if not (path.startswith(PREFIX) and local.exists()):
            # Like GitHub Pages: the site's own 404 page, with status 404.
            return self._send(404, Path(self.directory) / "404.html")
        if local.is_file() and self.compress and local.suffix in COMPRESSED:
            return self._send(200, local)
        return super().send_head()

    def _send(self, status: int, file: Path):  # type: ignore[no-untyped-def]
        body = file.read_bytes()
        self.send_response(status)
        self.send_header("Content-Type", self.guess_type(str(file)))
        if self.compress and "gzip" in self.headers.get("Accept-Encoding", ""):
            body = gzip.compress(body, compresslevel=6, mtime=0)
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Vary", "Accept-Encoding")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


class SiteServer:
    """``with SiteServer(site) as server:`` serves ``site`` on 127.0.0.1 at
    ``server.url`` (which ends in ``/book/``). With ``gzip=True`` it compresses
    text the way GitHub Pages and Read the Docs do (``make bench`` measures
    what a reader downloads)."""

    def __init__(self, site: Path, *, gzip: bool = False) -> None:
        handler = functools.partial(
            type("Handler", (_Handler,), {"compress": gzip}), directory=str(site)
        )
        self._httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self.origin = f"http://127.0.0.1:{self._httpd.server_port}"
        self.url = self.origin + PREFIX
        self._serving = serving(self._httpd)

    def __enter__(self) -> SiteServer:
        self._serving.__enter__()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._serving.__exit__(kind, value, traceback)


def local_path(site: Path, url: str) -> Path | None:
    """The file in ``site`` that a same-site URL (``/book/...``) names."""
    path = unquote(urlsplit(url).path)
    if not path.startswith(PREFIX):
        return None
    return site / path[len(PREFIX) :]
